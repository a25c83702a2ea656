"""The VPC default security group admits and sends nothing.

Anything created without security groups falls back to the VPC's default group (an EFS mount
target whose ``securityGroups`` were forgotten, say), and AWS's default rules let every member
talk to every other and reach anywhere. Every VPC in the stack must therefore adopt its default
group with ``aws.ec2.DefaultSecurityGroup`` and no rules, and no rule resource may add to it.
Security Hub EC2.2; checkov CKV2_AWS_12.
"""

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Stack, as_list, label, setting
from ._rule import Unverifiable, stack_rule

VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
RULES = (
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    adopted: set[str] = set()
    for group in stack.of_type(DEFAULT_SG):
        for direction in ("ingress", "egress"):
            rules = setting(group, direction, default=[])
            if rules is UNKNOWN:
                yield Unverifiable(f"cannot verify {label(group)}: its {direction} rules are not known"), group.urn
            elif as_list(rules):
                yield f"{label(group)} has {direction} rules; the default security group must have none.", group.urn
        vpcs = stack.refs(group, "vpcId", (VPC,))
        if vpcs is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(group)}: its VPC cannot be resolved"), group.urn
            continue
        adopted.update(v.urn for v in vpcs)

    for vpc in stack.of_type(VPC):
        if vpc.urn not in adopted:
            yield (
                f"{label(vpc)} leaves its default security group with AWS's default rules; adopt it with "
                "aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id) and no ingress or egress.",
                vpc.urn,
            )

    for rule in stack.of_type(*RULES):
        # A rule on the default group names either the adopted group or the VPC's
        # defaultSecurityGroupId output (then its property dependency is the VPC itself).
        targets = stack.refs(rule, "securityGroupId", (DEFAULT_SG,))
        via_vpc = stack.refs(rule, "securityGroupId", (VPC,), id_prop="defaultSecurityGroupId")
        if targets is UNKNOWN and via_vpc is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(rule)}: its security group is not known"), rule.urn
        elif (targets is not UNKNOWN and targets) or (via_vpc is not UNKNOWN and via_vpc):
            yield (
                f"{label(rule)} adds a rule to a VPC default security group; use a dedicated security group.",
                rule.urn,
            )


default_security_group_closed = stack_rule(
    "efs-platform-ec2-default-security-group-closed",
    "Every VPC's default security group must be adopted (aws.ec2.DefaultSecurityGroup) with no "
    "ingress or egress rules, and no rule may be added to it. Security Hub EC2.2; checkov CKV2_AWS_12.",
    _check,
)
