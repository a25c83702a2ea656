"""Every EFS file system has a file system policy that denies requests without TLS.

Encryption in transit is a client-side mount option; only the file system policy makes it a
guarantee (``aws:SecureTransport`` false -> Deny, for every principal and action). Without a
file system policy at all, EFS lets any client that reaches a mount target mount as it likes.
No Security Hub control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from ._graph import UNKNOWN, Stack, as_list, json_value, label, statements
from ._rule import Unverifiable, stack_rule

EFS = "aws:efs/fileSystem:FileSystem"
FS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"


def denies_insecure_transport(document: Any) -> bool:
    """A Deny of every action (``*`` or ``elasticfilesystem:*``) to every principal when
    ``aws:SecureTransport`` is false."""
    for s in statements(document):
        if s.get("Effect") != "Deny":
            continue
        principal = s.get("Principal")
        if principal not in ("*", {"AWS": "*"}) and not (
            isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))
        ):
            continue
        if not {"*", "elasticfilesystem:*"} & set(as_list(s.get("Action"))):
            continue
        condition = s.get("Condition") or {}
        for operator in ("Bool", "BoolIfExists"):
            if str((condition.get(operator) or {}).get("aws:SecureTransport", "")).lower() == "false":
                return True
    return False


def policies_of(stack: Stack, fs: PolicyResource) -> tuple[list[PolicyResource], list[PolicyResource]]:
    """(file system policies of ``fs``, policies whose file system cannot be resolved)."""
    mine, unresolved = [], []
    for policy in stack.of_type(FS_POLICY):
        owners = stack.refs(policy, "fileSystemId", (EFS,))
        if owners is UNKNOWN:
            unresolved.append(policy)
        elif fs in owners:
            mine.append(policy)
    return mine, unresolved


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for fs in stack.of_type(EFS):
        mine, unresolved = policies_of(stack, fs)
        if not mine and unresolved:
            yield (
                Unverifiable(f"cannot verify {label(fs)}: the file system of {label(unresolved[0])} is not known"),
                fs.urn,
            )
            continue
        if not mine:
            yield (
                f"{label(fs)} has no file system policy: any client that reaches a mount target may mount "
                "without TLS. Add aws.efs.FileSystemPolicy denying aws:SecureTransport=false "
                "(SharedFileSystem.create_policy()).",
                fs.urn,
            )
            continue
        for policy in mine:
            document = json_value(policy, "policy")
            if document is UNKNOWN:
                yield (
                    Unverifiable(f"cannot verify {label(policy)}: its document is not known until its ARNs are"),
                    policy.urn,
                )
            elif not denies_insecure_transport(document):
                yield (
                    f"{label(policy)} does not deny requests without TLS; add a Deny of '*' to every principal "
                    'with Condition {"Bool": {"aws:SecureTransport": "false"}}.',
                    policy.urn,
                )


efs_policy_denies_insecure_transport = stack_rule(
    "efs-platform-efs-policy-denies-insecure-transport",
    "Every EFS file system must have a file system policy that denies requests without TLS "
    "(aws:SecureTransport false). No Security Hub control or checkov check covers this.",
    _check,
)
