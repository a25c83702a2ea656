"""Private subnets never map public IPs on launch.

A subnet is private when none of its route tables (its explicit association, or else the VPC's
main route table) has a route to an internet gateway. Such a subnet must not assign public IPv4
(``mapPublicIpOnLaunch``) or customer-owned IPs: the addresses are useless there today and an
exposure the day someone adds an internet route. Routes are read both inline
(``aws.ec2.RouteTable(routes=...)``, ``aws.ec2.DefaultRouteTable``) and as ``aws.ec2.Route``
resources, through the graph, so the verdict is the same when ids are still unknown. A subnet
whose routes live outside the stack (an existing VPC's main route table, a route table id from
config) cannot be verified. Corresponds to Security Hub EC2.15 / checkov CKV_AWS_130 (which flag
every subnet).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._graph import (
    DEFAULT_ROUTE_TABLE,
    SUBNET,
    TABLES,
    UNKNOWN,
    VPC,
    Invalid,
    Refs,
    Res,
    Stack,
    as_list,
    flag,
    label,
    unclear,
)
from ._rule import Unverifiable, stack_rule

ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"

__all__ = ["DEFAULT_ROUTE_TABLE", "ROUTE", "SUBNET", "TABLES", "VPC", "Verdict", "is_private", "subnet_route_tables"]


@dataclass(frozen=True)
class Verdict:
    """True, False or UNKNOWN, and why it is unknown."""

    value: Any
    why: str = ""


def _names_igw(stack: Stack, holder: Res, path: tuple[str | int, ...]) -> Any:
    """Whether a gateway reference names an internet gateway: True, False or UNKNOWN."""
    refs = stack.refs(holder, path, (IGW,), optional=True)
    if refs.found:
        return True
    if any(o.startswith("igw-") for o in refs.outside):
        return True  # AWS ids carry their kind: an internet gateway outside the stack
    return UNKNOWN if refs.unplaced else False


def routes_to_igw(stack: Stack, table: Res) -> Any:
    """True, False or UNKNOWN: does this route table hold a route to an internet gateway?"""
    undecided = False
    routes = table.setting("routes", default=[])
    if routes is UNKNOWN:
        undecided = True
    else:
        for i in range(len(as_list(routes))):
            verdict = _names_igw(stack, table, ("routes", i, "gatewayId"))
            if verdict is True:
                return True
            undecided = undecided or verdict is UNKNOWN
    routes_index = stack.referrers((ROUTE,), "routeTableId", TABLES)
    for route, exact in routes_index.of(table):
        verdict = _names_igw(stack, route, ("gatewayId",))
        if verdict is True and exact:
            return True
        undecided = undecided or verdict is not False
    for route in routes_index.unplaced:
        undecided = undecided or _names_igw(stack, route, ("gatewayId",)) is not False
    return UNKNOWN if undecided else False


def subnet_route_tables(stack: Stack, subnet: Res) -> Refs:
    """The route tables that govern a subnet: its explicit association, or the VPC's main route
    table (a ``MainRouteTableAssociation``, the adopting ``DefaultRouteTable``, or the VPC itself
    standing for the main table AWS created with it)."""
    # An association names a subnet or (an edge association) a gateway: subnetId is optional.
    associations = stack.referrers((ASSOCIATION,), "subnetId", (SUBNET,), optional=True)
    if associations.unplaced:
        return Refs(unplaced=True)  # an association whose subnet is not known may be this one's
    explicit = _tables_of(stack, associations.of(subnet))
    if explicit:
        return explicit
    vpcs = stack.refs(subnet, "vpcId", (VPC,))
    if not vpcs.complete:
        return Refs(outside=vpcs.outside, unplaced=vpcs.unplaced or not vpcs.exact)
    mains = stack.referrers((MAIN_ASSOCIATION,), "vpcId", (VPC,))
    if mains.unplaced:
        return Refs(unplaced=True)
    return Refs.union(
        _tables_of(stack, mains.of(vpc)) if mains.of(vpc) else Refs((stack.canonical(vpc, TABLES),))
        for vpc in vpcs.found
    )


def _tables_of(stack: Stack, associations: list[tuple[Res, bool]]) -> Refs:
    """The route tables that (main) route table associations name."""
    return Refs.union(
        (stack.refs(a, "routeTableId", TABLES) for a, _ in associations), exact=all(e for _, e in associations)
    )


def is_private(stack: Stack, subnet: Res) -> Verdict:
    """Whether no route table of the subnet routes to an internet gateway."""
    return stack.memo(("is-private", subnet.urn), lambda: _is_private(stack, subnet))


def _is_private(stack: Stack, subnet: Res) -> Verdict:
    tables = subnet_route_tables(stack, subnet)
    if tables.outside:
        return Verdict(UNKNOWN, f"its route table {tables.outside[0]} is not in this stack")
    if tables.unplaced:
        return Verdict(UNKNOWN, "its route tables cannot be resolved in this preview")
    verdicts = [routes_to_igw(stack, t) for t in tables.found]
    if not tables.exact:
        if all(v is True for v in verdicts):
            return Verdict(False)
        if all(v is False for v in verdicts):
            return Verdict(True)
        return Verdict(UNKNOWN, "its route tables cannot be resolved in this preview")
    if any(v is True for v in verdicts):
        return Verdict(False)
    if any(v is UNKNOWN for v in verdicts):
        return Verdict(UNKNOWN, "the routes of its route tables are not known in this preview")
    return Verdict(True)


def maps_public_ips(subnet: Res) -> dict[str, Any]:
    """The public-address flags a subnet sets (True, UNKNOWN or Invalid), by property."""
    found = {}
    for prop in ("mapPublicIpOnLaunch", "mapCustomerOwnedIpOnLaunch"):
        v = flag(subnet.setting(prop), default=False)
        if v is not False:
            found[prop] = v
    return found


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for subnet in stack.of_type(SUBNET):
        maps = maps_public_ips(subnet)
        if not maps:
            continue
        private = is_private(stack, subnet)
        if private.value is False:
            continue
        undecided = [unclear(p, v) for p, v in maps.items() if v is UNKNOWN or isinstance(v, Invalid)]
        if private.value is UNKNOWN:
            yield (
                Unverifiable(
                    f"cannot verify {label(subnet)}: it may map public IPs ({', '.join(maps)}) and {private.why}"
                ),
                subnet.urn,
            )
        elif undecided:
            yield Unverifiable(f"cannot verify {label(subnet)}: {'; '.join(undecided)}"), subnet.urn
        else:
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
