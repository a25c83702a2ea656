"""VPC DNS support and DNS hostnames on, where EFS or private endpoint DNS is used.

EFS mount helpers resolve ``fs-….efs.<region>.amazonaws.com`` through the VPC resolver, which
answers only with both attributes on ("Failed to resolve" otherwise); interface endpoints with
private DNS need both too ("To use a private hosted zone, you must set the following VPC
attributes to true: enableDnsHostnames and enableDnsSupport": EC2 API reference,
CreateVpcEndpoint, PrivateDnsEnabled). So the rule applies to the VPCs that host EFS mount
targets, EFS clients (ECS services with EFS volumes, EKS clusters with EFS CSI volumes) or
interface endpoints with private DNS, not to every VPC; for such a resource in a VPC outside the
stack it cannot verify. AWS defaults DNS support on and DNS hostnames OFF, so an absent
``enableDnsHostnames`` is off.
No Security Hub control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._graph import SUBNET, UNKNOWN, VPC, Invalid, Refs, Res, Stack, flag, label, unclear
from ._rule import Unverifiable, stack_rule

MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
EKS = "aws:eks/cluster:Cluster"
PV = "kubernetes:core/v1:PersistentVolume"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EFS_CSI = "efs.csi.aws.com"


def _vpcs_of_subnets(stack: Stack, subnets: Refs) -> Refs:
    """The VPCs of ``subnets`` (a subnet outside the stack is in a VPC outside it)."""
    return Refs.union(
        [Refs(outside=subnets.outside, unplaced=subnets.unplaced)]
        + [stack.refs(subnet, "vpcId", (VPC,)) for subnet in subnets.found]
    )


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


@dataclass
class DnsUser:
    who: Res
    why: str
    """What it does in the VPC: "is an EFS mount target", "mounts EFS"..."""
    vpcs: Refs
    certain: Any
    """True, or UNKNOWN when whether it needs DNS is not known in this preview."""


def dns_users(stack: Stack) -> list[DnsUser]:
    """What resolves EFS or private endpoint names, and in which VPCs."""
    users: list[DnsUser] = []
    for target in stack.of_type(MOUNT_TARGET):
        vpcs = _vpcs_of_subnets(stack, stack.refs(target, "subnetId", (SUBNET,)))
        users.append(DnsUser(target, "is an EFS mount target", vpcs, True))
    for service in stack.of_type(SERVICE):
        efs = _has_efs_volume(stack, service)
        if efs is not False:
            subnets = stack.refs(service, ("networkConfiguration", "subnets"), (SUBNET,))
            users.append(DnsUser(service, "mounts EFS", _vpcs_of_subnets(stack, subnets), efs))
    drivers = {pv.get("spec", "csi", "driver") for pv in stack.of_type(PV)}
    if drivers & {EFS_CSI, UNKNOWN}:
        for cluster in stack.of_type(EKS):
            subnets = stack.refs(cluster, ("vpcConfig", "subnetIds"), (SUBNET,))
            certain = True if EFS_CSI in drivers else UNKNOWN
            users.append(DnsUser(cluster, "runs pods that mount EFS", _vpcs_of_subnets(stack, subnets), certain))
    for endpoint in stack.of_type(ENDPOINT):
        kind = endpoint.setting("vpcEndpointType", default="Gateway")
        dns = flag(endpoint.setting("privateDnsEnabled"), default=False)
        if (kind is not UNKNOWN and str(kind).lower() != "interface") or dns is False:
            continue
        certain = True if kind is not UNKNOWN and dns is True else UNKNOWN
        vpcs = stack.refs(endpoint, "vpcId", (VPC,))
        users.append(DnsUser(endpoint, "is an interface endpoint with private DNS", vpcs, certain))
    return users


def _dns_off(vpc: Res) -> list[tuple[str, Any]]:
    """(attribute, its value) for each DNS attribute of ``vpc`` that is not on."""
    found = []
    for prop, default in (("enableDnsSupport", True), ("enableDnsHostnames", False)):
        setting = flag(vpc.setting(prop), default=default)
        if setting is not True:
            found.append((prop, setting))
    return found


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    reported: set[tuple[str, str]] = set()
    for user in dns_users(stack):
        if user.vpcs.outside or user.vpcs.unplaced:
            where = f"{user.vpcs.outside[0]} is not in this stack" if user.vpcs.outside else "it is not known here"
            yield (
                Unverifiable(
                    f"cannot verify the DNS attributes of the VPC in which {label(user.who)} {user.why}: {where}"
                ),
                user.who.urn,
            )
        for vpc in user.vpcs.found:
            for prop, setting in _dns_off(vpc):
                if (vpc.urn, prop) in reported:
                    continue
                if setting is UNKNOWN or isinstance(setting, Invalid) or user.certain is not True:
                    why = (
                        unclear(prop, setting)
                        if setting is UNKNOWN or isinstance(setting, Invalid)
                        else f"{prop} is off, and {label(user.who)} may need it"
                    )
                    yield Unverifiable(f"cannot verify {label(vpc)}: {why}"), vpc.urn
                    continue
                reported.add((vpc.urn, prop))
                yield (
                    f"{label(vpc)} has {prop} off, but {label(user.who)} {user.why} in it: names do not resolve "
                    f"('Failed to resolve fs-…'); set {prop}=True.",
                    vpc.urn,
                )


vpc_dns_enabled = stack_rule(
    "efs-platform-ec2-vpc-dns-enabled",
    "VPCs that host EFS mount targets, EFS clients or interface endpoints with private DNS must have "
    "DNS support and DNS hostnames enabled (enable_dns_support=True, enable_dns_hostnames=True). "
    "Security Hub: none; checkov: none.",
    _check,
)
