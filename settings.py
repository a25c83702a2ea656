"""Stack settings: the stack's config, read once, validated, as frozen typed dataclasses.

``parse(project, config)`` is pure (a mapping of ``namespace:key`` to the string values the
Pulumi engine hands a program) so it is tested without Pulumi. ``load()`` collects the running
program's config and calls it. Any bad value raises :class:`ConfigError` naming the config key,
the value and what is allowed, before a single resource is registered. ``ConfigError`` is a
``pulumi.RunError``, so the Pulumi CLI reports it as a plain message, without a traceback, and
the offline preview exits with status 2.

The components' Args validate themselves; settings builds them from config (with the network
wiring left as :data:`UNWIRED`, for ``__main__`` to fill in with ``dataclasses.replace``) and
turns an Args error, which names an Args field, into one that names the config key.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime

from components import image_ref
from components._validation import ArgumentError
from components.efs_csi_storage import EfsCsiStorageArgs
from components.eks_cluster import EksClusterArgs
from components.fargate_service import (
    SERVICE_NAME,
    ContainerSettings,
    FargateClusterArgs,
    FargateServiceArgs,
    Routing,
    WebIngressArgs,
)
from components.file_system import AccessPointSpec, SharedFileSystemArgs
from components.image_volumes import writable_path_problems
from components.network import DEFAULT_INTERFACE_ENDPOINTS, NetworkArgs
from components.registry import ContainerRegistryArgs
from components.secret_values import SecretValues

UNWIRED = "unwired"
"""Stands for values only the running program knows (VPC, subnets, image) until it wires them."""


class ConfigError(pulumi.RunError):
    """A stack config value is invalid; the message names the key (never a secret's value)."""

    def __init__(self, key: str, value: Any, allowed: str, *, secret: bool = False) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        # Values as a stack file writes them (true, not True).
        shown = "[secret]" if secret else json.dumps(value) if isinstance(value, bool) or value is None else repr(value)
        super().__init__(f"invalid config {key}={shown}: {allowed}")


@dataclass(frozen=True)
class Mount:
    """A service's EFS mount: ``access_point`` (a key of accessPoints) at ``path``."""

    access_point: str
    path: str
    read_only: bool = False


@dataclass(frozen=True)
class ServiceSettings:
    """One entry of ``services``: the service's Args (cluster, network, image and ingress left
    for ``__main__`` to wire), its own image if it names one, and its EFS mounts."""

    args: FargateServiceArgs
    image: str | None
    """The service's image; ``None`` runs the stack's image (``image`` or the registry's)."""
    mounts: tuple[Mount, ...]

    @property
    def web(self) -> bool:
        """Has a container port: served by the stack's ALB."""
        return self.args.container.port is not None


@dataclass(frozen=True)
class ExistingVpc:
    """A VPC the stack uses instead of creating a network."""

    vpc_id: str
    private_subnet_ids: tuple[str, ...]
    public_subnet_ids: tuple[str, ...]


@dataclass(frozen=True)
class PlatformSettings:
    project: str
    region: str
    network: NetworkArgs
    """The network to create; unused with :attr:`existing_vpc`."""
    existing_vpc: ExistingVpc | None
    registry: ContainerRegistryArgs
    file_system: SharedFileSystemArgs
    cluster: FargateClusterArgs
    ingress: WebIngressArgs | None
    """The shared ALB; ``None`` when no service has a port."""
    services: Mapping[str, ServiceSettings]
    image: str | None
    """An explicit image reference to run instead of the registry's image."""

    eks_enabled: bool
    eks: EksClusterArgs
    eks_storage: EfsCsiStorageArgs
    eks_kubernetes_objects: bool
    """Apply the Kubernetes objects (storage, sample workload); false for a first phase that
    creates the cluster only, before the deployer can reach a private API endpoint."""

    eks_access_point: str
    """The access point the EKS pods mount (by default ``<first access point>-eks``, a twin of
    the first of accessPoints on the same directory and POSIX user: they share the data)."""

    secret_values: SecretValues = dataclasses.field(default_factory=lambda: SecretValues(()))
    """The values of the keys set with ``pulumi config set --secret``: ``__main__`` registers
    them so every input and output that carries one stays secret."""


# Project config keys (without the project namespace): (kind, group, Args field). Pulumi.yaml
# declares the same keys with their defaults and descriptions; a test keeps the two in step.
_INT, _STR, _BOOL, _LIST, _MAP, _ACCESS_POINTS = "integer", "string", "boolean", "array", "map", "access points"
_SERVICES = "services"
_KEYS: dict[str, tuple[str, str, str]] = {
    "vpcId": (_STR, "main", "vpc_id"),
    "privateSubnetIds": (_LIST, "main", "private_subnet_ids"),
    "publicSubnetIds": (_LIST, "main", "public_subnet_ids"),
    "vpcCidr": (_STR, "network", "cidr_block"),
    "azCount": (_INT, "network", "az_count"),
    "subnetPrefixLength": (_INT, "network", "subnet_prefix_length"),
    "natStrategy": (_STR, "network", "nat_strategy"),
    "interfaceEndpoints": (_LIST, "network", "interface_endpoints"),
    "flowLogRetentionDays": (_INT, "network", "flow_log_retention_days"),
    "imageTag": (_STR, "registry", "image_tag"),
    "buildContext": (_STR, "registry", "build_context"),
    "ecrKeepTaggedImages": (_INT, "registry", "keep_tagged_images"),
    "ecrUntaggedExpiryDays": (_INT, "registry", "untagged_expiry_days"),
    "image": (_STR, "main", "image"),
    "efsPerformanceMode": (_STR, "file_system", "performance_mode"),
    "efsThroughputMode": (_STR, "file_system", "throughput_mode"),
    "efsProvisionedThroughputMibps": (_INT, "file_system", "provisioned_throughput_mibps"),
    "efsTransitionToIa": (_STR, "file_system", "transition_to_ia"),
    "efsKmsKeyArn": (_STR, "file_system", "kms_key_arn"),
    "accessPoints": (_ACCESS_POINTS, "file_system", "access_points"),
    "services": (_SERVICES, "main", "services"),
    "platformVersion": (_STR, "service", "platform_version"),
    "healthCheckGraceSeconds": (_INT, "service", "health_check_grace_seconds"),
    "logRetentionDays": (_INT, "service", "log_retention_days"),
    "certificateArn": (_STR, "ingress", "certificate_arn"),
    "albDeletionProtection": (_BOOL, "ingress", "alb_deletion_protection"),
    "albAccessLogs": (_BOOL, "ingress", "access_logs"),
    "albAccessLogRetentionDays": (_INT, "ingress", "access_log_retention_days"),
    "albWaf": (_BOOL, "ingress", "waf"),
    "eks.enabled": (_BOOL, "main", "eks_enabled"),
    "eks.version": (_STR, "eks", "version"),
    "eks.publicAccessCidrs": (_LIST, "eks", "public_access_cidrs"),
    "eks.allowPublicEndpointFromAnywhere": (_BOOL, "eks", "allow_public_endpoint_from_anywhere"),
    "eks.apiAccessCidrs": (_LIST, "eks", "api_access_cidrs"),
    "eks.apiAccessSecurityGroupIds": (_LIST, "eks", "api_access_security_group_ids"),
    "eks.kubernetesObjects": (_BOOL, "main", "eks_kubernetes_objects"),
    "eks.logTypes": (_LIST, "eks", "log_types"),
    "eks.namespace": (_STR, "eks", "workload_namespace"),
    "eks.logRetentionDays": (_INT, "eks", "log_retention_days"),
    "eks.deletionProtection": (_BOOL, "eks", "deletion_protection"),
    "eks.nodeGroup": (_BOOL, "eks", "node_group"),
    "eks.nodeInstanceTypes": (_LIST, "eks", "node_instance_types"),
    "eks.nodeMinSize": (_INT, "eks", "node_min_size"),
    "eks.nodeMaxSize": (_INT, "eks", "node_max_size"),
    "eks.accessPoint": (_STR, "main", "eks_access_point"),
    "eks.replicas": (_INT, "eks_storage", "replicas"),
    "eks.sampleImage": (_STR, "eks_storage", "image"),
    "eks.dynamicProvisioning": (_BOOL, "eks_storage", "dynamic_provisioning"),
}
# An Args error names a field of its group; this finds the key, keeping any path below the
# field ("accessPoints.app.uid").
_FIELD_TO_KEY: dict[tuple[str, str], str] = {(group, field): key for key, (_, group, field) in _KEYS.items()}
# EKS storage fields that settings derives from other keys.
_FIELD_TO_KEY |= {
    ("eks_storage", "ec2_nodes"): "eks.nodeGroup",
    ("eks_storage", "namespace"): "eks.namespace",
    ("eks_storage", "uid"): "eks.accessPoint",
    ("eks_storage", "gid"): "eks.accessPoint",
}

# The keys of one entry of `services` (`services.<name>.<key>`): kind, and the Args field
# (``container.`` for ContainerSettings, ``routing`` and ``mounts`` read here).
_SERVICE_KEYS: dict[str, tuple[str, str]] = {
    "image": (_STR, "image"),
    "port": (_INT, "container.port"),
    "containerName": (_STR, "container.name"),
    "user": (_STR, "container.user"),
    "command": (_LIST, "container.command"),
    "environment": (_MAP, "container.environment"),
    "secrets": (_MAP, "container.secrets"),
    "readonlyRootFilesystem": (_BOOL, "container.readonly_root_filesystem"),
    "writablePaths": (_LIST, "container.writable_paths"),
    "repositoryCredentialsSecretArn": (_STR, "container.repository_credentials_secret_arn"),
    "repositoryCredentialsKmsKeyArn": (_STR, "container.repository_credentials_kms_key_arn"),
    "cpu": (_INT, "cpu"),
    "memory": (_INT, "memory"),
    "desiredCount": (_INT, "desired_count"),
    "minCount": (_INT, "min_count"),
    "maxCount": (_INT, "max_count"),
    "cpuTargetPercent": (_INT, "cpu_target_percent"),
    "healthCheckPath": (_STR, "health_check_path"),
    "mounts": ("mounts", "efs_volumes"),
    "routing": ("routing", "routing"),
}
_SERVICE_FIELD_TO_KEY = {f: k for k, (_, f) in _SERVICE_KEYS.items()}
# What `services` holds when the stack does not set it: one web service, today's defaults.
DEFAULT_SERVICE = "web"
_VPC_ID = re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")
_SUBNET_ID = re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
# Keys whose empty string means "not set" (the schema cannot default a string to null).
_EMPTY_IS_UNSET = {"buildContext", "image", "efsKmsKeyArn", "certificateArn", "eks.accessPoint", "vpcId"}


def _read(key: str, kind: str, raw: str) -> Any:
    if kind == _STR:
        return raw
    if kind == _INT:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(key, raw, "must be an integer") from None
    if kind == _BOOL:
        if raw.lower() not in ("true", "false"):
            raise ConfigError(key, raw, "must be true or false")
        return raw.lower() == "true"
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if kind == _LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, raw, "must be a list of strings, e.g. [ecr.api, logs]")
        return tuple(value)
    if kind == _SERVICES:
        if not isinstance(value, dict) or not value or not all(isinstance(v, dict) for v in value.values()):
            raise ConfigError(key, raw, "must be a map of service names to {image, port, cpu, memory, mounts, ...}")
        return value
    # access points: {name: {uid, gid, path, permissions}}
    if not isinstance(value, dict) or not value:
        raise ConfigError(key, raw, "must be a map of access point names to {uid, gid, path, permissions}")
    specs = []
    for name, spec in value.items():
        allowed = {"uid", "gid", "path", "permissions"}
        if not isinstance(spec, dict) or not {"uid", "gid", "path"} <= set(spec) or set(spec) - allowed:
            raise ConfigError(f"{key}.{name}", spec, "must be {uid, gid, path[, permissions]}")
        try:
            specs.append(AccessPointSpec(name=name, **spec))
        except ArgumentError as e:
            raise ConfigError(key + e.fields[0].removeprefix("access_points"), e.value, e.allowed) from None
        except TypeError:
            raise ConfigError(f"{key}.{name}", spec, "must be {uid, gid, path[, permissions]}") from None
    return tuple(specs)


