"""The Fargate service's load balancer as it reaches AWS: who it admits, where its access logs go,
and the web ACL in front of it."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

import settings
from components._access_logs import log_delivery_principal
from components.fargate_service import (
    ContainerSettings,
    FargateService,
    FargateServiceArgs,
    WebIngress,
    WebIngressArgs,
)
from offline import engine, project
from tests.conftest import ROOT, STACKS, Recorded, run, run_platform

LB = "aws:lb/loadBalancer:LoadBalancer"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@functools.cache
def shipped(stack: str) -> Recorded:
    """A shipped stack's program, run once per test process."""
    return Recorded(engine.run(project.load(ROOT, stack)))


@pytest.fixture
def dev() -> Recorded:
    return shipped("dev")


@pytest.fixture
def prod() -> Recorded:
    return shipped("prod")


def _service(**change: Any) -> Recorded:
    """The ingress and one web service alone (no EFS volume)."""
    args: dict[str, Any] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "public_subnet_ids": ["subnet-1a", "subnet-1b"],
        **change,
    }

    def program() -> None:
        ingress = WebIngress("web", WebIngressArgs(**args))
        service = FargateService(
            "app",
            FargateServiceArgs(
                cluster_arn="arn:aws:ecs:eu-west-1:123456789012:cluster/c",
                cluster_name="c",
                vpc_id=args["vpc_id"],
                private_subnet_ids=["subnet-0a", "subnet-0b"],
                container=ContainerSettings(image="nginx:1"),
                ingress=ingress,
            ),
        )
        ingress.create_listeners()
        service.start()

    return run(program)


def _alb_ingress(rec: Recorded) -> list[dict[str, Any]]:
    (group,) = [g for g in rec.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "web-alb"]
    return [r.inputs for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == group.id]


# -- who the load balancer admits ---------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_an_ipv4_alb_admits_the_internet_over_ipv4_only(stack: str) -> None:
    rec = shipped(stack)
    assert rec.only(LB).inputs["ipAddressType"] == "ipv4"
    rules = _alb_ingress(rec)
    assert rules and all(r.get("cidrIpv4") == "0.0.0.0/0" for r in rules)
    assert not [r for r in rules if r.get("cidrIpv6")]


def test_a_dualstack_alb_also_admits_ipv6() -> None:
    rec = _service(alb_ip_address_type="dualstack")
    assert rec.only(LB).inputs["ipAddressType"] == "dualstack"
    assert sorted(r.get("cidrIpv4") or r.get("cidrIpv6") for r in _alb_ingress(rec)) == ["0.0.0.0/0", "::/0"]


def test_unknown_address_type_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="alb_ip_address_type='ipv6'"):
        WebIngressArgs(vpc_id="v", public_subnet_ids=["a", "b"], alb_ip_address_type="ipv6")


# -- access logs ---------------------------------------------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"


def _of_bucket(rec: Recorded, token: str) -> dict[str, Any]:
    """The inputs of the one ``token`` resource configuring the access log bucket."""
    bucket = rec.only(BUCKET)
    (found,) = [r.inputs for r in rec.of_type(token) if r.inputs["bucket"] == bucket.outputs["bucket"]]
    return found


