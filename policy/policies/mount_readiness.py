"""EFS mounts that would fail on the first deploy, found in the graph before it.

For every ECS service whose task definition mounts an EFS file system, and every Kubernetes
PersistentVolume of the EFS CSI driver:

1. a mount target in every AZ the workload's subnets span;
2. a mount target security group that admits TCP 2049 from the workload's security group (or
   from its subnets' CIDRs);
3. the VPC has DNS support and DNS hostnames on ("Failed to resolve fs-….efs…");
4. Fargate platform version 1.4.0 or later;
5. with IAM authorization on, the task role is granted ClientMount by the file system policy (or
   by a policy of its own): "access denied by server while mounting";
6. in private subnets without a default route (no NAT), the ecr.api, ecr.dkr and logs interface
   endpoints with private DNS and the S3 gateway endpoint exist (and secretsmanager / ssm when the
   container reads secrets or registry credentials from them), or image pulls fail;
7. for EFS CSI volumes: 2049 admitted from the EKS cluster security group (Fargate pods and
   managed nodes use it); the file system policy allows the mount's identity (anonymous without
   the ``iam`` mount option, which is how EKS Fargate always mounts; the node role with it); on a
   cluster with Fargate profiles and no nodes, the ``efs.csi.aws.com`` CSIDriver object exists and
   no StorageClass provisions access points dynamically.

No Security Hub control or checkov check covers mount readiness.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from ._graph import (
    SG_TYPES,
    UNKNOWN,
    NestedView,
    Stack,
    as_list,
    ingress_rules,
    json_value,
    label,
    setting,
    statements,
    value,
)
from ._rule import Unverifiable, stack_rule
from .efs_tls_policy import EFS, policies_of
from .private_subnet_public_ip import ROUTE, SUBNET, TABLES, VPC, subnet_route_tables

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PV = "kubernetes:core/v1:PersistentVolume"
FARGATE_PROFILE = "aws:eks/fargateProfile:FargateProfile"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
CSI_DRIVER = "kubernetes:storage.k8s.io/v1:CSIDriver"
EFS_CSI = "efs.csi.aws.com"
MOUNT_ACTIONS = {"elasticfilesystem:ClientMount", "elasticfilesystem:*", "*"}

Finding = tuple[str, str]


# -- reading the workload --------------------------------------------------------------------


def _efs_volumes(td: PolicyResource) -> Any:
    """The task definition's EFS volumes as (fileSystemId, iam enabled) pairs, or UNKNOWN."""
    volumes = setting(td, "volumes", default=[], shallow=True)
    if volumes is UNKNOWN:
        return UNKNOWN
    found = []
    for i in range(len(as_list(volumes))):
        config = value(td.props, "volumes", i, "efsVolumeConfiguration", shallow=True)
        if config is None or config is UNKNOWN:
            if config is UNKNOWN:
                return UNKNOWN
            continue
        fs_id = value(config, "fileSystemId")
        iam = value(config, "authorizationConfig", "iam")
        found.append((fs_id, iam == "ENABLED"))
    return found


def _file_systems(stack: Stack, holder: PolicyResource, prop: str, fs_id: Any) -> Any:
    """The EFS file systems an id (known or not) inside ``holder.props[prop]`` names."""
    if fs_id is not UNKNOWN and fs_id is not None:
        return [fs for fs in stack.of_type(EFS) if value(fs.props, "id") == fs_id] or [
            d for d in holder.property_dependencies.get(prop, []) if d.resource_type == EFS
        ]
    deps = [d for d in holder.property_dependencies.get(prop, []) if d.resource_type == EFS]
    return deps or UNKNOWN


def _subnet_zones(stack: Stack, subnets: list[PolicyResource]) -> Any:
    zones = set()
    for subnet in subnets:
        zone = value(subnet.props, "availabilityZone")
        if zone is UNKNOWN or zone is None:
            zone = value(subnet.props, "availabilityZoneId")
        if zone is UNKNOWN or zone is None:
            return UNKNOWN
        zones.add(zone)
    return zones