def _key_for_field(prefix: str, group: str, field: str) -> str:
    """``certificate_arn`` -> ``<project>:certificateArn``; ``access_points.app.uid`` ->
    ``<project>:accessPoints.app.uid``."""
    head, _, rest = field.partition(".")
    key = _FIELD_TO_KEY.get((group, head))
    if key is None:
        return prefix + field
    return prefix + key + (f".{rest}" if rest else "")


def _secret_leaves(raw: str) -> list[str]:
    """The values a secret config value holds: itself, or the leaves of a list or map (a map's
    keys, such as environment variable names, are not the secret)."""
    try:
        value = json.loads(raw)
    except ValueError:
        return [raw]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _secret_leaves(json.dumps(v) if not isinstance(v, str) else v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _secret_leaves(json.dumps(v) if not isinstance(v, str) else v)]
    return [raw]


def parse(project: str, config: Mapping[str, str], secret_keys: frozenset[str] = frozenset()) -> PlatformSettings:
    """Validate the stack config (``namespace:key`` -> string value) into settings.

    ``secret_keys``: the full keys set with ``--secret``; errors never show their values, and
    the settings carry the values for the program to keep secret (:class:`SecretValues`)."""
    try:
        settings = _parse(project, config)
    except ConfigError as e:
        named = [k.strip() for k in e.key.split(" / ")]
        if any(n == k or n.startswith(k + ".") for n in named for k in secret_keys):
            raise ConfigError(e.key, e.value, e.allowed, secret=True) from None
        raise
    values = [leaf for key in secret_keys if key in config for leaf in _secret_leaves(config[key])]
    return replace(settings, secret_values=SecretValues(values))


