"""The network policies: a compliant baseline, and failing cases that each change one property.

Every case runs through the analyzer path the offline preview uses, both with known outputs and
as a preview of a new stack (``unknowns``), where ids are unknown and references resolve only
through property dependencies. Verdicts must be the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws
import pytest

from offline.analysis import LoadedPack, Violation
from tests.conftest import MODES, violations

DNS = "efs-platform-ec2-vpc-dns-enabled"
PRIVATE_IP = "efs-platform-ec2-private-subnet-no-public-ip"
DEFAULT_SG = "efs-platform-ec2-default-security-group-closed"


@dataclass(frozen=True)
class Net:
    """A small VPC with one public and one private subnet; every knob defaults to compliant."""

    dns_support: bool | None = True
    dns_hostnames: bool | None = True
    adopt_default_sg: bool = True
    default_sg_ingress: bool = False
    rule_on_default_sg: bool = False
    public_maps_ip: bool = False
    private_maps_ip: bool = False
    inline_public_route: bool = False
    associate_private: bool = True
    private_uses_public_table: bool = False
    private_nat_route: bool = False
    private_dns_endpoint: bool = True
    """An interface endpoint with private DNS: it needs the VPC's DNS attributes (so does EFS)."""
    subnets_parented_to_vpc: bool = False
    """The subnets are children of the VPC (``parent=vpc``, as awsx makes them): the VPC is still
    what ``vpc.id`` depends on, in a preview of a new stack too."""

    def __call__(self) -> None:
        vpc = aws.ec2.Vpc(
            "vpc",
            cidr_block="10.0.0.0/16",
            enable_dns_support=self.dns_support,
            enable_dns_hostnames=self.dns_hostnames,
        )
        if self.adopt_default_sg:
            ingress = (
                [aws.ec2.DefaultSecurityGroupIngressArgs(protocol="-1", from_port=0, to_port=0, self=True)]
                if self.default_sg_ingress
                else None
            )
            aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc.id, ingress=ingress)
        if self.rule_on_default_sg:
            aws.vpc.SecurityGroupIngressRule(
                "ssh",
                security_group_id=vpc.default_security_group_id,
                cidr_ipv4="10.0.0.0/16",
                ip_protocol="tcp",
                from_port=22,
                to_port=22,
            )
        # A group of its own with a rule resource: not the default group, whatever the mode.
        app = aws.ec2.SecurityGroup("app", vpc_id=vpc.id, description="app")
        aws.vpc.SecurityGroupIngressRule(
            "app-https",
            security_group_id=app.id,
            cidr_ipv4="10.0.0.0/16",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
        )
        igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id)
        if self.inline_public_route:
            public_rt = aws.ec2.RouteTable(
                "public",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            )
        else:
            public_rt = aws.ec2.RouteTable("public", vpc_id=vpc.id)
            aws.ec2.Route(
                "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id
            )
        in_vpc = pulumi.ResourceOptions(parent=vpc) if self.subnets_parented_to_vpc else None
        public = aws.ec2.Subnet(
            "public",
            vpc_id=vpc.id,
            cidr_block="10.0.128.0/24",
            map_public_ip_on_launch=self.public_maps_ip,
            opts=in_vpc,
        )
        aws.ec2.RouteTableAssociation("public", subnet_id=public.id, route_table_id=public_rt.id)
        private_rt = aws.ec2.RouteTable("private", vpc_id=vpc.id)
        if self.private_nat_route:
            eip = aws.ec2.Eip("nat", domain="vpc")
            nat = aws.ec2.NatGateway("nat", allocation_id=eip.id, subnet_id=public.id)
            aws.ec2.Route(
                "private-default",
                route_table_id=private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
            )
        private = aws.ec2.Subnet(
            "private",
            vpc_id=vpc.id,
            cidr_block="10.0.0.0/24",
            map_public_ip_on_launch=self.private_maps_ip,
            opts=in_vpc,
        )
        if self.associate_private:
            table = public_rt if self.private_uses_public_table else private_rt
            aws.ec2.RouteTableAssociation("private", subnet_id=private.id, route_table_id=table.id)
        if self.private_dns_endpoint:
            aws.ec2.VpcEndpoint(
                "logs",
                vpc_id=vpc.id,
                service_name="com.amazonaws.eu-west-1.logs",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[private.id],
                security_group_ids=[app.id],
            )


BASELINE = Net()


def found(result: list[Violation]) -> set[tuple[str, str, str]]:
    """(policy, level, resource name) of each violation."""
    return {(v.policy, v.level, v.urn.rsplit("::", 1)[-1]) for v in result}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("net", [BASELINE, replace(BASELINE, subnets_parented_to_vpc=True)], ids=["flat", "parented"])
