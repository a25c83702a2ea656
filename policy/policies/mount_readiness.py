"""EFS mounts that would fail on the first deploy, found in the graph before it.

For every ECS service whose task definition mounts an EFS file system, and every Kubernetes
PersistentVolume of the EFS CSI driver, per mount:

1. a mount target in every AZ the workload's subnets span;
2. a mount target security group that admits TCP 2049 from the workload's security groups (or
   from its subnets' CIDRs), however the rule is written (inline, rule resources, ids from
   config);
3. Fargate platform version 1.4.0 or later;
4. the mount's identity may mount the file system *through that access point*, and write when
   the mount is writable: the task role with IAM authorization on (``iam: ENABLED``), the node
   role with the ``iam`` mount option, an anonymous client otherwise (EKS Fargate always). EFS
   grants an action when the file system policy or the identity's policies allow it and neither
   denies it ("access denied by server while mounting" otherwise); see ``_iam``;
5. in private subnets without a default route (no NAT), the ecr.api, ecr.dkr and logs interface
   endpoints with private DNS and the S3 gateway endpoint exist (and secretsmanager / ssm when the
   container reads secrets or registry credentials from them), or image pulls fail;
6. for EFS CSI volumes: 2049 admitted from the EKS cluster security group (Fargate pods and
   managed nodes use it); on a cluster with Fargate profiles and no nodes, no StorageClass
   provisions access points dynamically; and the program does not manage the
   ``efs.csi.aws.com`` CSIDriver object EKS ships (see :func:`_managed_csi_driver`).

VPC DNS (needed to resolve ``fs-….efs…``) is the rule ``efs-platform-ec2-vpc-dns-enabled``.
A value this preview cannot know, or a resource outside the stack that decides a check, gives a
"cannot verify" naming it, never a silent pass. No Security Hub control or checkov check covers
mount readiness.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from ._containers import containers, json_flag
from ._graph import (
    SG_TYPES,
    SUBNET,
    UNKNOWN,
    VPC,
    Invalid,
    Refs,
    Res,
    Stack,
    admits,
    as_list,
    flag,
    has_unknown,
    json_value,
    label,
    value,
)
from ._iam import MOUNT, WRITE, Request, allows, boundary_documents, identity_documents
from ._rule import Unverifiable, stack_rule
from .efs_tls_policy import EFS, policies_of
from .k8s_efs_transit_encryption import PARSE_BOOL_FALSE, volume_attribute
from .private_subnet_public_ip import ROUTE, TABLES, subnet_route_tables

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
ROLE = "aws:iam/role:Role"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_ROUTES = "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation"
PV = "kubernetes:core/v1:PersistentVolume"
FARGATE_PROFILE = "aws:eks/fargateProfile:FargateProfile"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
CSI_DRIVER = "kubernetes:storage.k8s.io/v1:CSIDriver"
EFS_CSI = "efs.csi.aws.com"
NFS_PORT = 2049

Finding = tuple[str, str]


@dataclass(frozen=True)
class Mount:
    """One EFS mount of a workload."""

    what: str
    """How the messages name it: "volume 'data' of <task definition>", "<PersistentVolume>"."""
    file_systems: Refs
    access_point: Refs
    """The access point it mounts through (empty when none)."""
    iam: bool
    """Whether the client presents an IAM identity (ECS ``iam: ENABLED``, CSI ``iam`` option)."""
    tls: bool
    writable: Any
    """True, False or UNKNOWN: whether some container (pod) may write through it."""


# -- reading the workloads -------------------------------------------------------------------


def _ecs_mounts(stack: Stack, td: Res) -> Any:
    """The task definition's EFS mounts, or UNKNOWN."""
    volumes = td.setting("volumes", default=[])
    if volumes is UNKNOWN:
        return UNKNOWN
    defined = containers(td)
    mounts = []
    for i in range(len(as_list(volumes))):
        base = ("volumes", i, "efsVolumeConfiguration")
        config = td.get(*base)
        if config is None:
            continue
        if config is UNKNOWN:
            return UNKNOWN
        name = td.get("volumes", i, "name")
        writable: Any = False
        if defined is UNKNOWN or name is UNKNOWN:
            writable = UNKNOWN
        else:
            for c in defined:
                for point in as_list(c.get("mountPoints")):
                    if isinstance(point, dict) and point.get("sourceVolume") == name:
                        readonly = json_flag(point.get("readOnly"))
                        if readonly is False:
                            writable = True
                        elif isinstance(readonly, Invalid) and writable is False:
                            writable = UNKNOWN
        mounts.append(
            Mount(
                what=f"volume {name!r} of {label(td)}",
                file_systems=stack.refs(td, (*base, "fileSystemId"), (EFS,)),
                access_point=stack.refs(td, (*base, "authorizationConfig", "accessPointId"), (ACCESS_POINT,)),
                iam=td.get(*base, "authorizationConfig", "iam") == "ENABLED",
                tls=td.get(*base, "transitEncryption") == "ENABLED",
                writable=writable,
            )
        )
    return mounts


