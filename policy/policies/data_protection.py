"""Stateful resources are protected from deletion by a stack operation (advisory).

``protect`` makes ``pulumi destroy`` and a deleting update refuse; unprotecting is then a
deliberate, reviewed act. Security Hub: none; checkov: none (state-level, not a resource setting).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import Res
from ._rule import ADVISORY, resource_rule

STATEFUL = ("aws:efs/fileSystem:FileSystem", "aws:ecr/repository:Repository")


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    if not res.protect:
        yield (
            "the resource holds data but is not protected; set ResourceOptions(protect=True) (and "
            "retain_on_delete for EFS)."
        )


stateful_resources_protected = resource_rule(
    "efs-platform-stateful-resources-protected",
    "EFS file systems and ECR repositories must be protected (ResourceOptions(protect=True)) so no "
    "stack operation deletes their data. Security Hub: none; checkov: none.",
    STATEFUL,
    _check,
    level=ADVISORY,
)