def test_baseline_is_compliant(pack: LoadedPack, unknowns: bool, net: Net) -> None:
    assert violations(pack, net, unknowns) == []


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"dns_hostnames": False}, {(DNS, "mandatory", "vpc")}, id="dns-hostnames-off"),
        pytest.param({"dns_hostnames": None}, {(DNS, "mandatory", "vpc")}, id="dns-hostnames-unset-defaults-off"),
        pytest.param({"dns_support": False}, {(DNS, "mandatory", "vpc")}, id="dns-support-off"),
        pytest.param({"private_maps_ip": True}, {(PRIVATE_IP, "mandatory", "private")}, id="private-subnet-maps-ip"),
        pytest.param(
            {"private_maps_ip": True, "associate_private": False},
            {(PRIVATE_IP, "mandatory", "private")},
            id="unassociated-subnet-uses-main-table",
        ),
        pytest.param(
            {"private_maps_ip": True, "private_nat_route": True},
            {(PRIVATE_IP, "mandatory", "private")},
            id="nat-route-is-still-private",
        ),
        pytest.param({"adopt_default_sg": False}, {(DEFAULT_SG, "mandatory", "vpc")}, id="default-sg-not-adopted"),
        pytest.param(
            {"adopt_default_sg": False, "subnets_parented_to_vpc": True},
            {(DEFAULT_SG, "mandatory", "vpc")},
            id="default-sg-not-adopted-subnets-parented",
        ),
        pytest.param(
            {"private_maps_ip": True, "subnets_parented_to_vpc": True},
            {(PRIVATE_IP, "mandatory", "private")},
            id="private-subnet-maps-ip-subnets-parented",
        ),
        pytest.param({"default_sg_ingress": True}, {(DEFAULT_SG, "mandatory", "default")}, id="default-sg-has-ingress"),
        pytest.param({"rule_on_default_sg": True}, {(DEFAULT_SG, "mandatory", "ssh")}, id="rule-added-to-default-sg"),
    ],
)
def test_one_change_one_violation(pack: LoadedPack, unknowns: bool, change: dict[str, object], expected: set) -> None:
    assert found(violations(pack, replace(BASELINE, **change), unknowns)) == expected


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"public_maps_ip": True}, id="public-subnet-routed-to-igw"),
        pytest.param({"public_maps_ip": True, "inline_public_route": True}, id="public-subnet-inline-igw-route"),
        pytest.param({"private_maps_ip": True, "private_uses_public_table": True}, id="subnet-on-public-table"),
    ],
)
def test_subnets_routed_to_an_internet_gateway_are_public_and_may_map_ips(
    pack: LoadedPack, unknowns: bool, change: dict[str, object]
) -> None:
    assert PRIVATE_IP not in {v.policy for v in violations(pack, replace(BASELINE, **change), unknowns)}


def test_inline_igw_route_makes_only_its_subnets_public(pack: LoadedPack) -> None:
    change = replace(BASELINE, inline_public_route=True, private_maps_ip=True)
    assert found(violations(pack, change, unknowns=True)) == {(PRIVATE_IP, "mandatory", "private")}


def test_policy_config_lowers_a_level(pack: LoadedPack) -> None:
    result = violations(pack, replace(BASELINE, dns_hostnames=False), policy_config={DNS: "advisory"})
    assert found(result) == {(DNS, "advisory", "vpc")}


def test_policy_config_disables_a_rule(pack: LoadedPack) -> None:
    assert violations(pack, replace(BASELINE, dns_hostnames=False), policy_config={DNS: "disabled"}) == []


def test_all_applies_to_every_policy(pack: LoadedPack) -> None:
    result = violations(
        pack, replace(BASELINE, dns_hostnames=False, adopt_default_sg=False), policy_config={"all": "advisory"}
    )
    assert {v.level for v in result} == {"advisory"}
    assert {v.policy for v in result} == {DNS, DEFAULT_SG}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("change", [{"dns_hostnames": False}, {"dns_support": False}], ids=["hostnames", "support"])
def test_dns_is_judged_only_where_names_are_resolved(pack: LoadedPack, unknowns: bool, change: dict) -> None:
    # No EFS mount target or client and no private-DNS endpoint in the VPC: nothing resolves names.
    quiet = replace(BASELINE, private_dns_endpoint=False, **change)
    assert violations(pack, quiet, unknowns) == []


def test_dns_message_names_what_needs_it(pack: LoadedPack) -> None:
    (v,) = violations(pack, replace(BASELINE, dns_hostnames=False))
    assert "enableDnsHostnames off" in v.message and "'logs'" in v.message and "private DNS" in v.message


def test_violation_message_says_what_to_change(pack: LoadedPack) -> None:
    (v,) = violations(pack, replace(BASELINE, private_maps_ip=True))
    assert "map_public_ip_on_launch=False" in v.message
    assert "EC2.15" in v.message and "CKV_AWS_130" in v.message
