"""EFS mount targets name their security groups.

Without ``securityGroups`` EFS attaches the VPC's default security group, which then decides
who reaches NFS. No Security Hub control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res
from ._rule import Unverifiable, resource_rule


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    groups = res.get("securityGroups", default=[])
    if groups is UNKNOWN:
        yield Unverifiable("cannot verify: securityGroups is not known in this preview.")
    elif groups is None or len(groups) == 0:
        yield "the mount target names no security group, so EFS attaches the VPC default group; set security_groups."


efs_mount_target_names_sg = resource_rule(
    "efs-platform-efs-mount-target-names-sg",
    "EFS mount targets must name their security groups (otherwise EFS attaches the VPC's default "
    "group). Security Hub: none; checkov: none.",
    ("aws:efs/mountTarget:MountTarget",),
    _check,
)
