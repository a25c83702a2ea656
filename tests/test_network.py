"""The Network component: what reaches AWS for each setting."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from components._validation import ArgumentError
from components.network import Network, NetworkArgs
from offline import engine, mocks
from tests.conftest import Recorded, Res, run

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"


def network(**kwargs: Any) -> Recorded:
    return run(lambda: Network("net", NetworkArgs(**kwargs)))


def subnets(rec: Recorded, kind: str) -> list[Res]:
    return sorted((s for s in rec.of_type(SUBNET) if s.name.startswith(f"net-{kind}-")), key=lambda s: s.name)


def route_table_of(rec: Recorded, subnet: Res) -> Res:
    (assoc,) = [a for a in rec.of_type(ASSOCIATION) if a.inputs["subnetId"] == subnet.id]
    return rec.by_id(ROUTE_TABLE, assoc.inputs["routeTableId"])


def routes_of(rec: Recorded, table: Res) -> list[Res]:
    return [r for r in rec.of_type(ROUTE) if r.inputs["routeTableId"] == table.id]


@pytest.mark.parametrize("az_count", [2, 3, 6])
def test_one_public_and_one_private_subnet_per_az(az_count: int) -> None:
    rec = network(az_count=az_count)
    private, public = subnets(rec, "private"), subnets(rec, "public")
    zones = [f"eu-west-1{c}" for c in "abcdef"[:az_count]]
    assert sorted(s.inputs["availabilityZone"] for s in private) == zones
    assert sorted(s.inputs["availabilityZone"] for s in public) == zones
    assert rec.outputs == {}  # a component run alone exports nothing
    component = rec.one("efs-platform:index:Network", "net")
    assert component.outputs["availabilityZones"] == zones
    assert component.outputs["privateSubnetIds"] == [s.id for s in sorted(private, key=lambda s: s.name)]


def test_subnet_cidrs_are_disjoint_inside_the_vpc_private_in_the_lower_half() -> None:
    rec = network(cidr_block="10.42.0.0/16", az_count=3, subnet_prefix_length=20)
    vpc = ipaddress.ip_network("10.42.0.0/16")
    lower, upper = vpc.subnets(prefixlen_diff=1)
    nets = {s.name: ipaddress.ip_network(s.inputs["cidrBlock"]) for s in rec.of_type(SUBNET)}
    assert all(n.subnet_of(vpc) and n.prefixlen == 20 for n in nets.values())
    values = list(nets.values())
    assert all(not a.overlaps(b) for i, a in enumerate(values) for b in values[i + 1 :])
    assert all(n.subnet_of(lower) for name, n in nets.items() if "private" in name)
    assert all(n.subnet_of(upper) for name, n in nets.items() if "public" in name)


def test_growing_az_count_keeps_existing_subnet_cidrs() -> None:
    two = {s.name: s.inputs["cidrBlock"] for s in network(az_count=2).of_type(SUBNET)}
    three = {s.name: s.inputs["cidrBlock"] for s in network(az_count=3).of_type(SUBNET)}
    assert all(three[name] == cidr for name, cidr in two.items())


def test_vpc_has_dns_support_and_hostnames() -> None:
    (vpc,) = network().of_type(VPC)
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"


def test_no_subnet_maps_public_ips() -> None:
    rec = network(az_count=3)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in rec.of_type(SUBNET))


def test_public_subnets_route_to_the_internet_gateway_private_ones_never() -> None:
    rec = network(az_count=3, nat_strategy="per-az")
    (igw,) = rec.of_type("aws:ec2/internetGateway:InternetGateway")
    for subnet in subnets(rec, "public"):
        (route,) = routes_of(rec, route_table_of(rec, subnet))
        assert route.inputs["gatewayId"] == igw.id
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
    for subnet in subnets(rec, "private"):
        for route in routes_of(rec, route_table_of(rec, subnet)):
            assert "gatewayId" not in route.inputs
            assert route.inputs["natGatewayId"].startswith("nat-")


@pytest.mark.parametrize(("strategy", "expected"), [("none", 0), ("single", 1), ("per-az", 3)])
def test_nat_gateways_per_strategy(strategy: str, expected: int) -> None:
    rec = network(az_count=3, nat_strategy=strategy)
    nats = rec.of_type(NAT)
    assert len(nats) == expected
    assert len(rec.of_type(EIP)) == expected
    public_ids = {s.id for s in subnets(rec, "public")}
    assert all(n.inputs["subnetId"] in public_ids for n in nats)
    private_default_routes = [r for s in subnets(rec, "private") for r in routes_of(rec, route_table_of(rec, s))]
    assert len(private_default_routes) == (0 if strategy == "none" else 3)
    if strategy == "per-az":
        # Each AZ's private subnet egresses through the NAT gateway in its own AZ.
        nat_zone = {n.id: rec.by_id(SUBNET, n.inputs["subnetId"]).inputs["availabilityZone"] for n in nats}
        for subnet in subnets(rec, "private"):
            (route,) = routes_of(rec, route_table_of(rec, subnet))
            assert nat_zone[route.inputs["natGatewayId"]] == subnet.inputs["availabilityZone"]
    if strategy == "single":
        assert len({r.inputs["natGatewayId"] for r in private_default_routes}) == 1


def test_s3_gateway_endpoint_on_every_private_route_table() -> None:
    rec = network(az_count=3)
    (s3,) = [e for e in rec.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    assert s3.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    private_tables = {route_table_of(rec, s).id for s in subnets(rec, "private")}
    assert set(s3.inputs["routeTableIds"]) == private_tables


def test_interface_endpoints_in_private_subnets_with_private_dns_behind_https_only_group() -> None:
    rec = network(az_count=2)
    interface = [e for e in rec.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert sorted(e.inputs["serviceName"] for e in interface) == sorted(
        f"com.amazonaws.eu-west-1.{s}" for s in ("ecr.api", "ecr.dkr", "logs")
    )
    (group,) = rec.of_type(SG)
    private_ids = sorted(s.id for s in subnets(rec, "private"))
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert sorted(endpoint.inputs["subnetIds"]) == private_ids
        assert endpoint.inputs["securityGroupIds"] == [group.id]
    assert group.inputs["ingress"] == [
        {
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["10.0.0.0/16"],
            "description": "HTTPS from the VPC",
        }
    ]
    assert group.inputs["egress"] == []


def test_interface_endpoint_list_is_configurable() -> None:
    rec = network(interface_endpoints=("ecr.api", "ecr.dkr"))
    names = sorted(e.inputs["serviceName"] for e in rec.of_type(ENDPOINT))
    assert names == [
        "com.amazonaws.eu-west-1.ecr.api",
        "com.amazonaws.eu-west-1.ecr.dkr",
        "com.amazonaws.eu-west-1.s3",
    ]


def test_flow_logs_to_a_kms_encrypted_group_with_retention() -> None:
    rec = network(flow_log_retention_days=90)
    (flow,) = rec.of_type("aws:ec2/flowLog:FlowLog")
    (vpc,) = rec.of_type(VPC)
    (group,) = rec.of_type("aws:cloudwatch/logGroup:LogGroup")
    (key,) = rec.of_type("aws:kms/key:Key")
    assert flow.inputs["vpcId"] == vpc.id
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    assert group.inputs["retentionInDays"] == 90
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True


def test_flow_log_role_writes_only_to_its_log_group() -> None:
    rec = network()
    (policy,) = rec.of_type("aws:iam/rolePolicy:RolePolicy")
    (group,) = rec.of_type("aws:cloudwatch/logGroup:LogGroup")
    write, describe = json.loads(policy.inputs["policy"])["Statement"]
    # Every action AWS's flow-logs role page lists, each on the narrowest resource it takes.
    assert sorted(write["Action"] + [describe["Action"]]) == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    assert write["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]
    assert describe["Resource"] == f"arn:aws:logs:eu-west-1:{mocks.ACCOUNT_ID}:log-group:*"
    (role,) = rec.of_type("aws:iam/role:Role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": mocks.ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:eu-west-1:{mocks.ACCOUNT_ID}:vpc-flow-log/*"},
    }


def test_default_security_group_is_adopted_with_no_rules() -> None:
    rec = network()
    (default,) = rec.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    (vpc,) = rec.of_type(VPC)
    assert default.inputs["vpcId"] == vpc.id
    assert not default.inputs.get("ingress")
    assert not default.inputs.get("egress")


def test_every_child_is_parented_to_the_component_and_named_from_it() -> None:
    rec = network()
    component = rec.one("efs-platform:index:Network", "net")
    children = [r for r in rec.resources if r.type not in ("pulumi:pulumi:Stack", "efs-platform:index:Network")]
    assert children
    assert all(r.parent == component.urn for r in children)
    assert all(r.name.startswith("net-") for r in children)


def test_region_with_too_few_zones_is_rejected_before_anything_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    def two_zones(m: mocks.OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
        return {"id": m.region, "names": ["eu-west-1a", "eu-west-1b"], "zoneIds": ["euw1-az1", "euw1-az2"]}

    monkeypatch.setitem(mocks.INVOKES, "aws:index/getAvailabilityZones:getAvailabilityZones", two_zones)
    with pytest.raises(engine.ProgramError) as caught:
        network(az_count=3)
    assert isinstance(caught.value.cause, ArgumentError)
    assert "az_count=3: the region has only 2 standard availability zones" in str(caught.value)
    assert [r.type for r in caught.value.graph.resources] == ["pulumi:pulumi:Stack"]


def test_invalid_args_are_rejected_in_the_constructor() -> None:
    with pytest.raises(ArgumentError, match="nat_strategy"):
        NetworkArgs(nat_strategy="both")  # type: ignore[arg-type]