def parse_volume_handle(handle: str) -> tuple[str, str]:
    """(file system id, access point id) of an EFS CSI volume handle: ``fs-…``, ``fs-…:/path``,
    ``fs-…::fsap-…``, or the newer ``efs:fs-…:/path:fsap-…`` (aws-efs-csi-driver
    ``parseVolumeId``)."""
    tokens = handle.split(":")
    if tokens[0] in ("efs", "s3files"):
        tokens = tokens[1:]
    fs_id = tokens[0] if tokens else ""
    ap_id = tokens[2] if len(tokens) >= 3 else ""
    return fs_id, ap_id


def _pv_mount(stack: Stack, pv: Res) -> Any:
    handle = pv.get("spec", "csi", "volumeHandle")
    options = pv.get("spec", "mountOptions", default=[])
    modes = pv.get("spec", "accessModes", default=[])
    readonly = pv.get("spec", "csi", "readOnly", default=False)
    if has_unknown(options) or has_unknown(modes) or readonly is UNKNOWN:
        return UNKNOWN
    deps = pv.deps.get("spec", ())
    if handle is UNKNOWN:
        file_systems = stack.resolve(UNKNOWN, deps, (EFS,))
        access_point = stack.resolve(UNKNOWN, deps, (ACCESS_POINT,))
    elif isinstance(handle, str):
        fs_id, ap_id = parse_volume_handle(handle)
        file_systems = stack.resolve(fs_id, deps, (EFS,))
        access_point = stack.resolve(ap_id or None, deps, (ACCESS_POINT,))
    else:
        return None
    lowered = [str(o).lower() for o in as_list(options)]
    encrypt = volume_attribute(pv.get("spec", "csi", "volumeAttributes"), "encryptInTransit")
    return Mount(
        what=label(pv),
        file_systems=file_systems,
        access_point=access_point,
        iam="iam" in lowered,
        # The driver adds tls for access point mounts whatever encryptInTransit says.
        tls=bool(access_point) or encrypt not in PARSE_BOOL_FALSE,
        writable=not (readonly is True or set(as_list(modes)) == {"ReadOnlyMany"}),
    )


def _zones(stack: Stack, subnets: list[Res]) -> Any:
    """The AZs of ``subnets`` as AZ names, or UNKNOWN. A subnet that gives only an AZ id
    (``availability_zone_id``) is placed by a subnet of the stack that gives both; AZ names map
    to ids differently in each account, so there is no other way to compare them."""
    names_of_ids = stack.memo("az-names", lambda: _az_names(stack))
    zones = set()
    for subnet in subnets:
        name = subnet.setting("availabilityZone")
        if name is UNKNOWN or not name:
            zone_id = subnet.setting("availabilityZoneId")
            name = names_of_ids.get(zone_id) if isinstance(zone_id, str) else None
        if not isinstance(name, str) or not name:
            return UNKNOWN
        zones.add(name)
    return zones


