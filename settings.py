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
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime

from components import image_ref
from components._validation import ArgumentError
from components.efs_csi_storage import EfsCsiStorageArgs
from components.eks_cluster import EksClusterArgs
from components.fargate_service import ContainerSettings, FargateServiceArgs
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
        shown = "[secret]" if secret else repr(value)
        super().__init__(f"invalid config {key}={shown}: {allowed}")


@dataclass(frozen=True)
class PlatformSettings:
    project: str
    region: str
    network: NetworkArgs
    registry: ContainerRegistryArgs
    file_system: SharedFileSystemArgs
    service: FargateServiceArgs
    image: str | None
    """An explicit image reference to run instead of the registry's image."""

    efs_access_point: str
    efs_mount_path: str
    eks_enabled: bool
    eks: EksClusterArgs
    eks_storage: EfsCsiStorageArgs
    eks_kubernetes_objects: bool
    """Apply the Kubernetes objects (storage, sample workload); false for a first phase that
    creates the cluster only, before the deployer can reach a private API endpoint."""

    eks_access_point: str
    """The access point the EKS pods mount (by default ``<efs_access_point>-eks``, a twin of the
    ECS service's on the same directory and POSIX user: they share the data)."""

    secret_values: SecretValues = dataclasses.field(default_factory=lambda: SecretValues(()))
    """The values of the keys set with ``pulumi config set --secret``: ``__main__`` registers
    them so every input and output that carries one stays secret."""