def _parse(project: str, config: Mapping[str, str]) -> PlatformSettings:
    prefix = f"{project}:"
    for key in sorted(config):
        namespace, _, name = key.partition(":")
        if namespace != project and difflib.get_close_matches(namespace, [project], n=1, cutoff=0.8):
            # A misspelt project prefix would leave the value unread (another namespace is not ours).
            raise ConfigError(key, config[key], f"unknown namespace '{namespace}': did you mean '{prefix}{name}'?")
    unknown = sorted(k for k in config if k.startswith(prefix) and k[len(prefix) :] not in _KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0][len(prefix) :], list(_KEYS), n=1, cutoff=0.6)
        hint = f"did you mean '{prefix}{close[0]}'? " if close else ""
        raise ConfigError(
            unknown[0],
            config[unknown[0]],
            f"unknown config key; {hint}the project's keys are " + ", ".join(sorted(_KEYS)),
        )

    region = config.get("aws:region")
    if not region:
        raise ConfigError("aws:region", region, "must be set: pulumi config set aws:region eu-west-1")
    if not _REGION.match(region):
        raise ConfigError("aws:region", region, "must be an AWS region name such as eu-west-1")

    groups: dict[str, dict[str, Any]] = {
        g: {} for g in ("network", "registry", "file_system", "service", "ingress", "main", "eks", "eks_storage")
    }
    for key, (kind, group, field) in _KEYS.items():
        raw = config.get(prefix + key)
        if raw is None or (raw == "" and key in _EMPTY_IS_UNSET):
            continue
        groups[group][field] = _read(prefix + key, kind, raw)
    if groups["file_system"].get("transition_to_ia") == "NONE":
        groups["file_system"]["transition_to_ia"] = None
    if groups["file_system"].get("provisioned_throughput_mibps") == 0:
        del groups["file_system"]["provisioned_throughput_mibps"]

    endpoints = groups["network"].pop("interface_endpoints", (AUTO,))
    network = _build(prefix, "network", NetworkArgs, groups["network"])
    registry = _build(prefix, "registry", ContainerRegistryArgs, groups["registry"])
    file_system = _build(
        prefix,
        "file_system",
        SharedFileSystemArgs,
        {"vpc_id": UNWIRED, "subnet_ids": (UNWIRED,), **groups["file_system"]},
    )
    main = groups["main"]
    specs = {a.name: a for a in file_system.access_points}
    first_access_point = file_system.access_points[0].name
    raw_services = main.get("services") or {
        DEFAULT_SERVICE: {"port": 80, "mounts": [{"accessPoint": first_access_point, "path": "/data"}]}
    }
    services = {name: _service(prefix, name, spec, specs, groups["service"]) for name, spec in raw_services.items()}
    _check_routes(prefix, services)
    existing_vpc = _existing_vpc(prefix, main, any(s.web for s in services.values()))
    ingress = None
    if any(s.web for s in services.values()):
        subnets = existing_vpc.public_subnet_ids if existing_vpc else (UNWIRED, UNWIRED)
        ingress = _build(
            prefix, "ingress", WebIngressArgs, {"vpc_id": UNWIRED, "public_subnet_ids": subnets, **groups["ingress"]}
        )
    eks = _build(prefix, "eks", EksClusterArgs, {"vpc_id": UNWIRED, "private_subnet_ids": (UNWIRED,), **groups["eks"]})
    eks_enabled = main.get("eks_enabled", False)
    for flag in ("eks.dynamicProvisioning", "eks.nodeGroup"):
        _, group, name = _KEYS[flag]
        if not eks_enabled and groups[group].get(name) is True:
            raise ConfigError(
                prefix + flag, True, f"has no effect without {prefix}eks.enabled: true; set both or neither"
            )
    eks_access_point = main.get("eks_access_point")
    if eks_access_point is None:
        # EKS Fargate pods mount without an IAM identity, so their access point is granted to
        # anonymous clients. By default they get a twin of the first access point (same
        # directory and POSIX user: the data is shared) and the ECS ones stay IAM-only.
        eks_access_point = f"{first_access_point}-eks"
        if eks_enabled and eks_access_point not in specs:
            twin = replace(specs[first_access_point], name=eks_access_point)
            try:
                file_system = replace(file_system, access_points=(*file_system.access_points, twin))
            except ArgumentError as e:
                raise ConfigError(prefix + "accessPoints", first_access_point, f"{e}; set eks.accessPoint") from None
            specs[eks_access_point] = twin
    if eks_enabled or "eks_access_point" in main:
        _require_access_point(prefix + "eks.accessPoint", eks_access_point, specs)
    pod_user = specs.get(eks_access_point, specs[first_access_point])
    eks_storage = _build(
        prefix,
        "eks_storage",
        EfsCsiStorageArgs,
        {
            "file_system_id": UNWIRED,
            "access_point_id": UNWIRED,
            "uid": pod_user.uid,
            "gid": pod_user.gid,
            "namespace": eks.workload_namespace,
            "ec2_nodes": eks.node_group,
            **groups["eks_storage"],
        },
    )
    containers = [s.args.container for s in services.values()]
    if AUTO in endpoints:
        endpoints = tuple(
            dict.fromkeys(
                e
                for e in (*endpoints_used(network, containers, eks, eks_enabled, eks_storage), *endpoints)
                if e != AUTO
            )
        )
    network = _build(prefix, "network", NetworkArgs, {**groups["network"], "interface_endpoints": endpoints})
    image = main.get("image")
    images = [(prefix + "image", image)] if image is not None else []
    images += [(f"{prefix}services.{name}.image", svc.image) for name, svc in services.items() if svc.image]
    for key, reference in images:
        if not image_ref.is_valid(reference):
            raise ConfigError(
                key,
                reference,
                "must be an image reference: [registry[:port]/]repository[:tag][@sha256:<digest>] "
                "(the repository in lower case)",
            )
    if image is not None and registry.build_context:
        raise ConfigError(
            prefix + "image",
            image,
            f"runs instead of the image built from {prefix}buildContext, which would then be built for nothing: "
            "unset one",
        )
    if network.nat_strategy == "none":
        # Without NAT the private subnets reach ECR only (its endpoints and the S3 gateway).
        pulls = list(images)
        if eks_enabled:
            pulls.append((prefix + "eks.sampleImage", eks_storage.image))
        for key, reference in pulls:
            if not image_ref.is_ecr(reference):
                raise ConfigError(
                    key,
                    reference,
                    f"is pulled from {image_ref.registry(reference)}, which {prefix}natStrategy: none leaves no route "
                    "to: use an ECR image (or an ECR pull-through cache rule) or a NAT strategy",
                )
    if registry.build_context and "image_tag" in groups["registry"]:
        raise ConfigError(
            prefix + "imageTag",
            registry.image_tag,
            f"names an image pushed outside Pulumi; with {prefix}buildContext the image is built and tagged "
            "with the content hash of the build context (IMMUTABLE tags cannot be pushed twice): unset one",
        )
    for name, service in services.items():
        # A service running the image built here (buildContext; `image` with it is refused above)
        # from a Dockerfile we can read: a non-root user must be able to write each writable path
        # (components/image_volumes.py).
        container = service.args.container
        if registry.build_context and service.image is None and container.readonly_root_filesystem:
            dockerfile_path = Path(registry.build_context) / "Dockerfile"
            problems = writable_path_problems(dockerfile_path, container.writable_paths, container.user)
            if problems:
                raise ConfigError(
                    f"{prefix}services.{name}.writablePaths", list(container.writable_paths), "; ".join(problems)
                )
    return PlatformSettings(
        project=project,
        region=region,
        network=network,
        existing_vpc=existing_vpc,
        registry=registry,
        file_system=file_system,
        cluster=FargateClusterArgs(),
        ingress=ingress,
        services=services,
        image=main.get("image"),
        eks_enabled=eks_enabled,
        eks_kubernetes_objects=main.get("eks_kubernetes_objects", True),
        eks=eks,
        eks_storage=eks_storage,
        eks_access_point=eks_access_point,
    )


