"""Load balancer rules (lb-access-logs, lb-waf): a compliant internet-facing ALB with access logs
and a web ACL, and cases that each change one thing, with known outputs and as a preview of a new
stack (where the association names the ALB through an unknown ARN)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from offline.analysis import LoadedPack, effective_config
from tests.conftest import MODES, ROOT, violations

RULES = ("efs-platform-lb-access-logs", "efs-platform-lb-waf")
FOREIGN_ALB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/elsewhere/0123456789abcdef"


@dataclass(frozen=True)
class Alb:
    """An ALB in public subnets, logging to a bucket, behind a wafv2 web ACL."""

    module: str = "lb"  # "lb" | "alb": aws.lb.LoadBalancer or its older name aws.alb.LoadBalancer
    kind: str | None = "application"  # None: the provider's default
    internal: Any = False
    access_logs: str = "enabled"  # "enabled" | "absent" | "disabled" | "bucket-only" | "text-true" | "text-yes"
    association: str = "wafv2"
    """"wafv2" | "wafregional" | "none" | "other-alb" (the ACL protects another ALB) | "foreign-arn"
    (an ALB ARN from config) | "apply" (lb.arn through an apply) | "either" (computed from two
    ALBs' ARNs)."""


def program(alb: Alb) -> None:
    bucket = aws.s3.Bucket("logs")
    logs: dict[str, Any] | None = {
        "enabled": {"bucket": bucket.bucket, "enabled": True},
        "absent": None,
        "disabled": {"bucket": bucket.bucket, "enabled": False},
        "bucket-only": {"bucket": bucket.bucket},
        "text-true": {"bucket": bucket.bucket, "enabled": "true"},
        "text-yes": {"bucket": bucket.bucket, "enabled": "yes"},
    }[alb.access_logs]
    module = aws.lb if alb.module == "lb" else aws.alb
    extra: dict[str, Any] = {} if alb.kind is None else {"load_balancer_type": alb.kind}
    lb = module.LoadBalancer(
        "public", internal=alb.internal, subnets=["subnet-1", "subnet-2"], access_logs=logs, **extra
    )
    other = aws.lb.LoadBalancer("internal", internal=True, subnets=["subnet-3", "subnet-4"])
    if alb.association == "none":
        return
    if alb.association == "wafregional":
        classic = aws.wafregional.WebAcl("acl", metric_name="acl", default_action={"type": "ALLOW"})
        aws.wafregional.WebAclAssociation("waf", resource_arn=lb.arn, web_acl_id=classic.id)
        return
    acl = aws.wafv2.WebAcl(
        "acl",
        scope="REGIONAL",
        default_action={"allow": {}},
        visibility_config={"cloudwatch_metrics_enabled": True, "metric_name": "acl", "sampled_requests_enabled": True},
    )
    target: Any = {
        "wafv2": lb.arn,
        "other-alb": other.arn,
        "foreign-arn": FOREIGN_ALB,
        "apply": lb.arn.apply(lambda arn: arn),
        "either": pulumi.Output.all(lb.arn, other.arn).apply(lambda arns: arns[0]),
    }[alb.association]
    aws.wafv2.WebAclAssociation("waf", resource_arn=target, web_acl_arn=acl.arn)


def found(pack: LoadedPack, alb: Alb, unknowns: bool) -> set[tuple[str, str, str]]:
    """(rule, level, resource) of these rules' findings; a "cannot verify" is level "unverified"
    (a stack rule's is reported for the stack, naming the resource in its message)."""
    return {
        (
            v.policy.removeprefix("efs-platform-"),
            "unverified" if "can't run policy" in v.message else v.level,
            v.urn.rsplit("::", 1)[-1] if v.urn else "stack",
        )
        for v in violations(pack, lambda: program(alb), unknowns)
        if v.policy in RULES
    }


BASELINE = Alb()
NO_LOGS_NO_WAF = replace(BASELINE, access_logs="disabled", association="other-alb")
NO_LOGS = ("lb-access-logs", "advisory", "public")
NO_WAF = ("lb-waf", "advisory", "public")


@pytest.mark.parametrize("unknowns", MODES)
def test_baseline_is_compliant(pack: LoadedPack, unknowns: bool) -> None:
    assert found(pack, BASELINE, unknowns) == set()


CASES = {
    "no-access-logs": (replace(BASELINE, access_logs="absent"), {NO_LOGS}),
    "access-logs-disabled": (replace(BASELINE, access_logs="disabled"), {NO_LOGS}),
    "bucket-without-enabled": (replace(BASELINE, access_logs="bucket-only"), {NO_LOGS}),
    "no-web-acl": (replace(BASELINE, association="none"), {NO_WAF}),
    "web-acl-on-another-alb": (replace(BASELINE, association="other-alb"), {NO_WAF}),
    "default-type-is-application": (replace(BASELINE, kind=None, access_logs="absent"), {NO_LOGS}),
    "older-module-name": (replace(BASELINE, module="alb", association="none"), {NO_WAF}),
    "enabled-refused-text": (
        replace(BASELINE, access_logs="text-yes"),
        {("lb-access-logs", "unverified", "public")},
    ),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_one_change_one_violation(pack: LoadedPack, case: str, unknowns: bool) -> None:
    alb, expected = CASES[case]
    assert found(pack, alb, unknowns) == expected


COMPLIANT = {
    "internal": replace(BASELINE, internal=True, access_logs="absent", association="none"),
    "internal-as-text": replace(BASELINE, internal="true", access_logs="absent", association="none"),
    "network": replace(BASELINE, kind="network", access_logs="absent", association="none"),
    "waf-classic": replace(BASELINE, association="wafregional"),
    "arn-through-apply": replace(BASELINE, association="apply"),
    "enabled-as-text": replace(BASELINE, access_logs="text-true"),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(COMPLIANT))
def test_compliant_variants_pass(pack: LoadedPack, case: str, unknowns: bool) -> None:
    assert found(pack, COMPLIANT[case], unknowns) == set()


def test_an_association_that_may_name_the_alb_is_cannot_verify_never_a_pass(pack: LoadedPack) -> None:
    # With known ARNs the association names the public ALB; in a new stack it is computed from
    # both ALBs' ARNs, so it may protect either.
    either = replace(BASELINE, association="either")
    assert found(pack, either, unknowns=False) == set()
    assert found(pack, either, unknowns=True) == {("lb-waf", "unverified", "stack")}
    (message,) = [v.message for v in violations(pack, lambda: program(either), True) if v.policy == RULES[1]]
    assert "cannot verify aws:lb/loadBalancer:LoadBalancer 'public'" in message


def test_an_alb_arn_from_config_is_another_alb_once_this_ones_arn_is_known(pack: LoadedPack) -> None:
    foreign = replace(BASELINE, association="foreign-arn")
    assert found(pack, foreign, unknowns=False) == {NO_WAF}
    # A new ALB's ARN is not known yet: the literal could be the ARN of this one, on an update.
    assert found(pack, foreign, unknowns=True) == {("lb-waf", "unverified", "stack")}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_prod_makes_both_rules_mandatory(pack: LoadedPack, stack: str) -> None:
    config = json.loads((ROOT / "policy" / f"config.{stack}.json").read_text())
    levels = {name: level for name, (level, _) in effective_config(pack, config).items()}
    expected = "mandatory" if stack == "prod" else "advisory"
    assert [levels[rule] for rule in RULES] == [expected, expected]
