"""Security groups on EFS mount targets admit nothing but TCP 2049.

A mount target's groups exist for NFS; any other open port on them is an unexplained path to
the file system's network interfaces. No Security Hub control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import SG_TYPES, UNKNOWN, Stack, label
from ._graph import ingress_rules as rules_of
from ._rule import Unverifiable, stack_rule

MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for target in stack.of_type(MOUNT_TARGET):
        groups = stack.refs(target, "securityGroups", SG_TYPES)
        if groups is UNKNOWN:
            yield Unverifiable(f"cannot verify {label(target)}: its security groups are not known"), target.urn
            continue
        for group in groups:
            if group.urn in seen:
                continue
            seen.add(group.urn)
            for rule in rules_of(stack, group):
                if rule.unknown:
                    yield (
                        Unverifiable(f"cannot verify {label(rule.holder)}: its protocol or ports are not known"),
                        rule.holder.urn,
                    )
                elif str(rule.protocol).lower() not in ("tcp", "6") or (rule.from_port, rule.to_port) not in (
                    (2049, 2049),
                    (2049.0, 2049.0),
                ):
                    yield (
                        f"{label(rule.holder)} opens {rule.protocol} {rule.from_port}-{rule.to_port} on "
                        f"{label(group)}, a group of {label(target)}; mount target groups admit TCP 2049 only.",
                        rule.holder.urn,
                    )


efs_mount_target_sg_nfs_only = stack_rule(
    "efs-platform-efs-mount-target-sg-nfs-only",
    "Security groups attached to EFS mount targets must admit nothing but TCP 2049. Security Hub: none; checkov: none.",
    _check,
)
