"""ECS services never assign public IPs and run only in private subnets.

A subnet is private when it maps no public IPs and none of its route tables routes to an
internet gateway (see private_subnet_public_ip). Security Hub ECS.2 / checkov CKV_AWS_333 cover the public IP; the
subnet placement has no counterpart.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, NestedView, Stack, label, setting, value
from ._rule import Unverifiable, stack_rule
from .private_subnet_public_ip import SUBNET, is_private

SERVICE = "aws:ecs/service:Service"


def subnets_outside_private(stack: Stack, holder: Any, prop: str) -> Iterator[tuple[str, str]]:
    """Violations for each subnet ``holder.props[prop]`` names that is not private."""
    subnets = stack.refs(holder, prop, (SUBNET,))
    if subnets is UNKNOWN:
        yield Unverifiable(f"cannot verify {label(holder)}: its subnets are not known"), holder.urn
        return
    for subnet in subnets:
        maps = setting(subnet, "mapPublicIpOnLaunch", default=False)
        if maps is True:
            yield (
                f"{label(holder)} runs in {label(subnet)}, which maps public IPs; use the private subnets.",
                holder.urn,
            )
            continue
        private = is_private(stack, subnet)
        if private is UNKNOWN:
            yield (
                Unverifiable(f"cannot verify {label(holder)}: the routes of {label(subnet)} are not known"),
                holder.urn,
            )
        elif private is False:
            yield (
                f"{label(holder)} runs in {label(subnet)}, which routes to an internet gateway; use the private "
                f"subnets.",
                holder.urn,
            )


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for service in stack.of_type(SERVICE):
        if setting(service, "launchType") == "EC2":
            continue  # bridge/host networking on EC2 has no awsvpc configuration
        network = setting(service, "networkConfiguration", shallow=True)
        if network is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(service)}: its network configuration is not known"), service.urn
            continue
        if network is None:
            yield f"{label(service)} has no network configuration; give it the private subnets.", service.urn
            continue
        view = NestedView(service, "networkConfiguration", network)
        public_ip = value(network, "assignPublicIp", default=False)
        if public_ip is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(service)}: assignPublicIp is not known"), service.urn
        elif public_ip is True:
            yield f"{label(service)} assigns public IPs to its tasks; set assign_public_ip=False.", service.urn
        yield from subnets_outside_private(stack, view, "subnets")


ecs_service_private = stack_rule(
    "efs-platform-ecs-service-private",
    "ECS services must not assign public IPs and must run only in private subnets "
    "(no route to an internet gateway). Security Hub ECS.2; checkov CKV_AWS_333.",
    _check,
)