def _az_names(stack: Stack) -> dict[str, str]:
    found = {}
    for subnet in stack.of_type(SUBNET):
        name, zone_id = subnet.get("availabilityZone"), subnet.get("availabilityZoneId")
        if isinstance(name, str) and isinstance(zone_id, str) and name and zone_id:
            found[zone_id] = name
    return found


def _mount_targets(stack: Stack, fs: Res) -> tuple[list[Res], bool]:
    """(the mount targets of ``fs``, whether others may be its own but cannot be placed)."""
    index = stack.referrers((MOUNT_TARGET,), "fileSystemId", (EFS,))
    mine = [t for t, exact in index.of(fs) if exact]
    return mine, bool(unplaced_mount_targets(stack, fs))


def unplaced_mount_targets(stack: Stack, fs: Res) -> list[Res]:
    """Mount targets that may be ``fs``'s but whose file system cannot be resolved."""
    index = stack.referrers((MOUNT_TARGET,), "fileSystemId", (EFS,))
    return [t for t, exact in index.of(fs) if not exact] + list(index.unplaced)


# -- the checks ------------------------------------------------------------------------------


def _zone_coverage(stack: Stack, who: Res, fs: Res, subnets: list[Res]) -> Iterator[Finding]:
    targets, undecided = _mount_targets(stack, fs)
    zones = _zones(stack, subnets)
    if zones is UNKNOWN:
        yield Unverifiable(f"cannot verify the AZs of {label(who)}: the AZ names of its subnets are not known"), who.urn
        return
    target_subnets: list[Res] = []
    for target in targets:
        found = stack.refs(target, "subnetId", (SUBNET,))
        if not found.complete:
            yield Unverifiable(f"cannot verify {label(target)}: {found.why_not_complete('its subnet')}"), who.urn
            return
        target_subnets += found.found
    covered = _zones(stack, target_subnets) if target_subnets else set()
    if covered is UNKNOWN:
        yield Unverifiable(f"cannot verify the zones of the mount targets of {label(fs)}"), who.urn
        return
    missing = sorted(map(str, zones - covered))
    if missing and undecided:
        yield Unverifiable(f"cannot verify the mount targets of {label(fs)} for {label(who)}"), who.urn
    elif missing:
        yield (
            f"{label(who)} runs in {', '.join(missing)}, where {label(fs)} has no mount target; add one per AZ "
            "(SharedFileSystem creates one per subnet it is given).",
            who.urn,
        )


def _nfs_reachable(stack: Stack, who: Res, fs: Res, peers: Refs, subnets: list[Res]) -> Iterator[Finding]:
    targets, undecided = _mount_targets(stack, fs)
    cidrs = [s.get("cidrBlock") for s in subnets]
    cidrs = [] if any(c is UNKNOWN or not c for c in cidrs) else cidrs
    for target in targets:
        groups = stack.refs(target, "securityGroups", SG_TYPES, optional=True)
        if groups.unplaced:
            yield Unverifiable(f"cannot verify the security groups of {label(target)}"), who.urn
            continue
        candidates: list[Res | str] = [*groups.found, *groups.outside]
        verdicts = [admits(stack, g, peers, cidrs, NFS_PORT) for g in candidates]
        if not groups.exact:
            # The target has some of these groups: admitted for sure only if each admits.
            verdicts = [_all_of(verdicts)]
        if True in verdicts:
            continue
        if UNKNOWN in verdicts or groups.outside:
            where = f" ({groups.outside[0]} is not in this stack)" if groups.outside else ""
            yield Unverifiable(f"cannot verify that {label(target)} admits NFS from {label(who)}{where}"), who.urn
        else:
            yield (
                f"no security group of {label(target)} admits TCP 2049 from {label(who)}'s security groups or "
                f"subnets: mounts time out. Allow it (SharedFileSystem.allow_from(<workload security group>)).",
                who.urn,
            )
            return
    if not targets and undecided:
        yield Unverifiable(f"cannot verify the mount targets of {label(fs)} for {label(who)}"), who.urn


