"""EFS file systems are encrypted at rest, with a customer-managed key by default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._graph import UNKNOWN, value
from ._rule import Unverifiable, resource_rule

EFS = "aws:efs/fileSystem:FileSystem"


def _efs(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    encrypted = value(args.props, "encrypted", default=False)
    if encrypted is UNKNOWN:
        yield Unverifiable("cannot verify: encrypted is not known in this preview.")
    elif encrypted is not True:
        yield (
            "the file system is not encrypted at rest; set encrypted=True with kms_key_id (it cannot be changed later)."
        )
    elif config.get("requireCustomerManagedKey") and value(args.props, "kmsKeyId") is None:
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
