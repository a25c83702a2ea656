"""CloudWatch log groups are encrypted with a customer-managed KMS key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import Res
from ._rule import resource_rule

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _log_group(res: Res, config: dict[str, Any]) -> Iterator[str]:
    key = res.get("kmsKeyId")
    if key in (None, ""):
        yield (
            "the log group is not encrypted with a KMS key; set kms_key_id (the key policy must allow "
            "logs.<region>.amazonaws.com)."
        )


cloudwatch_log_group_kms = resource_rule(
    "efs-platform-cloudwatch-log-group-kms",
    "CloudWatch log groups must be encrypted with a customer-managed KMS key. Security Hub: none; checkov CKV_AWS_158.",
    (LOG_GROUP,),
    _log_group,
)