def _all_of(verdicts: list[Any]) -> Any:
    return True if all(v is True for v in verdicts) else False if all(v is False for v in verdicts) else UNKNOWN


def _soften(findings: Iterator[Finding], exact: bool, why: str) -> Iterator[Finding]:
    """Violations found on candidates (not :attr:`Refs.exact`) are not certain: say so."""
    for message, urn in findings:
        if exact or isinstance(message, Unverifiable):
            yield message, urn
        else:
            yield Unverifiable(f"cannot verify ({why}): {message}"), urn


def _platform_version(service: Res) -> Iterator[Finding]:
    version = service.setting("platformVersion", default="LATEST")
    if version is UNKNOWN:
        yield Unverifiable(f"cannot verify the platform version of {label(service)}"), service.urn
        return
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", str(version))
    if version != "LATEST" and (match is None or tuple(map(int, match.groups())) < (1, 4, 0)):
        yield f"{label(service)} runs Fargate platform {version}; EFS volumes need 1.4.0 or LATEST.", service.urn


@dataclass(frozen=True)
class _Principal:
    name: str
    arn: Any
    """The role ARN the client presents, None for an anonymous client, or UNKNOWN."""
    identity_policies: list[Any]
    boundary: list[Any] | None = None


def _grants(stack: Stack, who: Res, fs: Res, mount: Mount, identities: Refs | None) -> Iterator[Finding]:
    """The file system policy (and the identity's policies) allow the mount through its access
    point, and writing when it is writable. ``identities`` None: an anonymous client."""
    policies, unresolved = policies_of(stack, fs)
    if not policies and not unresolved:
        return  # no file system policy: EFS allows every client that reaches a mount target
    documents = [json_value(p, "policy") for p in policies] + [UNKNOWN for _ in unresolved]
    access_points = mount.access_point
    if access_points.unplaced or access_points.outside or not access_points.exact:
        ap_arn: Any = UNKNOWN
    elif access_points.found:
        ap_arn = access_points.found[0].get("arn", default=UNKNOWN)
    else:
        ap_arn = None
    # The access point is part of the connection, with or without an IAM identity: the mount
    # helper puts it in the TLS client certificate either way (aws/efs-utils
    # src/mount_efs/__init__.py ca_extension_builder), so anonymous clients are matched on it too.
    context = {
        "aws:SecureTransport": mount.tls,
        "elasticfilesystem:AccessPointArn": ap_arn,
        "elasticfilesystem:AccessedViaMountTarget": True,
        "aws:SourceIp": None,  # mount targets are private addresses; the key is for public ones
    }
    fs_arn = fs.get("arn")
    resource = fs_arn if isinstance(fs_arn, str) else None
    principals: list[_Principal] = []
    if identities is not None and not identities:
        yield Unverifiable(f"cannot verify {mount.what}: it mounts with an IAM identity, none in this stack"), who.urn
        return
    if identities is None:
        principals.append(_Principal("an anonymous client", None, []))
    else:
        for role in identities.found:
            arn = role.get("arn")
            principals.append(
                _Principal(
                    label(role),
                    arn if isinstance(arn, str) else UNKNOWN,
                    identity_documents(stack, role),
                    boundary_documents(stack, role),
                )
            )
        for arn in identities.outside:
            # Its own policies (and any boundary) are outside the stack.
            principals.append(_Principal(f"role {arn}", arn, [UNKNOWN], [UNKNOWN]))
        if identities.unplaced:
            principals.append(_Principal("its role", UNKNOWN, [UNKNOWN]))
    through = f" through {label(access_points.found[0])}" if access_points.found and access_points.exact else ""
    wanted = [(MOUNT, "mount")] + ([(WRITE, "write")] if mount.writable is not False else [])
    for principal in principals:
        name = principal.name
        for action, verb in wanted:
            if principal.arn is UNKNOWN:
                verdict = UNKNOWN
            else:
                request = Request(action, resource, principal.arn, context, bounded=principal.boundary is not None)
                verdict = allows(documents, principal.identity_policies, request, principal.boundary)
            if verdict is True:
                continue
            if verdict is UNKNOWN or (action == WRITE and mount.writable is UNKNOWN):
                yield (
                    Unverifiable(f"cannot verify that {name} may {verb} {label(fs)}{through} for {mount.what}"),
                    who.urn,
                )
                continue
            hint = (
                "SharedFileSystem.grant_anonymous(access_point)"
                if identities is None
                else "SharedFileSystem.grant(role, access_point, writable=...)"
            )
            yield (
                f"{name} may not {verb} {label(fs)}{through} ({action} is not allowed for {mount.what}): "
                f"{'the mount fails with access denied by server' if verb == 'mount' else 'writes fail'}. "
                f"Grant it ({hint}).",
                who.urn,
            )
            break  # without ClientMount, ClientWrite is moot


