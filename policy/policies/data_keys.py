"""The KMS key of protected data is protected too (advisory; prod: mandatory).

A protected, retained EFS file system or ECR repository outlives ``pulumi destroy``; if the
customer-managed key that encrypts it belongs to the stack and is not protected, the destroy
schedules the key's deletion (7-30 days), after which "you can no longer decrypt the data that
was encrypted under that KMS key" (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html).
Security Hub KMS.3 (keys should not be deleted unintentionally) is the account-side control;
checkov: none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import Stack, label
from ._rule import ADVISORY, Unverifiable, stack_rule

KMS_KEY = "aws:kms/key:Key"
#: Where each stateful type names its key: a path to the key id or ARN.
KEY_PATHS: dict[str, tuple[str | int, ...]] = {
    "aws:efs/fileSystem:FileSystem": ("kmsKeyId",),
    "aws:ecr/repository:Repository": ("encryptionConfigurations", 0, "kmsKey"),
}


def _keys_of_protected_data(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A protected EFS file system or ECR repository outlives ``pulumi destroy``; if the key that
    encrypts it is this stack's and unprotected, a destroy schedules the key's deletion (7-30
    days, KMS ScheduleKeyDeletion) and the retained data becomes unreadable for good."""
    for data in stack.of_type(*KEY_PATHS):
        if not data.protect:
            continue  # the stateful-resources rule reports the data itself
        path = KEY_PATHS[data.type]
        keys = stack.refs(data, path, (KMS_KEY,), optional=True)
        exposed = [key for key in keys.found if not key.protect]
        if keys.unplaced or (exposed and not keys.exact and len(exposed) < len(keys.found)):
            # The key is not known, or is one of several candidates and only some are unprotected.
            yield Unverifiable(f"cannot verify {label(data)}: {keys.why_not_complete('its KMS key')}"), data.urn
            continue
        for key in exposed:
            yield (
                f"{label(key)} encrypts {label(data)}, which is protected, but the key is not: a destroy "
                "schedules its deletion and the retained data becomes unreadable; give the key "
                "ResourceOptions(protect=True, retain_on_delete=True).",
                key.urn,
            )


data_keys_protected = stack_rule(
    "efs-platform-data-keys-protected",
    "The KMS key of a protected EFS file system or ECR repository must be protected too (and retained), "
    "or destroying the stack schedules the key's deletion and leaves the retained data unreadable. "
    "Keys outside the stack are not the stack's to delete. The analyzer protocol carries protect but "
    "not retainOnDelete, so the rule checks protect; the components set both. Security Hub: none "
    "(KMS.3 covers keys already scheduled for deletion); checkov: none.",
    _keys_of_protected_data,
    level=ADVISORY,
)