def _service_key(prefix: str, name: str, field: str) -> str:
    """``container.environment.X`` of service ``worker`` -> ``<project>:services.worker.environment.X``;
    ``platform_version`` (a stack-wide key) -> ``<project>:platformVersion``."""
    for f, key in sorted(_SERVICE_FIELD_TO_KEY.items(), key=lambda item: -len(item[0])):
        if field == f or field.startswith(f + "."):
            return f"{prefix}services.{name}.{key}{field[len(f) :]}"
    if field.startswith("container."):
        return f"{prefix}services.{name}.{field.removeprefix('container.')}"
    return _key_for_field(prefix, "service", field)


def _typed(key: str, kind: str, value: Any) -> Any:
    """A value of a structured key (``services.<name>.<key>``): JSON types, or the strings
    ``pulumi config set --path`` stores."""
    if kind == _INT:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(key, value, "must be an integer")
        return int(value) if isinstance(value, int) else _read(key, _INT, value)
    if kind == _BOOL:
        if isinstance(value, str):
            return _read(key, _BOOL, value)
        if not isinstance(value, bool):
            raise ConfigError(key, value, "must be true or false")
        return value
    if kind == _STR:
        if not isinstance(value, str):
            raise ConfigError(key, value, "must be a string")
        return value
    if kind == _LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, value, "must be a list of strings")
        return tuple(value)
    if not isinstance(value, dict):
        raise ConfigError(key, value, "must be a map of names to strings")
    for name, item in value.items():
        if not isinstance(item, str):
            # YAML reads PORT: 8080 as a number and `on` as true; ECS takes strings only.
            raise ConfigError(f"{key}.{name}", item, f'must be a string: quote it in the stack file ({name}: "{item}")')
    return value


