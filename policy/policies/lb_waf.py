"""Internet-facing Application Load Balancers are behind an AWS WAF web ACL (advisory).

A load balancer is protected when a ``wafv2.WebAclAssociation`` (or WAF Classic's
``wafregional.WebAclAssociation``) of the stack names it in ``resource_arn``, by a known ARN or
an output reference (resolved through the association's property dependencies, as a preview of
a new stack shows it). An association whose ``resource_arn`` is not known, or names an ALB
outside the stack while this one's ARN is not known yet, may be for it: cannot verify. A web ACL
attached outside the stack (AWS Firewall Manager) is not seen: lower the rule in the policy
config then. Security Hub ELB.16 ("Application Load Balancers should be associated with an AWS
WAF web ACL", https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html);
checkov CKV2_AWS_28 ("Ensure public facing ALB are protected by WAF").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import Stack, label
from ._lb import LOAD_BALANCERS, internet_facing_alb
from ._rule import ADVISORY, Unverifiable, stack_rule

ASSOCIATIONS = ("aws:wafv2/webAclAssociation:WebAclAssociation", "aws:wafregional/webAclAssociation:WebAclAssociation")


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    albs = stack.of_type(*LOAD_BALANCERS)
    if not albs:
        return
    associations = stack.referrers(ASSOCIATIONS, "resourceArn", LOAD_BALANCERS)
    # Known ARNs of application load balancers that are not in the stack.
    foreign = [k for k in associations.by_key if k.startswith("arn:") and ":loadbalancer/app/" in k]
    for lb in albs:
        facing = internet_facing_alb(lb)
        if isinstance(facing, Unverifiable):
            yield facing, lb.urn
            continue
        if not facing:
            continue
        named = associations.of(lb)
        if any(exact for _, exact in named):
            continue
        own_arn = lb.get("arn")
        if named or associations.unplaced or (foreign and not isinstance(own_arn, str)):
            yield (
                Unverifiable(
                    f"cannot verify {label(lb)}: a web ACL association whose resource_arn is not known in this "
                    "preview may be for it"
                ),
                lb.urn,
            )
            continue
        yield (
            f"{label(lb)} is internet-facing and no AWS WAF web ACL is associated with it; associate one "
            "(wafv2.WebAclAssociation) with AWS managed rule groups (efs-platform: albWaf).",
            lb.urn,
        )


lb_waf = stack_rule(
    "efs-platform-lb-waf",
    "Internet-facing Application Load Balancers must be associated with an AWS WAF web ACL "
    "(wafv2.WebAclAssociation naming the load balancer). Security Hub ELB.16; checkov CKV2_AWS_28.",
    _check,
    level=ADVISORY,
)
