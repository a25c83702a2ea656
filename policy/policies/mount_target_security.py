"""Security groups on EFS mount targets admit nothing but TCP 2049.

A mount target's groups exist for NFS; any other open port on them is an unexplained path to
the file system's network interfaces. No Security Hub control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import SG_TYPES, UNKNOWN, Ingress, Stack, ingress_of, label, number
from ._rule import Unverifiable, stack_rule

MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"


def nfs_only(rule: Ingress) -> Any:
    """Whether a permission opens exactly TCP 2049: True, False or UNKNOWN."""
    if UNKNOWN in (rule.protocol, rule.from_port, rule.to_port):
        return UNKNOWN
    low, high = number(rule.from_port), number(rule.to_port)
    return str(rule.protocol).lower() in ("tcp", "6") and low == 2049 and high == 2049


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    seen: set[tuple[str, bool]] = set()
    targets = stack.of_type(MOUNT_TARGET)
    if targets:
        # Permissions whose group is not known may open a mount target's group.
        for rule in ingress_of(stack, "").unplaced:
            if nfs_only(rule) is not True:
                yield (
                    Unverifiable(
                        f"cannot verify {label(rule.holder)}: its security group is not known, and it opens "
                        f"{rule.ports}"
                    ),
                    rule.holder.urn,
                )
    for target in targets:
        groups = stack.refs(target, "securityGroups", SG_TYPES, optional=True)
        if groups.unplaced:
            yield Unverifiable(f"cannot verify {label(target)}: its security groups are not known"), target.urn
        for group in groups.found:
            if (group.urn, groups.exact) in seen:
                continue
            seen.add((group.urn, groups.exact))
            for rule, exact in ingress_of(stack, group).rules:
                verdict = nfs_only(rule)
                if verdict is UNKNOWN:
                    yield (
                        Unverifiable(f"cannot verify {label(rule.holder)}: its protocol or ports are not known"),
                        rule.holder.urn,
                    )
                elif verdict is False and exact and groups.exact:
                    yield (
                        f"{label(rule.holder)} opens {rule.ports} on {label(group)}, a group of {label(target)}; "
                        "mount target groups admit TCP 2049 only.",
                        rule.holder.urn,
                    )
                elif verdict is False:
                    yield (
                        Unverifiable(
                            f"cannot verify {label(rule.holder)}: it opens {rule.ports} on a group that may "
                            f"be {label(group)}, a group of {label(target)}"
                        ),
                        rule.holder.urn,
                    )


efs_mount_target_sg_nfs_only = stack_rule(
    "efs-platform-efs-mount-target-sg-nfs-only",
    "Security groups attached to EFS mount targets must admit nothing but TCP 2049. Security Hub: none; checkov: none.",
    _check,
)