def _mount_targets(stack: Stack, fs: PolicyResource) -> Any:
    targets = []
    for target in stack.of_type(MOUNT_TARGET):
        owners = stack.refs(target, "fileSystemId", (EFS,))
        if owners is UNKNOWN:
            return UNKNOWN
        if fs in owners:
            targets.append(target)
    return targets


# -- the checks ------------------------------------------------------------------------------


def _zone_coverage(
    stack: Stack, who: PolicyResource, fs: PolicyResource, subnets: list[PolicyResource]
) -> Iterator[Finding]:
    targets = _mount_targets(stack, fs)
    zones = _subnet_zones(stack, subnets)
    if targets is UNKNOWN or zones is UNKNOWN:
        yield Unverifiable(f"cannot verify the mount targets of {label(fs)} for {label(who)}"), who.urn
        return
    target_subnets = []
    for target in targets:
        found = stack.refs(target, "subnetId", (SUBNET,))
        if found is UNKNOWN or not found:
            yield Unverifiable(f"cannot verify the subnet of {label(target)}"), who.urn
            return
        target_subnets += found
    covered = _subnet_zones(stack, target_subnets)
    if covered is UNKNOWN:
        yield Unverifiable(f"cannot verify the zones of the mount targets of {label(fs)}"), who.urn
        return
    missing = sorted(zones - covered)
    if missing:
        yield (
            f"{label(who)} runs in {', '.join(missing)}, where {label(fs)} has no mount target; add one per AZ "
            "(SharedFileSystem creates one per subnet it is given).",
            who.urn,
        )


def _admits(stack: Stack, group: PolicyResource, peers: list[Any], cidrs: list[str]) -> Any:
    """Whether ``group`` admits TCP 2049 from one of ``peers`` (groups, ids of groups outside the
    stack, or the resources that compute them) or from every one of ``cidrs``."""
    undecided = False
    for rule in ingress_rules(stack, group):
        if rule.unknown:
            undecided = True
            continue
        if not rule.covers(2049):
            continue
        if rule.self_reference and group in peers:
            return True
        if rule.peers is UNKNOWN:
            undecided = True
        elif any(p in peers for p in rule.peers if isinstance(p, (PolicyResource, str))):
            return True
        networks = []
        for c in rule.cidrs:
            if c is UNKNOWN:
                undecided = True
            else:
                networks.append(ipaddress.ip_network(str(c), strict=False))
        v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
        if cidrs and all(any(ipaddress.IPv4Network(c).subnet_of(n) for n in v4) for c in cidrs):
            return True
    return UNKNOWN if undecided else False


def _nfs_reachable(
    stack: Stack, who: PolicyResource, fs: PolicyResource, peers: Any, subnets: list[PolicyResource]
) -> Iterator[Finding]:
    targets = _mount_targets(stack, fs)
    if targets is UNKNOWN or peers is UNKNOWN:
        yield Unverifiable(f"cannot verify NFS access from {label(who)} to {label(fs)}"), who.urn
        return
    cidrs = [value(s.props, "cidrBlock") for s in subnets]
    if any(c is UNKNOWN for c in cidrs):
        cidrs = []
    for target in targets:
        groups = stack.refs(target, "securityGroups", SG_TYPES)
        if groups is UNKNOWN:
            yield Unverifiable(f"cannot verify the security groups of {label(target)}"), who.urn
            continue
        verdicts = [_admits(stack, g, peers, [c for c in cidrs if c]) for g in groups]
        if True in verdicts:
            continue
        if UNKNOWN in verdicts:
            yield Unverifiable(f"cannot verify the NFS rules of {label(target)}"), who.urn
        else:
            yield (
                f"no security group of {label(target)} admits TCP 2049 from {label(who)}'s security groups or "
                f"subnets: mounts time out. Allow it (SharedFileSystem.allow_from(<workload security group>)).",
                who.urn,
            )
            return


