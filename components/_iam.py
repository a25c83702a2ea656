"""IAM documents are built from Python data and serialised here, in one place."""

from __future__ import annotations

from typing import Any

import pulumi


def policy_document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """An IAM policy document (Version 2012-10-17) as JSON; statements may hold Outputs."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust_policy(
    service: str, source_account: pulumi.Input[str], *, source_arn: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust policy letting one AWS service principal assume a role, only for our own account
    and, given ``source_arn`` (may end in ``*``), only for those resources (the confused-deputy
    guard AWS recommends)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return policy_document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole", "Condition": condition}
    )