# Project config keys (without the project namespace): (kind, group, Args field). Pulumi.yaml
# declares the same keys with their defaults and descriptions; a test keeps the two in step.
_INT, _STR, _BOOL, _LIST, _MAP, _ACCESS_POINTS = "integer", "string", "boolean", "array", "map", "access points"
_KEYS: dict[str, tuple[str, str, str]] = {
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
    "efsAccessPoint": (_STR, "main", "efs_access_point"),
    "efsMountPath": (_STR, "main", "efs_mount_path"),
    "containerName": (_STR, "container", "name"),
    "containerPort": (_INT, "container", "port"),
    "containerUser": (_STR, "container", "user"),
    "environment": (_MAP, "container", "environment"),
    "secrets": (_MAP, "container", "secrets"),
    "readonlyRootFilesystem": (_BOOL, "container", "readonly_root_filesystem"),
    "writablePaths": (_LIST, "container", "writable_paths"),
    "repositoryCredentialsSecretArn": (_STR, "container", "repository_credentials_secret_arn"),
    "repositoryCredentialsKmsKeyArn": (_STR, "container", "repository_credentials_kms_key_arn"),
    "cpu": (_INT, "service", "cpu"),
    "memory": (_INT, "service", "memory"),
    "desiredCount": (_INT, "service", "desired_count"),
    "minCount": (_INT, "service", "min_count"),
    "maxCount": (_INT, "service", "max_count"),
    "cpuTargetPercent": (_INT, "service", "cpu_target_percent"),
    "platformVersion": (_STR, "service", "platform_version"),
    "healthCheckPath": (_STR, "service", "health_check_path"),
    "healthCheckGraceSeconds": (_INT, "service", "health_check_grace_seconds"),
    "certificateArn": (_STR, "service", "certificate_arn"),
    "albDeletionProtection": (_BOOL, "service", "alb_deletion_protection"),
    "albAccessLogs": (_BOOL, "service", "access_logs"),
    "albAccessLogRetentionDays": (_INT, "service", "access_log_retention_days"),
    "albWaf": (_BOOL, "service", "waf"),
    "logRetentionDays": (_INT, "service", "log_retention_days"),
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
# An Args error names a field of its group (container errors say "container.<field>"); this
# finds the key, keeping any path below the field ("accessPoints.app.uid").
_FIELD_TO_KEY: dict[tuple[str, str], str] = {(group, field): key for key, (_, group, field) in _KEYS.items()}
# EKS storage fields that settings derives from other keys.
_FIELD_TO_KEY |= {
    ("eks_storage", "ec2_nodes"): "eks.nodeGroup",
    ("eks_storage", "namespace"): "eks.namespace",
    ("eks_storage", "uid"): "eks.accessPoint",
    ("eks_storage", "gid"): "eks.accessPoint",
}

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
# Keys whose empty string means "not set" (the schema cannot default a string to null).
_EMPTY_IS_UNSET = {"buildContext", "image", "efsKmsKeyArn", "containerUser", "repositoryCredentialsSecretArn",
                   "repositoryCredentialsKmsKeyArn", "certificateArn", "eks.accessPoint"}  # fmt: skip


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
    if kind == _MAP:
        if not isinstance(value, dict):
            raise ConfigError(key, raw, "must be a map of names to strings")
        for name, item in value.items():
            if not isinstance(item, str):
                # YAML reads PORT: 8080 as a number and `on` as true; ECS takes strings only.
                raise ConfigError(
                    f"{key}.{name}", item, f'must be a string: quote it in the stack file ({name}: "{item}")'
                )
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
    """``container.port`` -> ``<project>:containerPort``; ``access_points.app.uid`` ->
    ``<project>:accessPoints.app.uid``."""
    head, _, rest = field.removeprefix("container.").partition(".")
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
        g: {} for g in ("network", "registry", "file_system", "container", "service", "main", "eks", "eks_storage")
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
    container = _build(prefix, "container", ContainerSettings, {"image": UNWIRED, **groups["container"]})
    main = groups["main"]
    specs = {a.name: a for a in file_system.access_points}
    access_point = main.get("efs_access_point", "app")
    _require_access_point(prefix + "efsAccessPoint", access_point, specs)
    mount_path = main.get("efs_mount_path", "/data")
    if not mount_path.startswith("/") or mount_path == "/":
        raise ConfigError(prefix + "efsMountPath", mount_path, "must be an absolute path below /")
    service = _build(
        prefix,
        "service",
        FargateServiceArgs,
        {
            "vpc_id": UNWIRED,
            "private_subnet_ids": (UNWIRED,),
            "public_subnet_ids": (UNWIRED,),
            "container": container,
            **groups["service"],
        },
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
        # anonymous clients. By default they get a twin of the ECS service's access point (same
        # directory and POSIX user: the data is shared) and the ECS one stays IAM-only.
        eks_access_point = f"{access_point}-eks"
        if eks_enabled and eks_access_point not in specs:
            twin = replace(specs[access_point], name=eks_access_point)
            try:
                file_system = replace(file_system, access_points=(*file_system.access_points, twin))
            except ArgumentError as e:
                raise ConfigError(prefix + "efsAccessPoint", access_point, f"{e}; set eks.accessPoint") from None
            specs[eks_access_point] = twin
    if eks_enabled or "eks_access_point" in main:
        _require_access_point(prefix + "eks.accessPoint", eks_access_point, specs)
    pod_user = specs.get(eks_access_point, specs[access_point])
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
    if AUTO in endpoints:
        endpoints = tuple(
            dict.fromkeys(
                e for e in (*endpoints_used(network, container, eks, eks_enabled, eks_storage), *endpoints) if e != AUTO
            )
        )
    network = _build(prefix, "network", NetworkArgs, {**groups["network"], "interface_endpoints": endpoints})
    image = main.get("image")
    if image is not None:
        if not image_ref.is_valid(image):
            raise ConfigError(
                prefix + "image",
                image,
                "must be an image reference: [registry[:port]/]repository[:tag][@sha256:<digest>] "
                "(the repository in lower case)",
            )
        if registry.build_context:
            raise ConfigError(
                prefix + "image",
                image,
                f"runs instead of the image built from {prefix}buildContext, which would then be built for nothing: "
                "unset one",
            )
    if network.nat_strategy == "none":
        # Without NAT the private subnets reach ECR only (its endpoints and the S3 gateway).
        pulls = [(prefix + "image", image)] if image is not None else []
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
    if registry.build_context and main.get("image") is None and container.readonly_root_filesystem:
        # The image is built here from a Dockerfile we can read: a non-root user must be able to
        # write each writable path (components/image_volumes.py).
        dockerfile_path = Path(registry.build_context) / "Dockerfile"
        problems = writable_path_problems(dockerfile_path, container.writable_paths, container.user)
        if problems:
            raise ConfigError(prefix + "writablePaths", list(container.writable_paths), "; ".join(problems))
    return PlatformSettings(
        project=project,
        region=region,
        network=network,
        registry=registry,
        file_system=file_system,
        service=service,
        image=main.get("image"),
        efs_access_point=access_point,
        efs_mount_path=mount_path,
        eks_enabled=eks_enabled,
        eks_kubernetes_objects=main.get("eks_kubernetes_objects", True),
        eks=eks,
        eks_storage=eks_storage,
        eks_access_point=eks_access_point,
    )


AUTO = "auto"
"""In ``interfaceEndpoints``: the endpoints this stack uses (:func:`endpoints_used`)."""


def endpoints_used(
    network: NetworkArgs,
    container: ContainerSettings,
    eks: EksClusterArgs,
    eks_enabled: bool,
    eks_storage: EfsCsiStorageArgs,
) -> tuple[str, ...]:
    """The interface endpoints the stack's workloads call, and no more (each costs about $7.30 a
    month per AZ, https://aws.amazon.com/privatelink/pricing/):

    * ``ecr.api``, ``ecr.dkr``, ``logs``: every task pulls its image and logs with awslogs;
    * ``secretsmanager`` / ``ssm``: only when a container secret (or the private registry
      credentials) is a Secrets Manager secret / an SSM parameter, which ECS fetches at start;
    * ``sts``: only with EKS nodes, whose EFS CSI controller assumes its role through IRSA
      (AssumeRoleWithWebIdentity); Fargate pods here use no IAM identity;
    * without NAT, EKS nodes also reach ``ec2`` (the kubelet and the CSI driver's instance
      metadata look-ups) and, with dynamic provisioning, ``elasticfilesystem`` (the controller
      creates access points) - AWS "Deploy private clusters with limited internet access".
    """
    used = list(DEFAULT_INTERFACE_ENDPOINTS)
    arns = [*container.secrets.values(), container.repository_credentials_secret_arn or ""]
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
        keys = " / ".join(
            _key_for_field(prefix, "container" if f.startswith("container.") else group, f) for f in e.fields
        )
        shown = e.value
        if isinstance(shown, (tuple, list)):
            shown = list(shown)
        raise ConfigError(keys, shown, e.allowed) from None


def load() -> PlatformSettings:
    """Read the running program's config (as the engine passed it) and parse it."""
    config: dict[str, Any] = dict(pulumi.runtime.get_config_env())
    # The language host stores the engine's config here; there is no public "all keys" API.
    config.update(pulumi.runtime.config.CONFIG.get())
    secret_keys = frozenset(k for k in config if pulumi.runtime.is_config_secret(k))
    return parse(
        pulumi.get_project(), {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, secret_keys
    )


__all__ = ["UNWIRED", "ConfigError", "PlatformSettings", "load", "parse"]
