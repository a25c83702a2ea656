"""VPC DNS support and DNS hostnames on, where EFS or private endpoint DNS is used.

EFS mount helpers resolve ``fs-….efs.<region>.amazonaws.com`` through the VPC resolver, which
answers only with both attributes on ("Failed to resolve" otherwise); interface endpoints with
private DNS need both too, and EC2 refuses to create one without them
(https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html). So the rule applies
to the VPCs that host EFS mount targets, EFS clients (ECS services with EFS volumes, EKS clusters
with EFS CSI volumes) or interface endpoints with private DNS, not to every VPC. AWS defaults
DNS support on and DNS hostnames OFF, so an absent ``enableDnsHostnames`` is off.
No Security Hub control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import SUBNET, UNKNOWN, VPC, Invalid, Refs, Res, Stack, flag, label
from ._rule import Unverifiable, stack_rule

MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
EKS = "aws:eks/cluster:Cluster"
PV = "kubernetes:core/v1:PersistentVolume"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EFS_CSI = "efs.csi.aws.com"


def _vpcs_of_subnets(stack: Stack, subnets: Refs) -> Refs:
    found: list[Res] = []
    outside = list(subnets.outside)
    unplaced = subnets.unplaced
    for subnet in subnets.found:
        vpcs = stack.refs(subnet, "vpcId", (VPC,))
        found += vpcs.found
        outside += vpcs.outside
        unplaced = unplaced or vpcs.unplaced
    return Refs(tuple(found), tuple(outside), unplaced)


def _has_efs_volume(stack: Stack, service: Res) -> Any:
    tds = stack.refs(service, "taskDefinition", (TASK_DEFINITION,))
    if tds.unplaced:
        return UNKNOWN
    verdict: Any = False
    for td in tds.found:
        volumes = td.setting("volumes", default=[])
        if volumes is UNKNOWN:
            verdict = UNKNOWN
            continue
        for volume in volumes:
            config = volume.get("efsVolumeConfiguration") if isinstance(volume, dict) else UNKNOWN
            if config is UNKNOWN:
                verdict = UNKNOWN
            elif config is not None:
                return True
    return verdict


def dns_users(stack: Stack) -> tuple[dict[str, str], list[Res]]:
    """(VPC urn -> why it needs DNS, resources that may need it where this preview cannot tell:
    in a VPC not known here, or whose need is not known)."""
    needs: dict[str, str] = {}
    unplaced: list[Res] = []

    def need(who: Res, vpcs: Refs, why: str, certain: Any = True) -> None:
        if certain is not True:
            unplaced.append(who)
            return
        for vpc in vpcs.found:
            needs.setdefault(vpc.urn, f"{label(who)} {why}")
        if vpcs.unplaced:
            unplaced.append(who)

    for target in stack.of_type(MOUNT_TARGET):
        need(target, _vpcs_of_subnets(stack, stack.refs(target, "subnetId", (SUBNET,))), "is an EFS mount target in it")
    for service in stack.of_type(SERVICE):
        efs = _has_efs_volume(stack, service)
        if efs is False:
            continue
        subnets = stack.refs(service, ("networkConfiguration", "subnets"), (SUBNET,))
        need(service, _vpcs_of_subnets(stack, subnets), "mounts EFS in it", efs)
    drivers = {pv.get("spec", "csi", "driver") for pv in stack.of_type(PV)}
    if drivers & {EFS_CSI, UNKNOWN}:
        for cluster in stack.of_type(EKS):
            subnets = stack.refs(cluster, ("vpcConfig", "subnetIds"), (SUBNET,))
            certain = True if EFS_CSI in drivers else UNKNOWN
            need(cluster, _vpcs_of_subnets(stack, subnets), "runs pods that mount EFS in it", certain)
    for endpoint in stack.of_type(ENDPOINT):
        kind = endpoint.setting("vpcEndpointType", default="Gateway")
        dns = flag(endpoint.setting("privateDnsEnabled"), default=False)
        if (kind is not UNKNOWN and str(kind).lower() != "interface") or dns is False:
            continue
        certain = True if kind is not UNKNOWN and dns is True else UNKNOWN
        need(
            endpoint, stack.refs(endpoint, "vpcId", (VPC,)), "is an interface endpoint with private DNS in it", certain
        )
    return needs, unplaced


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    needs, unplaced = dns_users(stack)
    for vpc in stack.of_type(VPC):
        for prop, default in (("enableDnsSupport", True), ("enableDnsHostnames", False)):
            setting = flag(vpc.setting(prop), default=default)
            if setting is True:
                continue
            why = needs.get(vpc.urn)
            if why is None and not unplaced:
                continue  # nothing in this VPC resolves EFS or endpoint names
            if setting is UNKNOWN or isinstance(setting, Invalid):
                yield Unverifiable(f"cannot verify {label(vpc)}: {prop} is not known in this preview"), vpc.urn
            elif why is None:
                yield (
                    Unverifiable(
                        f"cannot verify {label(vpc)}: {prop} is off, and the VPC of {label(unplaced[0])} is not known"
                    ),
                    vpc.urn,
                )
            else:
                yield (
                    f"{label(vpc)} has {prop} off, but {why}: names do not resolve ('Failed to resolve fs-…'); set "
                    f"{prop}=True.",
                    vpc.urn,
                )


vpc_dns_enabled = stack_rule(
    "efs-platform-ec2-vpc-dns-enabled",
    "VPCs that host EFS mount targets, EFS clients or interface endpoints with private DNS must have "
    "DNS support and DNS hostnames enabled (enable_dns_support=True, enable_dns_hostnames=True). "
    "Security Hub: none; checkov: none.",
    _check,
)
