"""The VPC default security group admits and sends nothing.

Anything created without security groups falls back to the VPC's default group (an EFS mount
target whose ``securityGroups`` were forgotten, say), and AWS's default rules let every member
talk to every other and reach anywhere. Every VPC in the stack must therefore adopt its default
group with ``aws.ec2.DefaultSecurityGroup`` and no rules, and no rule resource may add to it
(whether it names the adopted group or the VPC's ``defaultSecurityGroupId``).
Security Hub EC2.2; checkov CKV2_AWS_12.
"""

from collections.abc import Iterator
from typing import Any

from ._graph import DEFAULT_SG, SG_TYPES, UNKNOWN, VPC, Stack, as_list, label
from ._rule import Unverifiable, stack_rule

RULES = (
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    adopted: set[str] = set()
    default_groups: set[str] = set()
    for group in stack.of_type(DEFAULT_SG):
        default_groups.add(group.urn)
        for direction in ("ingress", "egress"):
            rules = group.setting(direction, default=[])
            if rules is UNKNOWN:
                yield Unverifiable(f"cannot verify {label(group)}: its {direction} rules are not known"), group.urn
            elif as_list(rules):
                yield f"{label(group)} has {direction} rules; the default security group must have none.", group.urn
        vpcs = stack.refs(group, "vpcId", (VPC,))
        if vpcs.unplaced:
            yield Unverifiable(f"cannot verify {label(group)}: its VPC cannot be resolved"), group.urn
        adopted.update(v.urn for v in vpcs.found)

    for vpc in stack.of_type(VPC):
        if vpc.urn not in adopted:
            yield (
                f"{label(vpc)} leaves its default security group with AWS's default rules; adopt it with "
                "aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id) and no ingress or egress.",
                vpc.urn,
            )

    for rule in stack.of_type(*RULES):
        # The group as the rule names it: the adopted group, or the VPC's defaultSecurityGroupId
        # output (which resolves to the VPC when the stack does not adopt the group).
        targets = stack.refs(rule, "securityGroupId", SG_TYPES)
        hits = [t for t in targets.found if t.urn in default_groups or t.type == VPC]
        if hits and (targets.exact or len(hits) == len(targets.found)):
            yield (
                f"{label(rule)} adds a rule to a VPC default security group; use a dedicated security group.",
                rule.urn,
            )
        elif hits or targets.unplaced:
            yield Unverifiable(f"cannot verify {label(rule)}: its security group is not known"), rule.urn


default_security_group_closed = stack_rule(
    "efs-platform-ec2-default-security-group-closed",
    "Every VPC's default security group must be adopted (aws.ec2.DefaultSecurityGroup) with no "
    "ingress or egress rules, and no rule may be added to it. Security Hub EC2.2; checkov CKV2_AWS_12.",
    _check,
)
