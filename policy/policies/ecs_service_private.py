"""ECS services never assign public IPs and run only in private subnets.

A subnet is private when it maps no public IPs and none of its route tables routes to an
internet gateway (see private_subnet_public_ip). ``assignPublicIp`` is read as the provider reads
it (``"true"`` is true). A subnet outside the stack (an id from config) cannot be verified.
Security Hub ECS.2 / checkov CKV_AWS_333 cover the public IP; the subnet placement has no
counterpart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ._graph import SUBNET, UNKNOWN, Invalid, Res, Stack, flag, label, unclear
from ._rule import Unverifiable, stack_rule
from .private_subnet_public_ip import is_private

SERVICE = "aws:ecs/service:Service"


def _subnet_finding(stack: Stack, subnet: Res) -> tuple[Any, str]:
    """(True: public, False: private, UNKNOWN; and why)."""
    maps = flag(subnet.setting("mapPublicIpOnLaunch"), default=False)
    if maps is True:
        return True, "maps public IPs"
    private = is_private(stack, subnet)
    if private.value is False:
        return True, "routes to an internet gateway"
    if private.value is UNKNOWN:
        return UNKNOWN, private.why
    if maps is UNKNOWN or isinstance(maps, Invalid):
        return UNKNOWN, unclear("mapPublicIpOnLaunch", maps)
    return False, ""


def subnets_outside_private(stack: Stack, holder: Res, path: str | Sequence[str | int]) -> Iterator[tuple[str, str]]:
    """Violations for each subnet ``holder.props[path...]`` names that is not private."""
    subnets = stack.refs(holder, path, (SUBNET,))
    if subnets.outside or subnets.unplaced:
        what = "its subnet" if subnets.unplaced else "subnet"
        yield Unverifiable(f"cannot verify {label(holder)}: {subnets.why_not_complete(what)}"), holder.urn
    findings = [(subnet, *_subnet_finding(stack, subnet)) for subnet in subnets.found]
    if not subnets.exact and not all(public is True for _, public, _ in findings):
        if any(public is not False for _, public, _ in findings):
            yield (
                Unverifiable(
                    f"cannot verify {label(holder)}: its subnets are some of "
                    f"{', '.join(label(s) for s, _, _ in findings)}, not all private"
                ),
                holder.urn,
            )
        return
    for subnet, public, why in findings:
        if public is True:
            yield f"{label(holder)} runs in {label(subnet)}, which {why}; use the private subnets.", holder.urn
        elif public is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(holder)}: {label(subnet)}: {why}"), holder.urn


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for service in stack.of_type(SERVICE):
        launch = service.setting("launchType")
        if launch == "EC2":
            continue  # bridge/host networking on EC2 has no awsvpc configuration
        network = service.setting("networkConfiguration")
        if network is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(service)}: its network configuration is not known"), service.urn
            continue
        if network is None:
            yield f"{label(service)} has no network configuration; give it the private subnets.", service.urn
            continue
        public_ip = flag(service.get("networkConfiguration", "assignPublicIp"), default=False)
        if public_ip is UNKNOWN or isinstance(public_ip, Invalid):
            yield Unverifiable(f"cannot verify {label(service)}: {unclear('assignPublicIp', public_ip)}"), service.urn
        elif public_ip is True:
            yield f"{label(service)} assigns public IPs to its tasks; set assign_public_ip=False.", service.urn
        yield from subnets_outside_private(stack, service, ("networkConfiguration", "subnets"))


ecs_service_private = stack_rule(
    "efs-platform-ecs-service-private",
    "ECS services must not assign public IPs and must run only in private subnets "
    "(no route to an internet gateway). Security Hub ECS.2; checkov CKV_AWS_333.",
    _check,
)