def _bucket_policy(rec: Recorded) -> dict[str, Any]:
    return json.loads(_of_bucket(rec, "aws:s3/bucketPolicy:BucketPolicy")["policy"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_alb_logs_to_its_bucket_after_the_bucket_policy_exists(stack: str) -> None:
    rec = shipped(stack)
    if project.load(ROOT, stack).config["efs-platform:albAccessLogs"] != "true":
        pytest.skip(f"{stack} turns ALB access logs off")
    alb, bucket = rec.only(LB), rec.only(BUCKET)
    assert alb.inputs["accessLogs"] == {"enabled": True, "bucket": bucket.outputs["bucket"], "prefix": "alb"}
    (policy,) = rec.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.urn in alb.dependencies  # ELB writes a test file when logs are enabled
    assert rec.outputs["albAccessLogBucket"] == bucket.outputs["bucket"]


def test_the_log_bucket_is_private_sse_s3_owner_enforced_and_protected(prod: Recorded) -> None:
    bucket = prod.only(BUCKET)
    assert bucket.protect and bucket.inputs["forceDestroy"] is False
    assert _of_bucket(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") == {
        "bucket": bucket.outputs["bucket"],
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    (rule,) = _of_bucket(
        prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )["rules"]
    assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}  # ALB logs: SSE-S3 only
    ownership = _of_bucket(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    graph_bucket = next(r for r in prod.graph.resources if r.urn == bucket.urn)
    assert graph_bucket.retain_on_delete


@pytest.mark.parametrize(("stack", "days"), [("dev", 90), ("prod", 365)])
def test_access_logs_expire_after_the_configured_retention(stack: str, days: int) -> None:
    rec = shipped(stack)
    (rule,) = _of_bucket(rec, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {} and rule["expiration"] == {"days": days}


def test_only_elb_log_delivery_writes_and_only_over_tls(prod: Recorded) -> None:
    bucket = prod.only(BUCKET)
    arn = bucket.outputs["arn"]
    allow, deny = _bucket_policy(prod)["Statement"]
    assert allow["Effect"] == "Allow" and allow["Action"] == "s3:PutObject"
    assert allow["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert allow["Resource"] == f"{arn}/alb/AWSLogs/123456789012/*"
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@pytest.mark.parametrize(
    ("region", "partition", "principal"),
    [
        ("eu-west-1", "aws", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        ("me-central-1", "aws", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        ("us-gov-west-1", "aws-us-gov", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        ("cn-north-1", "aws-cn", {"AWS": "arn:aws-cn:iam::638102146993:root"}),
    ],
)
def test_log_delivery_principal_is_the_documented_one_for_the_region(
    region: str, partition: str, principal: dict[str, str]
) -> None:
    assert log_delivery_principal(region, partition) == principal


def test_access_logs_can_be_turned_off() -> None:
    rec = run_platform({"albAccessLogs": "false"})
    assert "accessLogs" not in rec.only(LB).inputs
    assert not rec.of_type(BUCKET) and "albAccessLogBucket" not in rec.outputs


@pytest.mark.parametrize("days", ["0", "3651", "ninety"])
def test_bad_retention_is_refused_naming_the_key(days: str) -> None:
    with pytest.raises(settings.ConfigError, match="albAccessLogRetentionDays"):
        settings.parse("efs-platform", {"aws:region": "eu-west-1", "efs-platform:albAccessLogRetentionDays": days})


# -- web ACL ---------------------------------------------------------------------------------------

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


def test_prod_puts_the_alb_behind_a_web_acl_of_aws_managed_rule_groups(prod: Recorded) -> None:
    acl, alb = prod.only(WEB_ACL), prod.only(LB)
    assert acl.inputs["scope"] == "REGIONAL" and acl.inputs["defaultAction"] == {"allow": {}}
    assert acl.inputs["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    rules = sorted(acl.inputs["rules"], key=lambda r: r["priority"])
    assert [r["statement"]["managedRuleGroupStatement"] for r in rules] == [
        {"vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"},
        {"vendorName": "AWS", "name": "AWSManagedRulesKnownBadInputsRuleSet"},
        {"vendorName": "AWS", "name": "AWSManagedRulesAmazonIpReputationList"},
    ]
    assert all(r["overrideAction"] == {"none": {}} for r in rules)
    assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] is True for r in rules)
    association = prod.only(ASSOCIATION)
    assert association.inputs == {"resourceArn": alb.outputs["arn"], "webAclArn": acl.outputs["arn"]}
    assert prod.outputs["webAclArn"] == acl.outputs["arn"]


def test_dev_has_no_web_acl_and_the_key_turns_it_on(dev: Recorded) -> None:
    assert not dev.of_type(WEB_ACL) and not dev.of_type(ASSOCIATION)
    rec = run_platform({"albWaf": "true"})
    assert rec.only(ASSOCIATION).inputs["resourceArn"] == rec.only(LB).outputs["arn"]


def test_waf_is_on_by_default() -> None:
    ingress = settings.parse("efs-platform", {"aws:region": "eu-west-1"}).ingress
    assert ingress is not None and ingress.waf is True
