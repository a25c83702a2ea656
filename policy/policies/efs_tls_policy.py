"""Every EFS file system has a file system policy that denies requests without TLS.

Encryption in transit is a client-side mount option; only the file system policy makes it a
guarantee (``aws:SecureTransport`` false -> Deny, for every principal and action). Without a
file system policy at all, EFS lets any client that reaches a mount target mount as it likes.
No Security Hub control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, Stack, as_list, json_value, label, statements
from ._iam import MOUNT, action_applies, principal_applies, resource_applies
from ._rule import Unverifiable, stack_rule

EFS = "aws:efs/fileSystem:FileSystem"
FS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
SECURE = "aws:securetransport"  # condition keys are case-insensitive


def denies_insecure_transport(document: Any, fs_arn: str | None) -> Any:
    """Whether the document holds a Deny, to every principal, of ClientMount (so of every mount)
    on the file system (``fs_arn``; None when not known) when ``aws:SecureTransport`` is false,
    with no other condition narrowing it: True, False, or UNKNOWN when its Resource cannot be
    matched yet. Condition keys are case-insensitive."""
    verdict: Any = False
    for s in statements(document):
        if s.get("Effect") != "Deny" or not action_applies(s, MOUNT):
            continue
        if not principal_applies(s, None, identity_policy=False):
            continue
        condition = s.get("Condition")
        if not isinstance(condition, dict) or len(condition) != 1:
            continue
        ((operator, tests),) = condition.items()
        if operator not in ("Bool", "BoolIfExists") or not isinstance(tests, dict) or len(tests) != 1:
            continue
        ((key, expected),) = tests.items()
        if str(key).lower() != SECURE or [str(v).lower() for v in as_list(expected)] != ["false"]:
            continue
        applies = resource_applies(s, fs_arn)
        if applies is True:
            return True
        if applies is UNKNOWN:
            verdict = UNKNOWN
    return verdict


def policies_of(stack: Stack, fs: Res) -> tuple[list[Res], list[Res]]:
    """(file system policies of ``fs``, policies that may be its own but cannot be resolved)."""
    index = stack.referrers((FS_POLICY,), "fileSystemId", (EFS,))
    mine = [policy for policy, exact in index.of(fs) if exact]
    unresolved = [policy for policy, exact in index.of(fs) if not exact] + index.unplaced
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
            fs_arn = fs.get("arn")
            verdict = (
                UNKNOWN
                if document is UNKNOWN
                else denies_insecure_transport(document, fs_arn if isinstance(fs_arn, str) else None)
            )
            if verdict is UNKNOWN:
                yield (
                    Unverifiable(f"cannot verify {label(policy)}: its document is not known until its ARNs are"),
                    policy.urn,
                )
            elif verdict is False:
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