def _has_default_route(stack: Stack, table: Res) -> Any:
    routes = table.setting("routes", default=[])
    if routes is UNKNOWN:
        return UNKNOWN
    for route in as_list(routes):
        if not isinstance(route, dict) or route.get("cidrBlock") in ("0.0.0.0/0", UNKNOWN):
            return True
    index = stack.referrers((ROUTE,), "routeTableId", TABLES)
    if index.unplaced:
        return UNKNOWN
    return any(route.setting("destinationCidrBlock") in ("0.0.0.0/0", UNKNOWN) for route, _ in index.of(table))


_ENDPOINTS_NEEDED = {"ecr.api": "interface", "ecr.dkr": "interface", "logs": "interface", "s3": "gateway"}


def _gateway_serves(stack: Stack, endpoint: Res, tables: Refs) -> Any:
    """Whether a gateway endpoint routes for the subnet's route tables: a gateway endpoint is a
    route in the tables it is attached to (``route_table_ids`` or
    ``VpcEndpointRouteTableAssociation``), and only those."""
    served = Refs.union(
        [stack.refs(endpoint, "routeTableIds", TABLES, optional=True)]
        + [
            stack.refs(association, "routeTableId", TABLES)
            for association, _ in stack.referrers((ENDPOINT_ROUTES,), "vpcEndpointId", (ENDPOINT,)).of(endpoint)
        ]
    )
    if {t.urn for t in tables.found} <= {t.urn for t in served.found}:
        return True
    return UNKNOWN if served.unplaced or served.outside or not served.exact else False


