"""Containers run with a read-only root file system (advisory). Security Hub ECS.5; checkov CKV_AWS_336."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._containers import TASK_DEFINITION, containers
from ._graph import UNKNOWN
from ._rule import ADVISORY, Unverifiable, resource_rule


def _check(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    found = containers(args)
    if found is UNKNOWN:
        yield Unverifiable("cannot verify: the container definitions are not known in this preview.")
        return
    for c in found:
        if c.get("readonlyRootFilesystem") is not True:
            yield (
                f"container {c.get('name')!r} can write its root file system; set readonlyRootFilesystem and "
                f"mount writable paths."
            )


ecs_readonly_root_filesystem = resource_rule(
    "efs-platform-ecs-readonly-root-filesystem",
    "Containers should run with a read-only root file system. Security Hub ECS.5; checkov CKV_AWS_336.",
    (TASK_DEFINITION,),
    _check,
    level=ADVISORY,
)
