"""ECR repositories are encrypted with KMS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res
from ._rule import Unverifiable, resource_rule

ECR = "aws:ecr/repository:Repository"


def _ecr(res: Res, config: dict[str, Any]) -> Iterator[str]:
    kind = res.get("encryptionConfigurations", 0, "encryptionType", default="AES256")
    if kind is UNKNOWN:
        yield Unverifiable("cannot verify: encryptionConfigurations is not known in this preview.")
    elif kind != "KMS":
        yield (
            "the repository uses AES256 (AWS owned keys); set encryption_configurations=[{encryption_type: "
            "'KMS', kms_key: ...}]."
        )


ecr_kms_encrypted = resource_rule(
    "efs-platform-ecr-kms-encrypted",
    "ECR repositories must be encrypted with KMS. Security Hub: none; checkov CKV_AWS_136.",
    (ECR,),
    _ecr,
)