def _endpoints(stack: Stack, who: Res, subnets: list[Res], td: Res) -> Iterator[Finding]:
    for subnet in subnets:
        tables = subnet_route_tables(stack, subnet)
        if not tables.complete:
            yield Unverifiable(f"cannot verify the routes of {label(subnet)}"), who.urn
            return
        routes = [_has_default_route(stack, t) for t in tables.found]
        if True in routes:
            continue
        if UNKNOWN in routes:
            yield Unverifiable(f"cannot verify the routes of {label(subnet)}"), who.urn
            return
        vpcs = stack.refs(subnet, "vpcId", (VPC,))
        if not vpcs.complete or not vpcs.found:
            yield Unverifiable(f"cannot verify the endpoints of {label(subnet)}: its VPC is not in this stack"), who.urn
            return
        needed = dict(_ENDPOINTS_NEEDED)
        definitions = containers(td)
        if definitions is UNKNOWN:
            unsure = True
        else:
            unsure = False
            text = json.dumps(definitions)
            if ":secretsmanager:" in text:
                needed["secretsmanager"] = "interface"
            if ":ssm:" in text:
                needed["ssm"] = "interface"
        present: set[str] = set()
        undecided: set[str] = set()
        index = stack.referrers((ENDPOINT,), "vpcId", (VPC,))
        for vpc in vpcs.found:
            for endpoint, _ in index.of(vpc):
                service_name = endpoint.get("serviceName")
                if not isinstance(service_name, str):
                    continue
                kind = str(endpoint.setting("vpcEndpointType", default="Gateway")).lower()
                dns = flag(endpoint.setting("privateDnsEnabled"), default=False)
                for name, wanted in needed.items():
                    if not service_name.endswith("." + name) or kind != wanted:
                        continue
                    serves = _gateway_serves(stack, endpoint, tables) if wanted == "gateway" else dns is True
                    if serves is True:
                        present.add(name)
                    elif serves is UNKNOWN:
                        undecided.add(name)
        missing = sorted(set(needed) - present)
        if missing and (index.unplaced or set(missing) <= undecided):
            why = (
                f"the VPC of {label(index.unplaced[0])} is not known"
                if index.unplaced
                else f"the route tables of the {', '.join(missing)} gateway endpoint are not known"
            )
            yield Unverifiable(f"cannot verify the endpoints of {label(subnet)}: {why}"), who.urn
            return
        if missing:
            yield (
                f"{label(who)} runs in {label(subnet)}, which has no route out (no NAT), and the VPC lacks the "
                f"{', '.join(missing)} endpoint(s) for it (interface endpoints with private DNS; the S3 gateway "
                "endpoint on its route table): image pulls or logs fail. Add them (Network interfaceEndpoints) or a "
                "NAT gateway.",
                who.urn,
            )
            return
        if unsure and not {"secretsmanager", "ssm"} <= present:
            yield (
                Unverifiable(
                    f"cannot verify the endpoints {label(who)} needs: the container definitions of {label(td)} are not "
                    "known (secrets would need secretsmanager or ssm)"
                ),
                who.urn,
            )
            return


def _ecs(stack: Stack) -> Iterator[Finding]:
    for service in stack.of_type(SERVICE):
        tds = stack.refs(service, "taskDefinition", (TASK_DEFINITION,))
        if tds.outside or tds.unplaced:
            why = tds.why_not_complete("its task definition")
            yield Unverifiable(f"cannot verify {label(service)}: {why}"), service.urn
        for td in tds.found:
            mounts = _ecs_mounts(stack, td)
            if mounts is UNKNOWN:
                yield Unverifiable(f"cannot verify the volumes of {label(td)}"), service.urn
                continue
            if not mounts:
                continue
            if not tds.exact:
                yield Unverifiable(f"cannot verify {label(service)}: its task definition may be {label(td)}"), td.urn
                continue
            yield from _service_mounts(stack, service, td, mounts)


def _service_mounts(stack: Stack, service: Res, td: Res, mounts: list[Mount]) -> Iterator[Finding]:
    """Where the service's subnets cannot be placed (outside the stack, unknown), what depends on
    them is not verifiable; the platform version, the task role and its grants still are."""
    subnets: Refs | None = None
    network = service.setting("networkConfiguration")
    if network is UNKNOWN or network is None:
        yield Unverifiable(f"cannot verify the network of {label(service)}"), service.urn
    else:
        subnets = stack.refs(service, ("networkConfiguration", "subnets"), (SUBNET,))
        if subnets.outside or subnets.unplaced:
            yield Unverifiable(f"cannot verify {label(service)}: {subnets.why_not_complete('its subnet')}"), service.urn
            subnets = None
    if service.setting("launchType") != "EC2":
        yield from _platform_version(service)
    if subnets is not None:
        found, exact = list(subnets.found), subnets.exact
        candidates = f"its subnets are some of {', '.join(label(s) for s in found)}"
        peers = stack.refs(service, ("networkConfiguration", "securityGroups"), SG_TYPES)
        if not peers:
            # Without security groups, awsvpc tasks get the VPC's default group.
            vpcs = [v for s in found for v in stack.refs(s, "vpcId", (VPC,)).found]
            peers = Refs(tuple(stack.canonical(v, SG_TYPES) for v in vpcs))
        yield from _soften(_endpoints(stack, service, found, td), exact, candidates)
    roles = stack.refs(td, "taskRoleArn", (ROLE,), optional=True)
    for mount in mounts:
        if not mount.file_systems.complete:
            yield (
                Unverifiable(f"cannot verify {mount.what}: {mount.file_systems.why_not_complete('the file system')}"),
                service.urn,
            )
        for fs in mount.file_systems.found:
            if subnets is not None:
                placed = chain(
                    _zone_coverage(stack, service, fs, found), _nfs_reachable(stack, service, fs, peers, found)
                )
                yield from _soften(placed, exact, candidates)
            if mount.iam and not roles:
                yield (
                    f"{label(td)} mounts {label(fs)} with IAM authorization but has no task role (with iam ENABLED "
                    "the task role is the identity EFS checks); set task_role_arn.",
                    service.urn,
                )
                continue
            yield from _grants(stack, service, fs, mount, roles if mount.iam else None)


