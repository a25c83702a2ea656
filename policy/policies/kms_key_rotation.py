"""Symmetric KMS keys rotate automatically."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Invalid, Res, flag
from ._rule import Unverifiable, resource_rule

KMS_KEY = "aws:kms/key:Key"


def _kms(res: Res, config: dict[str, Any]) -> Iterator[str]:
    spec = res.get("customerMasterKeySpec", default="SYMMETRIC_DEFAULT")
    spec = res.get("keySpec", default=spec)
    if spec not in ("SYMMETRIC_DEFAULT", UNKNOWN):
        return  # AWS rotates only symmetric encryption keys
    rotation = flag(res.get("enableKeyRotation"), default=False)
    if rotation is UNKNOWN:
        yield Unverifiable("cannot verify: enableKeyRotation is not known in this preview.")
    elif isinstance(rotation, Invalid):
        yield Unverifiable(f"cannot verify: enableKeyRotation is {rotation}, which the provider refuses.")
    elif rotation is not True:
        yield "automatic rotation is off; set enable_key_rotation=True."


kms_key_rotation = resource_rule(
    "efs-platform-kms-key-rotation",
    "Symmetric KMS keys must rotate automatically. Security Hub KMS.4; checkov CKV_AWS_7.",
    (KMS_KEY,),
    _kms,
)