def _service(
    prefix: str, name: str, spec: Mapping[str, Any], access_points: Mapping[str, AccessPointSpec], stack: dict[str, Any]
) -> ServiceSettings:
    """One entry of ``services``, validated, every error naming ``services.<name>.<key>``."""
    base = f"{prefix}services.{name}"
    if not SERVICE_NAME.match(name) or name.endswith("-"):
        raise ConfigError(base, name, "service names are 1-20 of a-z, 0-9 and -, starting with a letter")
    unknown = sorted(set(spec) - set(_SERVICE_KEYS))
    if unknown:
        raise ConfigError(
            f"{base}.{unknown[0]}", spec[unknown[0]], "unknown key; a service takes " + ", ".join(_SERVICE_KEYS)
        )
    container: dict[str, Any] = {"image": UNWIRED, "port": None}
    values: dict[str, Any] = dict(stack)
    image = None
    mounts: tuple[Mount, ...] = ()
    routing = None
    for key, raw in spec.items():
        kind, field = _SERVICE_KEYS[key]
        if key == "mounts":
            mounts = _mounts(f"{base}.mounts", raw, access_points)
        elif key == "routing":
            routing = _routing(f"{base}.routing", raw)
        elif key == "image":
            image = _typed(f"{base}.image", _STR, raw) or None
        elif field.startswith("container."):
            value = _typed(f"{base}.{key}", kind, raw)
            if value != "" or key not in ("user", "repositoryCredentialsSecretArn", "repositoryCredentialsKmsKeyArn"):
                container[field.removeprefix("container.")] = value
        else:
            values[field] = _typed(f"{base}.{key}", kind, raw)
    try:
        args = FargateServiceArgs(
            cluster_arn=UNWIRED,
            cluster_name=UNWIRED,
            vpc_id=UNWIRED,
            private_subnet_ids=(UNWIRED,),
            container=ContainerSettings(**container),
            routing=routing,
            **values,
        )
    except ArgumentError as e:
        raise _args_error(e, lambda f: _service_key(prefix, name, f), _SERVICE_FIELD_TO_KEY) from None
    paths = [m.path for m in mounts]
    if args.container.readonly_root_filesystem:
        paths += list(args.container.writable_paths)
    if len(set(paths)) != len(paths):
        raise ConfigError(f"{base}.mounts", paths, "mount paths must be unique (EFS mounts and writablePaths)")
    return ServiceSettings(args=args, image=image, mounts=mounts)