def _cluster_peers(stack: Stack) -> Refs:
    """What EKS pods connect from: each cluster's security group (Fargate pods and managed nodes
    use it); the cluster stands for the group EKS creates with it."""
    return Refs(tuple(stack.of_type(EKS)))


def _fargate_only_storage(stack: Stack) -> Iterator[Finding]:
    """On a cluster with Fargate profiles and no nodes the built-in driver supports static
    provisioning only."""
    if not stack.of_type(FARGATE_PROFILE) or stack.of_type(NODE_GROUP):
        return
    for sc in stack.of_type(STORAGE_CLASS):
        provisioner = sc.get("provisioner")
        parameters = sc.setting("parameters", default={})
        mode = value(parameters, "provisioningMode") if provisioner in (EFS_CSI, UNKNOWN) else None
        if UNKNOWN in (provisioner, mode):
            yield Unverifiable(f"cannot verify whether {label(sc)} provisions EFS access points"), sc.urn
        elif provisioner == EFS_CSI and mode == "efs-ap":
            yield (
                f"{label(sc)} provisions EFS access points dynamically, which EKS Fargate does not support: claims "
                "stay Pending. Use a static PersistentVolume (fs-…::fsap-…), or add EC2 nodes.",
                sc.urn,
            )


def _managed_csi_driver(stack: Stack) -> Iterator[Finding]:
    """A program must not manage the ``efs.csi.aws.com`` CSIDriver object of an EKS cluster.

    EKS ships it (Fargate: "A Pod running on Fargate automatically mounts an Amazon EFS file
    system, without needing manual driver installation steps", awsdocs/amazon-eks-user-guide
    ``latest/ug/storage/efs-csi.adoc``; EC2 nodes: the aws-efs-csi-driver add-on creates it).
    pulumi-kubernetes creates objects client-side unless the provider sets
    ``upsertExistingObjects`` (pulumi/pulumi-kubernetes#4278), so the create fails with
    AlreadyExists; with upsert, a later delete or replace removes EKS's object and every EFS
    mount on the cluster fails ("driver name efs.csi.aws.com not found in the list of registered
    CSI drivers", eksctl-io/eksctl#7518, kubernetes-sigs/aws-efs-csi-driver#1494). Reported at
    this rule's level (mandatory): either way the deploy breaks mounts. A ``CSIDriverPatch``
    (server-side apply of some fields, relinquished on delete) is not reported.
    """
    drivers = stack.of_type(CSI_DRIVER)
    if not drivers:
        return
    # Reads (aws.eks.Cluster.get) are in the stack as external resources: they count too.
    on_eks = bool(stack.of_type(EKS, FARGATE_PROFILE, NODE_GROUP, ADDON))
    for driver in drivers:
        name = driver.get("metadata", "name")
        if name is UNKNOWN:
            yield Unverifiable(f"cannot verify the name of {label(driver)}"), driver.urn
        elif name != EFS_CSI:
            continue
        elif not on_eks:
            yield (
                Unverifiable(
                    f"cannot verify whether the cluster of {label(driver)} is EKS (which ships the '{EFS_CSI}' "
                    "CSIDriver): no EKS cluster is in this stack"
                ),
                driver.urn,
            )
        else:
            yield (
                f"{label(driver)} manages the CSIDriver '{EFS_CSI}', which EKS already ships (built in on Fargate, "
                "created by the aws-efs-csi-driver add-on on nodes): its create fails with AlreadyExists, and "
                "deleting it breaks every EFS mount of the cluster. Remove it from the program.",
                driver.urn,
            )


