"""Private subnets never map public IPs on launch.

A subnet is private when none of its route tables (its explicit association, or else the VPC's
main route table) has a route to an internet gateway. Such a subnet must not assign public IPv4
(``mapPublicIpOnLaunch``) or customer-owned IPs: the addresses are useless there today and an
exposure the day someone adds an internet route. Routes are read both inline
(``aws.ec2.RouteTable(routes=...)``, ``aws.ec2.DefaultRouteTable``) and as ``aws.ec2.Route``
resources, through the graph, so the verdict is the same when ids are still unknown.
Corresponds to Security Hub EC2.15 / checkov CKV_AWS_130 (which flag every subnet).
"""

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource

from ._graph import UNKNOWN, Stack, as_list, label, setting, value
from ._rule import Unverifiable, stack_rule

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
VPC = "aws:ec2/vpc:Vpc"
TABLES = (ROUTE_TABLE, DEFAULT_ROUTE_TABLE)


def _is_igw(stack: Stack, holder: PolicyResource, prop: str, gateway_id: Any) -> Any:
    """Whether a gateway reference names an internet gateway: True, False or UNKNOWN."""
    if gateway_id is None:
        return False
    if isinstance(gateway_id, str):
        return gateway_id.startswith("igw-") or len(stack.refs(holder, prop, (IGW,))) > 0
    deps = [d for d in holder.property_dependencies.get(prop, []) if d.resource_type == IGW]
    return True if deps else UNKNOWN


def routes_to_igw(stack: Stack, table: PolicyResource) -> Any:
    """True, False or UNKNOWN: does this route table hold a route to an internet gateway?"""
    undecided = False
    routes = setting(table, "routes", default=[], shallow=True)
    if routes is UNKNOWN:
        undecided = True
    else:
        for i in range(len(as_list(routes))):
            gateway = value(table.props, "routes", i, "gatewayId")
            if gateway is UNKNOWN:
                deps = [d for d in table.property_dependencies.get("routes", []) if d.resource_type == IGW]
                if deps:
                    return True
                undecided = True
            elif isinstance(gateway, str) and gateway.startswith("igw-"):
                return True
    for route in stack.of_type(ROUTE):
        owner = stack.refs(route, "routeTableId", TABLES, id_prop="id")
        if table.resource_type == DEFAULT_ROUTE_TABLE and owner == []:
            owner = stack.refs(route, "routeTableId", TABLES, id_prop="defaultRouteTableId")
        if owner is UNKNOWN:
            undecided = True
            continue
        if table not in owner:
            continue
        verdict = _is_igw(stack, route, "gatewayId", setting(route, "gatewayId"))
        if verdict is True:
            return True
        if verdict is UNKNOWN:
            undecided = True
    return UNKNOWN if undecided else False


def subnet_route_tables(stack: Stack, subnet: PolicyResource) -> Any:
    """The route tables that govern a subnet, or UNKNOWN."""
    tables: list[PolicyResource] = []
    for association in stack.of_type(ASSOCIATION):
        subnets = stack.refs(association, "subnetId", (SUBNET,))
        if subnets is UNKNOWN:
            return UNKNOWN
        if subnet in subnets:
            found = stack.refs(association, "routeTableId", TABLES)
            if found is UNKNOWN:
                return UNKNOWN
            tables.extend(found)
    if tables:
        return tables
    # No explicit association: the VPC's main route table governs the subnet.
    vpcs = stack.refs(subnet, "vpcId", (VPC,))
    if vpcs is UNKNOWN:
        return UNKNOWN
    for vpc in vpcs:
        for main in stack.of_type(MAIN_ASSOCIATION):
            owner = stack.refs(main, "vpcId", (VPC,))
            if owner is UNKNOWN:
                return UNKNOWN
            if vpc in owner:
                found = stack.refs(main, "routeTableId", TABLES)
                if found is UNKNOWN:
                    return UNKNOWN
                tables.extend(found)
        for default in stack.of_type(DEFAULT_ROUTE_TABLE):
            owner = stack.refs(default, "defaultRouteTableId", (VPC,), id_prop="defaultRouteTableId")
            if owner is UNKNOWN:
                return UNKNOWN
            if vpc in owner:
                tables.append(default)
    return tables


def is_private(stack: Stack, subnet: PolicyResource) -> Any:
    """True, False or UNKNOWN: no route table of the subnet routes to an internet gateway."""
    tables = subnet_route_tables(stack, subnet)
    if tables is UNKNOWN:
        return UNKNOWN
    verdicts = [routes_to_igw(stack, t) for t in tables]
    if any(v is True for v in verdicts):
        return False
    if any(v is UNKNOWN for v in verdicts):
        return UNKNOWN
    return True


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for subnet in stack.of_type(SUBNET):
        maps = [
            prop
            for prop in ("mapPublicIpOnLaunch", "mapCustomerOwnedIpOnLaunch")
            if setting(subnet, prop, default=False) is not False
        ]
        if not maps:
            continue
        private = is_private(stack, subnet)
        unknown_flags = [p for p in maps if setting(subnet, p) is UNKNOWN]
        if private is UNKNOWN:
            yield (
                Unverifiable(
                    f"cannot verify {label(subnet)}: it may map public IPs ({', '.join(maps)}) and its "
                    "route tables cannot be resolved in this preview"
                ),
                subnet.urn,
            )
        elif private is True and unknown_flags:
            yield Unverifiable(f"cannot verify {label(subnet)}: {', '.join(unknown_flags)} is not known"), subnet.urn
        elif private is True:
            yield (
                f"{label(subnet)} has no route to an internet gateway (a private subnet) but sets "
                f"{', '.join(maps)}; set map_public_ip_on_launch=False.",
                subnet.urn,
            )


private_subnet_no_public_ip = stack_rule(
    "efs-platform-ec2-private-subnet-no-public-ip",
    "Private subnets (no route to an internet gateway) must not map public IPs on launch "
    "(map_public_ip_on_launch=False). Security Hub EC2.15; checkov CKV_AWS_130.",
    _check,
)
