"""EFS file systems are encrypted at rest, with a customer-managed key by default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Invalid, Res, flag
from ._rule import Unverifiable, resource_rule

EFS = "aws:efs/fileSystem:FileSystem"


def _efs(res: Res, config: dict[str, Any]) -> Iterator[str]:
    encrypted = flag(res.get("encrypted"), default=False)
    if encrypted is UNKNOWN:
        yield Unverifiable("cannot verify: encrypted is not known in this preview.")
    elif isinstance(encrypted, Invalid):
        yield Unverifiable(f"cannot verify: encrypted is {encrypted}, which the provider refuses (true or false).")
    elif encrypted is not True:
        yield (
            "the file system is not encrypted at rest; set encrypted=True with kms_key_id (it cannot be changed later)."
        )
    elif config.get("requireCustomerManagedKey") and res.get("kmsKeyId") in (None, ""):
        yield (
            "the file system uses the AWS managed key; set kms_key_id to a customer-managed key (rotation, key policy)."
        )


efs_encrypted = resource_rule(
    "efs-platform-efs-encrypted",
    "EFS file systems must be encrypted at rest, with a customer-managed KMS key unless "
    "requireCustomerManagedKey is false. Security Hub EFS.1; checkov CKV_AWS_42, CKV_AWS_184.",
    (EFS,),
    _efs,
    config={"requireCustomerManagedKey": {"type": "boolean", "default": True}},
)
