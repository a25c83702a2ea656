"""No privileged containers (mandatory). Security Hub ECS.4; checkov CKV_AWS_334."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._containers import TASK_DEFINITION, containers, json_flag, name_of
from ._graph import UNKNOWN, Invalid, Res
from ._rule import Unverifiable, resource_rule


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    found = containers(res)
    if found is UNKNOWN:
        yield Unverifiable("cannot verify: the container definitions are not known in this preview.")
        return
    for c in found:
        privileged = json_flag(c.get("privileged"))
        if isinstance(privileged, Invalid):
            yield Unverifiable(
                f"cannot verify container {name_of(c)}: privileged is {privileged}, not a JSON boolean "
                "(the provider refuses the definition)."
            )
        elif privileged is True:
            yield f"container {name_of(c)} is privileged (root on the host); remove privileged."


ecs_no_privileged_containers = resource_rule(
    "efs-platform-ecs-no-privileged-containers",
    "Containers must not run privileged. Security Hub ECS.4; checkov CKV_AWS_334.",
    (TASK_DEFINITION,),
    _check,
)