def _vpc_dns(stack: Stack, who: PolicyResource, subnets: list[PolicyResource]) -> Iterator[Finding]:
    seen = set()
    for subnet in subnets:
        vpcs = stack.refs(subnet, "vpcId", (VPC,))
        if vpcs is UNKNOWN:
            yield Unverifiable(f"cannot verify the VPC of {label(subnet)}"), who.urn
            continue
        for vpc in vpcs:
            if vpc.urn in seen:
                continue
            seen.add(vpc.urn)
            for prop, default in (("enableDnsSupport", True), ("enableDnsHostnames", False)):
                flag = setting(vpc, prop, default=default)
                if flag is UNKNOWN:
                    yield Unverifiable(f"cannot verify {prop} of {label(vpc)}"), who.urn
                elif flag is not True:
                    yield f"{label(who)} mounts EFS by name but {label(vpc)} has {prop} off; turn it on.", who.urn


def _platform_version(service: PolicyResource) -> Iterator[Finding]:
    version = setting(service, "platformVersion", default="LATEST")
    if version is UNKNOWN:
        yield Unverifiable(f"cannot verify the platform version of {label(service)}"), service.urn
        return
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", str(version))
    if version != "LATEST" and (match is None or tuple(map(int, match.groups())) < (1, 4, 0)):
        yield f"{label(service)} runs Fargate platform {version}; EFS volumes need 1.4.0 or LATEST.", service.urn


def _grants(doc: Any, role_arn: Any) -> bool:
    for s in statements(doc):
        if s.get("Effect") != "Allow" or not MOUNT_ACTIONS & set(as_list(s.get("Action"))):
            continue
        principal = s.get("Principal")
        arns = as_list(principal.get("AWS")) if isinstance(principal, Mapping) else as_list(principal)
        if "*" in arns or role_arn in arns:
            return True
    return False


def _role_granted(stack: Stack, fs: PolicyResource, role: PolicyResource) -> Any:
    role_arn = value(role.props, "arn")
    undecided = False
    policies, unresolved = policies_of(stack, fs)
    if unresolved:
        undecided = True
    if not policies and not unresolved:
        return True  # no file system policy: EFS allows every client that can reach it
    for policy in policies:
        doc = json_value(policy, "policy")
        if doc is UNKNOWN or role_arn is UNKNOWN:
            # The document waits for ARNs; it can name the role only if it depends on it.
            if role in policy.property_dependencies.get("policy", []):
                return True
            continue
        if _grants(doc, role_arn):
            return True
    for inline in stack.of_type(ROLE_POLICY):
        owners = stack.refs(inline, "role", (ROLE,), id_prop="name")
        if owners is UNKNOWN:
            undecided = True
        elif role in owners:
            doc = json_value(inline, "policy")
            if doc is UNKNOWN:
                undecided = True
            elif any(
                s.get("Effect") == "Allow" and MOUNT_ACTIONS & set(as_list(s.get("Action"))) for s in statements(doc)
            ):
                return True
    return UNKNOWN if undecided else False


def _iam_grant(stack: Stack, service: PolicyResource, td: PolicyResource, fs: PolicyResource) -> Iterator[Finding]:
    roles = stack.refs(td, "taskRoleArn", (ROLE,), id_prop="arn")
    if roles is UNKNOWN:
        yield Unverifiable(f"cannot verify the task role of {label(td)}"), service.urn
        return
    if not roles:
        if value(td.props, "taskRoleArn") is None:
            yield (
                f"{label(td)} mounts {label(fs)} with IAM authorization but has no task role (with iam ENABLED "
                "the task role is the identity EFS checks); set task_role_arn.",
                service.urn,
            )
        return
    for role in roles:
        granted = _role_granted(stack, fs, role)
        if granted is UNKNOWN:
            yield Unverifiable(f"cannot verify that {label(role)} may mount {label(fs)}"), service.urn
        elif granted is False:
            yield (
                f"{label(role)}, the task role of {label(service)}, is not granted elasticfilesystem:ClientMount on "
                f"{label(fs)}: the mount fails with 'access denied by server'. Use SharedFileSystem.grant(role, "
                f"access_point).",
                service.urn,
            )


