"""Containers run with a read-only root file system (advisory). Security Hub ECS.5; checkov CKV_AWS_336."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._containers import TASK_DEFINITION, containers, json_flag, name_of
from ._graph import UNKNOWN, Invalid, Res
from ._rule import ADVISORY, Unverifiable, resource_rule


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    found = containers(res)
    if found is UNKNOWN:
        yield Unverifiable("cannot verify: the container definitions are not known in this preview.")
        return
    for c in found:
        readonly = json_flag(c.get("readonlyRootFilesystem"))
        if isinstance(readonly, Invalid):
            yield Unverifiable(
                f"cannot verify container {name_of(c)}: readonlyRootFilesystem is {readonly}, not a JSON boolean "
                "(the provider refuses the definition)."
            )
        elif readonly is not True:
            yield (
                f"container {name_of(c)} can write its root file system; set readonlyRootFilesystem and "
                f"mount writable paths."
            )


ecs_readonly_root_filesystem = resource_rule(
    "efs-platform-ecs-readonly-root-filesystem",
    "Containers should run with a read-only root file system. Security Hub ECS.5; checkov CKV_AWS_336.",
    (TASK_DEFINITION,),
    _check,
    level=ADVISORY,
)