def _mounts(key: str, raw: Any, access_points: Mapping[str, AccessPointSpec]) -> tuple[Mount, ...]:
    if not isinstance(raw, list):
        raise ConfigError(key, raw, "must be a list of {accessPoint, path, readOnly}")
    mounts: list[Mount] = []
    for i, entry in enumerate(raw):
        at = f"{key}[{i}]"
        if (
            not isinstance(entry, dict)
            or not {"accessPoint", "path"} <= set(entry)
            or set(entry)
            - {
                "accessPoint",
                "path",
                "readOnly",
            }
        ):
            raise ConfigError(at, entry, "must be {accessPoint, path[, readOnly]}")
        access_point = _typed(f"{at}.accessPoint", _STR, entry["accessPoint"])
        _require_access_point(f"{at}.accessPoint", access_point, access_points)
        path = _typed(f"{at}.path", _STR, entry["path"])
        if not path.startswith("/") or path == "/":
            raise ConfigError(f"{at}.path", path, "must be an absolute path below /")
        read_only = _typed(f"{at}.readOnly", _BOOL, entry.get("readOnly", False))
        if access_point in [m.access_point for m in mounts]:
            raise ConfigError(f"{at}.accessPoint", access_point, "is already mounted by this service")
        mounts.append(Mount(access_point, path, read_only))
    return tuple(mounts)