def _has_default_route(stack: Stack, table: PolicyResource) -> Any:
    routes = setting(table, "routes", default=[], shallow=True)
    if routes is UNKNOWN:
        return UNKNOWN
    for i in range(len(as_list(routes))):
        if value(table.props, "routes", i, "cidrBlock") in ("0.0.0.0/0", UNKNOWN):
            return True
    for route in stack.of_type(ROUTE):
        owner = stack.refs(route, "routeTableId", TABLES)
        if owner is UNKNOWN:
            return UNKNOWN
        if table in owner and setting(route, "destinationCidrBlock") == "0.0.0.0/0":
            return True
    return False


def _endpoints(
    stack: Stack, who: PolicyResource, subnets: list[PolicyResource], td: PolicyResource
) -> Iterator[Finding]:
    for subnet in subnets:
        tables = subnet_route_tables(stack, subnet)
        if tables is UNKNOWN:
            yield Unverifiable(f"cannot verify the routes of {label(subnet)}"), who.urn
            return
        routes = [_has_default_route(stack, t) for t in tables]
        if True in routes:
            continue
        if UNKNOWN in routes:
            yield Unverifiable(f"cannot verify the routes of {label(subnet)}"), who.urn
            return
        vpcs = stack.refs(subnet, "vpcId", (VPC,))
        if vpcs is UNKNOWN or not vpcs:
            yield Unverifiable(f"cannot verify the VPC of {label(subnet)}"), who.urn
            return
        needed = {"ecr.api": "Interface", "ecr.dkr": "Interface", "logs": "Interface", "s3": "Gateway"}
        definitions = json.dumps(json_value(td, "containerDefinitions") or [])
        if ":secretsmanager:" in definitions:
            needed["secretsmanager"] = "Interface"
        if ":ssm:" in definitions:
            needed["ssm"] = "Interface"
        present = set()
        unplaced = []  # endpoints whose VPC cannot be told
        for endpoint in stack.of_type(ENDPOINT):
            owners = stack.refs(endpoint, "vpcId", (VPC,))
            if owners is UNKNOWN:
                unplaced.append(endpoint)
                continue
            if not set(vpcs) & set(owners):
                continue
            service_name = str(value(endpoint.props, "serviceName") or "")
            kind = setting(endpoint, "vpcEndpointType", default="Gateway")
            dns = setting(endpoint, "privateDnsEnabled", default=False)
            for name, wanted in needed.items():
                if service_name.endswith("." + name) and kind == wanted and (wanted == "Gateway" or dns is True):
                    present.add(name)
        missing = sorted(set(needed) - present)
        if missing and unplaced:
            yield (
                Unverifiable(
                    f"cannot verify the endpoints of {label(subnet)}: the VPC of {label(unplaced[0])} is not known"
                ),
                who.urn,
            )
            return
        if missing:
            yield (
                f"{label(who)} runs in {label(subnet)}, which has no route out (no NAT), and the VPC lacks the "
                f"{', '.join(missing)} endpoint(s) (interface endpoints with private DNS): image pulls or logs fail. "
                "Add them (Network interfaceEndpoints) or a NAT gateway.",
                who.urn,
            )
            return


