"""EFS mount targets, EKS Fargate profiles and EKS node groups live only in private subnets.

A mount target in a public subnet puts the file system's network interface where an internet
route exists; Fargate pods and nodes there can be exposed. No Security Hub control or checkov
check covers the placement.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import Stack
from ._rule import stack_rule
from .ecs_service_private import subnets_outside_private

PLACED = {
    "aws:efs/mountTarget:MountTarget": "subnetId",
    "aws:eks/fargateProfile:FargateProfile": "subnetIds",
    "aws:eks/nodeGroup:NodeGroup": "subnetIds",
}


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for token, prop in PLACED.items():
        for resource in stack.of_type(token):
            yield from subnets_outside_private(stack, resource, prop)


private_placement = stack_rule(
    "efs-platform-private-placement",
    "EFS mount targets, EKS Fargate profiles and EKS node groups must be in private subnets "
    "(no route to an internet gateway). Security Hub: none; checkov: none.",
    _check,
)