def _routing(key: str, raw: Any) -> Routing:
    if not isinstance(raw, dict) or set(raw) - {"hosts", "paths"}:
        raise ConfigError(key, raw, "must be {hosts: [...], paths: [...]}")
    values = {k: _typed(f"{key}.{k}", _LIST, v) for k, v in raw.items()}
    try:
        return Routing(**values)
    except ArgumentError as e:
        shown = list(e.value) if isinstance(e.value, tuple) else e.value
        raise ConfigError(key + e.fields[0].removeprefix("routing"), shown, e.allowed) from None


def _check_routes(prefix: str, services: Mapping[str, ServiceSettings]) -> None:
    """What the shared ALB would refuse, named by key (WebIngress.attach checks the same)."""
    defaults = [n for n, s in services.items() if s.web and s.args.routing is None]
    if len(defaults) > 1:
        raise ConfigError(
            f"{prefix}services.{defaults[1]}.routing",
            None,
            f"only one web service may omit routing (the listener's default action) and {defaults[0]} does: "
            f"give {defaults[1]} hosts or paths",
        )
    for name, s in services.items():
        if s.args.routing is not None and not s.web:
            raise ConfigError(f"{prefix}services.{name}.routing", None, "needs a port (a worker is not routed)")
    routed = sorted((n, s.args.routing) for n, s in services.items() if s.args.routing is not None)
    seen: dict[int, str] = {}
    for name, routing in routed:
        priority = routing.priority(name)
        if priority in seen:
            raise ConfigError(
                f"{prefix}services.{name}",
                name,
                f"its listener rule priority {priority} (derived from the name) is {seen[priority]}'s: rename one",
            )
        seen[priority] = name
    for (a, ra), (b, rb) in itertools.combinations(routed, 2):
        if (set(ra.hosts), set(ra.paths)) == (set(rb.hosts), set(rb.paths)):
            raise ConfigError(f"{prefix}services.{b}.routing", None, f"routes the same hosts and paths as {a}")


def _existing_vpc(prefix: str, main: Mapping[str, Any], web: bool) -> ExistingVpc | None:
    """``vpcId`` with its subnets, or None (the stack creates its network)."""
    vpc_id = main.get("vpc_id")
    private, public = main.get("private_subnet_ids", ()), main.get("public_subnet_ids", ())
    if vpc_id is None:
        for key, ids in (("privateSubnetIds", private), ("publicSubnetIds", public)):
            if ids:
                raise ConfigError(prefix + key, list(ids), f"needs {prefix}vpcId (the VPC these subnets are in)")
        return None
    if not _VPC_ID.match(vpc_id):
        raise ConfigError(prefix + "vpcId", vpc_id, "must be a VPC id: vpc- and 8 or 17 hex digits")
    for key, ids in (("privateSubnetIds", private), ("publicSubnetIds", public)):
        for subnet in ids:
            if not _SUBNET_ID.match(subnet):
                raise ConfigError(prefix + key, list(ids), "must be subnet ids: subnet- and 8 or 17 hex digits")
        if len(set(ids)) != len(ids):
            raise ConfigError(prefix + key, list(ids), "must not repeat a subnet")
    if not 2 <= len(private) <= 6:
        raise ConfigError(
            prefix + "privateSubnetIds",
            list(private),
            "with vpcId: 2 to 6 private subnets, one per AZ (mount targets and tasks go there)",
        )
    if web and len(public) < 2:
        raise ConfigError(
            prefix + "publicSubnetIds",
            list(public),
            "with vpcId and a service with a port: public subnets in at least two AZs (the ALB goes there)",
        )
    if set(private) & set(public):
        raise ConfigError(prefix + "publicSubnetIds", list(public), "must not name a private subnet")
    return ExistingVpc(vpc_id, tuple(private), tuple(public))


