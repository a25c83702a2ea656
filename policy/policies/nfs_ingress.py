"""No ingress covering TCP 2049 (NFS) from the internet or from outside the VPC.

Rules are read wherever they are declared: inline on ``aws.ec2.SecurityGroup``, and as
``aws.ec2.SecurityGroupRule`` and ``aws.vpc.SecurityGroupIngressRule`` resources; port ranges
and protocol ``-1`` (all) count. A CIDR is inside the VPC when it lies within the CIDR of the
group's VPC (or a secondary CIDR associated with it). No Security Hub control or checkov check
covers NFS specifically.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource

from ._graph import SECURITY_GROUP, UNKNOWN, Stack, ingress_rules, label, setting, value
from ._rule import Unverifiable, stack_rule

NFS_PORT = 2049
VPC = "aws:ec2/vpc:Vpc"
CIDR_ASSOCIATION = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"


def vpc_networks(stack: Stack, group: PolicyResource) -> Any:
    """The address ranges of the group's VPC, or UNKNOWN."""
    vpcs = stack.refs(group, "vpcId", (VPC,))
    if vpcs is UNKNOWN or not vpcs:
        return UNKNOWN
    networks = []
    for vpc in vpcs:
        for cidr in (setting(vpc, "cidrBlock"), setting(vpc, "ipv6CidrBlock")):
            if cidr is UNKNOWN:
                return UNKNOWN
            if cidr:
                networks.append(ipaddress.ip_network(cidr, strict=False))
        for association in stack.of_type(CIDR_ASSOCIATION):
            owners = stack.refs(association, "vpcId", (VPC,))
            if owners is UNKNOWN:
                return UNKNOWN  # it may add a range to this VPC
            cidr = value(association.props, "cidrBlock")
            if vpc in owners and cidr:
                if cidr is UNKNOWN:
                    return UNKNOWN
                networks.append(ipaddress.ip_network(cidr, strict=False))
    return networks


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for group in stack.of_type(SECURITY_GROUP):
        networks = None  # read only when a rule needs it
        for rule in ingress_rules(stack, group):
            if rule.unknown:
                yield (
                    Unverifiable(f"cannot verify {label(rule.holder)}: its protocol or ports are not known"),
                    rule.holder.urn,
                )
                continue
            if not rule.covers(NFS_PORT):
                continue
            for cidr in rule.cidrs:
                if cidr is UNKNOWN:
                    yield (
                        Unverifiable(f"cannot verify {label(rule.holder)}: a source CIDR is not known"),
                        rule.holder.urn,
                    )
                    continue
                network = ipaddress.ip_network(str(cidr), strict=False)
                if network.prefixlen == 0:
                    yield (
                        f"{label(rule.holder)} opens NFS (TCP 2049) on {label(group)} to {cidr}; admit only the "
                        "workloads' security groups (SharedFileSystem.allow_from).",
                        rule.holder.urn,
                    )
                    continue
                if networks is None:
                    networks = vpc_networks(stack, group)
                if networks is UNKNOWN:
                    yield (
                        Unverifiable(
                            f"cannot verify {label(rule.holder)}: the VPC CIDR of {label(group)} is not known"
                        ),
                        rule.holder.urn,
                    )
                elif not any(network.version == n.version and network.subnet_of(n) for n in networks):
                    yield (
                        f"{label(rule.holder)} admits NFS (TCP 2049) on {label(group)} from {cidr}, outside the VPC "
                        f"({', '.join(map(str, networks))}); admit only the workloads inside it.",
                        rule.holder.urn,
                    )


nfs_ingress_restricted = stack_rule(
    "efs-platform-ec2-nfs-ingress-restricted",
    "No security group may admit TCP 2049 (NFS) from 0.0.0.0/0, ::/0 or any CIDR outside its VPC "
    "(inline rules, SecurityGroupRule and SecurityGroupIngressRule; port ranges and protocol -1 count). "
    "Security Hub: none; checkov: none.",
    _check,
)

__all__ = ["nfs_ingress_restricted"]
