"""The Fargate service's load balancer as it reaches AWS: who it admits, where its access logs go,
and the web ACL in front of it."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from components.fargate_service import ContainerSettings, FargateService, FargateServiceArgs
from offline import engine, project
from tests.conftest import ROOT, Recorded, run, run_platform

LB = "aws:lb/loadBalancer:LoadBalancer"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@pytest.fixture(scope="module")
def dev() -> Recorded:
    return run_platform()


@pytest.fixture(scope="module")
def prod() -> Recorded:
    return Recorded(engine.run(project.load(ROOT, "prod")))


def _service(**change: Any) -> Recorded:
    """The component alone (no EFS volume: the service starts in the constructor)."""
    args: dict[str, Any] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "private_subnet_ids": ["subnet-0a", "subnet-0b"],
        "public_subnet_ids": ["subnet-1a", "subnet-1b"],
        "container": ContainerSettings(image="nginx:1"),
        **change,
    }
    return run(lambda: FargateService("web", FargateServiceArgs(**args)))


def _alb_ingress(rec: Recorded) -> list[dict[str, Any]]:
    (group,) = [g for g in rec.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "web-alb"]
    return [r.inputs for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == group.id]


# -- who the load balancer admits ---------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_ipv4_alb_admits_the_internet_over_ipv4_only(stack: str, request: pytest.FixtureRequest) -> None:
    rec: Recorded = request.getfixturevalue(stack)
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
        FargateServiceArgs(
            vpc_id="v",
            private_subnet_ids=["a"],
            public_subnet_ids=["b"],
            container=ContainerSettings(image="x"),
            alb_ip_address_type="ipv6",
        )


_ = aws  # the WAF and bucket tests below use the SDK's types