AUTO = "auto"
"""In ``interfaceEndpoints``: the endpoints this stack uses (:func:`endpoints_used`)."""


def endpoints_used(
    network: NetworkArgs,
    containers: Sequence[ContainerSettings],
    eks: EksClusterArgs,
    eks_enabled: bool,
    eks_storage: EfsCsiStorageArgs,
) -> tuple[str, ...]:
    """The interface endpoints the stack's workloads call, and no more (each costs about $7.30 a
    month per AZ, https://aws.amazon.com/privatelink/pricing/):

    * ``ecr.api``, ``ecr.dkr``, ``logs``: every task pulls its image and logs with awslogs;
    * ``secretsmanager`` / ``ssm``: only when a secret of any service's container (or its private
      registry credentials) is a Secrets Manager secret / an SSM parameter, which ECS fetches at
      start;
    * ``sts``: only with EKS nodes, whose EFS CSI controller assumes its role through IRSA
      (AssumeRoleWithWebIdentity); Fargate pods here use no IAM identity;
    * without NAT, EKS nodes also reach ``ec2`` (the kubelet and the CSI driver's instance
      metadata look-ups) and, with dynamic provisioning, ``elasticfilesystem`` (the controller
      creates access points) - AWS "Deploy private clusters with limited internet access".
    """
    used = list(DEFAULT_INTERFACE_ENDPOINTS)
    arns = [arn for c in containers for arn in (*c.secrets.values(), c.repository_credentials_secret_arn or "")]
    if any(":secretsmanager:" in arn for arn in arns):
        used.append("secretsmanager")
    if any(":ssm:" in arn for arn in arns):
        used.append("ssm")
    if eks_enabled and eks.node_group:
        used.append("sts")
        if network.nat_strategy == "none":
            used.append("ec2")
            if eks_storage.dynamic_provisioning:
                used.append("elasticfilesystem")
    return tuple(used)


def _require_access_point(key: str, name: str, specs: Mapping[str, AccessPointSpec]) -> None:
    if name not in specs:
        raise ConfigError(key, name, "must name one of accessPoints: " + ", ".join(specs))


def _build(prefix: str, group: str, args_type: Callable[..., Any], values: dict[str, Any]) -> Any:
    """Construct an Args dataclass, turning its field-named error into a key-named one."""
    try:
        return args_type(**values)
    except ArgumentError as e:
        fields = {f: k for (g, f), k in _FIELD_TO_KEY.items() if g == group}
        raise _args_error(e, lambda f: _key_for_field(prefix, group, f), fields) from None


def _args_error(e: ArgumentError, key_of: Callable[[str], str], fields: Mapping[str, str]) -> ConfigError:
    """An Args error in config terms: the value under the key it belongs to (the first field the
    Args named), the other keys involved named after it, and Python field names in the message
    replaced by the config keys they come from (``min_count`` -> ``minCount``)."""
    keys = [key_of(f) for f in e.fields]

    def config_name(match: re.Match[str]) -> str:
        word = match.group(0)
        known = fields.get(word) or fields.get(f"container.{word}")
        return known if known is not None else word

    allowed = re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b", config_name, e.allowed)
    if len(keys) > 1:
        allowed += f" (with {', '.join(keys[1:])})"
    shown = list(e.value) if isinstance(e.value, (tuple, list)) else e.value
    return ConfigError(keys[0], shown, allowed)


def load() -> PlatformSettings:
    """Read the running program's config (as the engine passed it) and parse it."""
    config: dict[str, Any] = dict(pulumi.runtime.get_config_env())
    # The language host stores the engine's config here; there is no public "all keys" API.
    config.update(pulumi.runtime.config.CONFIG.get())
    secret_keys = frozenset(k for k in config if pulumi.runtime.is_config_secret(k))
    return parse(
        pulumi.get_project(), {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, secret_keys
    )


__all__ = ["UNWIRED", "ConfigError", "ExistingVpc", "Mount", "PlatformSettings", "ServiceSettings", "load", "parse"]
