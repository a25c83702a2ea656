"""No privileged containers (mandatory). Security Hub ECS.4; checkov CKV_AWS_334."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._containers import TASK_DEFINITION, containers
from ._graph import UNKNOWN
from ._rule import Unverifiable, resource_rule


def _check(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    found = containers(args)
    if found is UNKNOWN:
        yield Unverifiable("cannot verify: the container definitions are not known in this preview.")
        return
    for c in found:
        if c.get("privileged") is True:
            yield f"container {c.get('name')!r} is privileged (root on the host); remove privileged."


ecs_no_privileged_containers = resource_rule(
    "efs-platform-ecs-no-privileged-containers",
    "Containers must not run privileged. Security Hub ECS.4; checkov CKV_AWS_334.",
    (TASK_DEFINITION,),
    _check,
)