def _ecs(stack: Stack) -> Iterator[Finding]:
    for service in stack.of_type(SERVICE):
        tds = stack.refs(service, "taskDefinition", (TASK_DEFINITION,), id_prop="arn")
        if tds is UNKNOWN:
            yield Unverifiable(f"cannot verify the task definition of {label(service)}"), service.urn
            continue
        for td in tds:
            volumes = _efs_volumes(td)
            if volumes is UNKNOWN:
                yield Unverifiable(f"cannot verify the volumes of {label(td)}"), service.urn
                continue
            if not volumes:
                continue
            network = setting(service, "networkConfiguration", shallow=True)
            if network is UNKNOWN or network is None:
                yield Unverifiable(f"cannot verify the network of {label(service)}"), service.urn
                continue
            view = NestedView(service, "networkConfiguration", network)
            subnets = stack.refs(view, "subnets", (SUBNET,))
            peers = stack.refs(view, "securityGroups", SG_TYPES)
            if subnets is UNKNOWN:
                yield Unverifiable(f"cannot verify the subnets of {label(service)}"), service.urn
                continue
            if setting(service, "launchType") != "EC2":
                yield from _platform_version(service)
            yield from _vpc_dns(stack, service, subnets)
            yield from _endpoints(stack, service, subnets, td)
            for fs_id, iam in volumes:
                file_systems = _file_systems(stack, td, "volumes", fs_id)
                if file_systems is UNKNOWN:
                    yield Unverifiable(f"cannot verify the file system {label(td)} mounts"), service.urn
                    continue
                for fs in file_systems:
                    yield from _zone_coverage(stack, service, fs, subnets)
                    yield from _nfs_reachable(stack, service, fs, peers, subnets)
                    if iam:
                        yield from _iam_grant(stack, service, td, fs)


def _cluster_peers(stack: Stack) -> list[Any]:
    """What EKS pods connect from: each cluster's security group (Fargate pods and managed nodes
    use it), as its id when known, else as the cluster that computes it."""
    peers: list[Any] = []
    for cluster in stack.of_type(EKS):
        peers.append(cluster)
        group_id = value(cluster.props, "vpcConfig", "clusterSecurityGroupId")
        if isinstance(group_id, str):
            peers.append(group_id)
    return peers


def _anonymous_granted(stack: Stack, fs: PolicyResource) -> Any:
    """Whether clients without an IAM identity may mount ``fs`` (no policy, or one allowing
    ClientMount to ``*``)."""
    policies, unresolved = policies_of(stack, fs)
    if not policies and not unresolved:
        return True  # no file system policy: EFS allows every client that can reach it
    undecided = bool(unresolved)
    for policy in policies:
        doc = json_value(policy, "policy")
        if doc is UNKNOWN:
            undecided = True
        elif _grants(doc, "*"):
            return True
    return UNKNOWN if undecided else False


def _mount_identity(stack: Stack, pv: PolicyResource, fs: PolicyResource) -> Iterator[Finding]:
    """Without the ``iam`` mount option the driver mounts anonymously (always, on Fargate); with
    it, as the node's role. The file system policy must allow that identity."""
    options = value(pv.props, "spec", "mountOptions", default=[])
    if options is UNKNOWN:
        yield Unverifiable(f"cannot verify the mount options of {label(pv)}"), pv.urn
        return
    if "iam" not in [str(o).lower() for o in as_list(options)]:
        granted = _anonymous_granted(stack, fs)
        if granted is UNKNOWN:
            yield Unverifiable(f"cannot verify that {label(fs)} allows {label(pv)}'s mount"), pv.urn
        elif granted is False:
            yield (
                f"{label(pv)} mounts without the iam option (EKS Fargate pods always do: they have no IAM identity "
                f"to present), but the file system policy of {label(fs)} allows no anonymous ClientMount: 'access "
                "denied by server while mounting'. Grant its access point (SharedFileSystem.grant_anonymous).",
                pv.urn,
            )
        return
    for group in stack.of_type(NODE_GROUP):
        roles = stack.refs(group, "nodeRoleArn", (ROLE,), id_prop="arn")
        if roles is UNKNOWN:
            yield Unverifiable(f"cannot verify the node role of {label(group)}"), pv.urn
            continue
        for role in roles:
            granted = _role_granted(stack, fs, role)
            if granted is UNKNOWN:
                yield Unverifiable(f"cannot verify that {label(role)} may mount {label(fs)}"), pv.urn
            elif granted is False:
                yield (
                    f"{label(pv)} mounts with the iam option as the node role {label(role)}, which the file system "
                    f"policy of {label(fs)} does not grant ClientMount: 'access denied by server while mounting'.",
                    pv.urn,
                )


