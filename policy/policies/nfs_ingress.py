"""No ingress covering TCP 2049 (NFS) from the internet or from outside the VPC.

Rules are read wherever they are declared: inline on ``aws.ec2.SecurityGroup``, and as
``aws.ec2.SecurityGroupRule`` and ``aws.vpc.SecurityGroupIngressRule`` resources; port ranges
and protocol ``-1`` (all) count, and ports given as strings are read as the provider reads them.
A CIDR is inside the VPC when it lies within the CIDR of the group's VPC (or a secondary CIDR
associated with it); for a group or VPC outside the stack that cannot be known. No Security Hub
control or checkov check covers NFS specifically.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._graph import UNKNOWN, VPC, Ingress, Res, Stack, all_ingress, flag, label, source_cidrs
from ._rule import Unverifiable, stack_rule

NFS_PORT = 2049
CIDR_ASSOCIATION = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
IPV6_ASSOCIATION = "aws:ec2/vpcIpv6CidrBlockAssociation:VpcIpv6CidrBlockAssociation"


@dataclass(frozen=True)
class Networks:
    """The address ranges of a VPC (with its associated CIDR blocks)."""

    known: list[Any]
    ipv6_unknown: bool = False
    """The VPC has an IPv6 range this preview cannot read (Amazon-provided or from IPAM)."""


def vpc_networks(stack: Stack, group: Res) -> Any:
    """The :class:`Networks` of the group's VPC, or UNKNOWN."""
    return stack.memo(("vpc-networks", group.urn), lambda: _vpc_networks(stack, group))


def _vpc_networks(stack: Stack, group: Res) -> Any:
    vpcs = stack.refs(group, "vpcId", (VPC,), optional=True)
    if not vpcs.complete or not vpcs.found:
        return UNKNOWN
    networks: list[Any] = []
    ipv6_unknown = False
    for vpc in vpcs.found:
        # A VPC always has an IPv4 range: absent means computed (from IPAM), not known here.
        ipv4 = vpc.get("cidrBlock")
        if ipv4 is UNKNOWN or not ipv4:
            return UNKNOWN
        networks.append(ipaddress.ip_network(str(ipv4), strict=False))
        # An IPv6 range is there only when the program asks for one (given, from IPAM, or
        # Amazon-provided): absent and never set means none.
        ipv6 = vpc.setting("ipv6CidrBlock")
        if isinstance(ipv6, str) and ipv6:
            networks.append(ipaddress.ip_network(ipv6, strict=False))
        elif (
            ipv6 is UNKNOWN
            or flag(vpc.setting("assignGeneratedIpv6CidrBlock"), default=False) is not False
            or vpc.setting("ipv6IpamPoolId") not in (None, "")
        ):
            ipv6_unknown = True
        associations = stack.referrers((CIDR_ASSOCIATION, IPV6_ASSOCIATION), "vpcId", (VPC,))
        if associations.unplaced:
            return UNKNOWN  # it may add a range to this VPC
        for association, _ in associations.of(vpc):
            prop = "cidrBlock" if association.type == CIDR_ASSOCIATION else "ipv6CidrBlock"
            cidr = association.get(prop)
            if isinstance(cidr, str) and cidr:
                networks.append(ipaddress.ip_network(cidr, strict=False))
            elif association.type == CIDR_ASSOCIATION:
                return UNKNOWN  # a range from IPAM, not known here
            else:
                ipv6_unknown = True
    return Networks(networks, ipv6_unknown)


def _findings(stack: Stack, rule: Ingress) -> Iterator[tuple[str, str]]:
    covers = rule.covers(NFS_PORT)
    if covers is False:
        return
    for cidr in source_cidrs(stack, rule):
        if cidr is UNKNOWN:
            what = (
                f"the prefix list {rule.prefix_lists.outside[0]} is not in this stack"
                if rule.prefix_lists.outside
                else "a source CIDR is not known"
            )
            yield Unverifiable(f"cannot verify {label(rule.holder)}: {what}"), rule.holder.urn
            continue
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            continue  # not a CIDR: the provider refuses it
        if covers is UNKNOWN:
            yield (
                Unverifiable(f"cannot verify {label(rule.holder)}: its protocol or ports are not known"),
                rule.holder.urn,
            )
            continue
        where = " and ".join(label(g) for g in rule.groups.found) or "its security group"
        if network.prefixlen == 0:
            yield (
                f"{label(rule.holder)} opens NFS (TCP 2049) on {where} to {cidr}; admit only the workloads' "
                "security groups (SharedFileSystem.allow_from).",
                rule.holder.urn,
            )
            continue
        if not rule.groups.complete:
            yield (
                Unverifiable(
                    f"cannot verify {label(rule.holder)} (NFS from {cidr}): "
                    f"{rule.groups.why_not_complete('the security group')}"
                ),
                rule.holder.urn,
            )
            continue
        for group in rule.groups.found:
            networks = vpc_networks(stack, group)
            if networks is not UNKNOWN and network.version == 6 and networks.ipv6_unknown:
                networks = UNKNOWN
            if networks is UNKNOWN:
                yield (
                    Unverifiable(f"cannot verify {label(rule.holder)}: the VPC CIDR of {label(group)} is not known"),
                    rule.holder.urn,
                )
            elif not any(network.version == n.version and network.subnet_of(n) for n in networks.known):
                yield (
                    f"{label(rule.holder)} admits NFS (TCP 2049) on {label(group)} from {cidr}, outside the VPC "
                    f"({', '.join(map(str, networks.known))}); admit only the workloads inside it.",
                    rule.holder.urn,
                )


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for rule in all_ingress(stack):
        yield from _findings(stack, rule)


nfs_ingress_restricted = stack_rule(
    "efs-platform-ec2-nfs-ingress-restricted",
    "No security group may admit TCP 2049 (NFS) from 0.0.0.0/0, ::/0 or any CIDR outside its VPC "
    "(inline rules, SecurityGroupRule and SecurityGroupIngressRule; port ranges and protocol -1 count). "
    "Security Hub: none; checkov: none.",
    _check,
)

__all__ = ["NFS_PORT", "nfs_ingress_restricted", "vpc_networks"]
