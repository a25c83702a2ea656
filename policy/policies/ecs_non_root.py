"""Containers run as a non-root user (advisory). Security Hub: none; checkov: none.

Without ``user`` the image's user applies, which for most images is root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._containers import TASK_DEFINITION, containers, name_of
from ._graph import UNKNOWN, Res
from ._rule import ADVISORY, Unverifiable, resource_rule

ROOT = {"root", "0"}


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    found = containers(res)
    if found is UNKNOWN:
        yield Unverifiable("cannot verify: the container definitions are not known in this preview.")
        return
    for c in found:
        user = c.get("user")
        if not user or str(user).split(":")[0] in ROOT:
            shown = "the image's user (often root)" if not user else f"user {user!r}"
            yield f"container {name_of(c)} runs as {shown}; set user to a non-root uid:gid (containerUser)."


ecs_non_root_user = resource_rule(
    "efs-platform-ecs-non-root-user",
    "Containers should run as a non-root user. Security Hub: none; checkov: none.",
    (TASK_DEFINITION,),
    _check,
    level=ADVISORY,
)