def _fargate_only_storage(stack: Stack) -> Iterator[Finding]:
    """On a cluster with Fargate profiles and no nodes the built-in driver needs the CSIDriver
    object and supports static provisioning only."""
    if not stack.of_type(FARGATE_PROFILE) or stack.of_type(NODE_GROUP):
        return
    for sc in stack.of_type(STORAGE_CLASS):
        if value(sc.props, "provisioner") == EFS_CSI and value(sc.props, "parameters", "provisioningMode") == "efs-ap":
            yield (
                f"{label(sc)} provisions EFS access points dynamically, which EKS Fargate does not support: claims "
                "stay Pending. Use a static PersistentVolume (fs-…::fsap-…), or add EC2 nodes.",
                sc.urn,
            )
    pvs = [pv for pv in stack.of_type(PV) if value(pv.props, "spec", "csi", "driver") == EFS_CSI]
    drivers = [d for d in stack.of_type(CSI_DRIVER) if value(d.props, "metadata", "name") in (EFS_CSI, UNKNOWN)]
    addons = [a for a in stack.of_type(ADDON) if value(a.props, "addonName") == "aws-efs-csi-driver"]
    if pvs and not drivers and not addons:
        yield (
            f"{label(pvs[0])} uses the EFS CSI driver on EKS Fargate, but the stack creates no CSIDriver "
            f"'{EFS_CSI}' object (attachRequired: false): pods stay in ContainerCreating. Create one.",
            pvs[0].urn,
        )


def _kubernetes(stack: Stack) -> Iterator[Finding]:
    """EFS CSI PersistentVolumes: the file system has mount targets in every AZ of the EKS
    Fargate profiles and node groups, reachable on 2049 from the cluster security group, in a VPC
    with DNS, and a policy that allows the mount's identity; Fargate-only clusters get the
    CSIDriver object and no dynamic provisioning."""
    workload_subnets: list[PolicyResource] = []
    for token in (FARGATE_PROFILE, NODE_GROUP):
        for group in stack.of_type(token):
            found = stack.refs(group, "subnetIds", (SUBNET,))
            if found is not UNKNOWN:
                workload_subnets += found
    peers = _cluster_peers(stack)
    for pv in stack.of_type(PV):
        if value(pv.props, "spec", "csi", "driver") != EFS_CSI:
            continue
        handle = value(pv.props, "spec", "csi", "volumeHandle")
        fs_id = handle.split("::")[0].split(":")[0] if isinstance(handle, str) else handle
        file_systems = _file_systems(stack, pv, "spec", fs_id)
        if file_systems is UNKNOWN:
            yield Unverifiable(f"cannot verify the file system of {label(pv)}"), pv.urn
            continue
        for fs in file_systems:
            if workload_subnets:
                yield from _zone_coverage(stack, pv, fs, workload_subnets)
                yield from _vpc_dns(stack, pv, workload_subnets)
            elif not _mount_targets(stack, fs):
                yield f"{label(fs)}, mounted by {label(pv)}, has no mount target.", pv.urn
            if peers:
                yield from _nfs_reachable(stack, pv, fs, peers, workload_subnets)
            yield from _mount_identity(stack, pv, fs)
    yield from _fargate_only_storage(stack)


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[Finding]:
    yield from _ecs(stack)
    yield from _kubernetes(stack)


efs_mount_readiness = stack_rule(
    "efs-platform-efs-mount-readiness",
    "Workloads that mount EFS (ECS services, EFS CSI PersistentVolumes) must be able to: mount "
    "targets in every AZ they run in, TCP 2049 admitted from their security groups, VPC DNS on, "
    "Fargate 1.4.0+, their identity allowed by the file system policy (task role, node role, or "
    "anonymous EKS Fargate mounts), the ECR/S3/logs endpoints in private subnets without NAT, and "
    "on EKS Fargate the CSIDriver object and static provisioning only. No Security Hub control or "
    "checkov check covers this.",
    _check,
)

__all__ = ["EKS", "efs_mount_readiness"]