def _kubernetes(stack: Stack) -> Iterator[Finding]:
    """EFS CSI PersistentVolumes: the file system has mount targets in every AZ of the EKS
    Fargate profiles and node groups, reachable on 2049 from the cluster security group, and a
    policy that allows the mount's identity; Fargate-only clusters use no dynamic provisioning;
    the program does not manage EKS's own CSIDriver object."""
    placement = Refs.union(
        stack.refs(group, "subnetIds", (SUBNET,)) for group in stack.of_type(FARGATE_PROFILE, NODE_GROUP)
    )
    workload_subnets = list(placement.found)
    placement_known = not placement.outside and not placement.unplaced
    candidates = f"its pods run in some of {', '.join(label(s) for s in workload_subnets)}"
    peers = _cluster_peers(stack)
    node_roles = Refs.union(stack.refs(group, "nodeRoleArn", (ROLE,)) for group in stack.of_type(NODE_GROUP))
    for pv in stack.of_type(PV):
        driver = pv.get("spec", "csi", "driver")
        if driver is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(pv)}: its CSI driver is not known"), pv.urn
            continue
        if driver != EFS_CSI:
            continue
        mount = _pv_mount(stack, pv)
        if mount is None:
            continue
        if mount is UNKNOWN:
            yield Unverifiable(f"cannot verify the mount options of {label(pv)}"), pv.urn
            continue
        if not mount.file_systems.complete:
            yield (
                Unverifiable(f"cannot verify {label(pv)}: {mount.file_systems.why_not_complete('its file system')}"),
                pv.urn,
            )
        for fs in mount.file_systems.found:
            if not placement_known:
                yield Unverifiable(f"cannot verify where the pods of {label(pv)} run"), pv.urn
            elif workload_subnets:
                yield from _soften(_zone_coverage(stack, pv, fs, workload_subnets), placement.exact, candidates)
            elif not _mount_targets(stack, fs)[0]:
                yield f"{label(fs)}, mounted by {label(pv)}, has no mount target.", pv.urn
            if peers:
                yield from _soften(_nfs_reachable(stack, pv, fs, peers, workload_subnets), placement.exact, candidates)
            yield from _grants(stack, pv, fs, mount, node_roles if mount.iam else None)
    yield from _fargate_only_storage(stack)
    yield from _managed_csi_driver(stack)


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[Finding]:
    yield from _ecs(stack)
    yield from _kubernetes(stack)


efs_mount_readiness = stack_rule(
    "efs-platform-efs-mount-readiness",
    "Workloads that mount EFS (ECS services, EFS CSI PersistentVolumes) must be able to: mount "
    "targets in every AZ they run in, TCP 2049 admitted from their security groups, Fargate "
    "1.4.0+, their identity allowed by the file system policy to mount through their access point "
    "and to write when the mount is writable (task role, node role, or anonymous EKS Fargate "
    "mounts), the ECR/S3/logs endpoints in private subnets without NAT, on EKS Fargate static "
    "provisioning only, and no program-managed CSIDriver efs.csi.aws.com (EKS ships it). No "
    "Security Hub control or checkov check covers this.",
    _check,
)

__all__ = ["EKS", "efs_mount_readiness", "parse_volume_handle"]
