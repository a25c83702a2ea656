"""Customer-managed KMS keys: always rotating, administered by the account, with the service
statements a key's users need."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ._iam import policy_document


def account_root_statement(partition: str, account_id: str) -> dict[str, Any]:
    """The account administers the key through IAM (AWS's default key policy)."""
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_statement(region: str, partition: str, account_id: str) -> dict[str, Any]:
    """CloudWatch Logs may use the key, only for this account's log groups in this region."""
    return {
        "Sid": "CloudWatchLogsUsesForThisAccountsLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"}
        },
    }


def rotating_key(
    name: str,
    description: str,
    *,
    partition: str,
    account_id: str,
    extra_statements: tuple[dict[str, Any], ...] = (),
    opts: pulumi.ResourceOptions,
    keeps_retained_data: bool = False,
) -> aws.kms.Key:
    """A symmetric key with yearly rotation and a 30-day deletion window.

    ``keeps_retained_data``: the key encrypts data that outlives the stack (a protected, retained
    file system or repository), so it is protected and retained as that data is. Otherwise an
    unprotect + destroy would schedule the key's deletion (KMS ScheduleKeyDeletion: 7-30 days,
    then "you can no longer decrypt the data that was encrypted under that KMS key",
    https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html) and the retained
    data would become unreadable for good.
    """
    if keeps_retained_data:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True))
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy_document(account_root_statement(partition, account_id), *extra_statements),
        tags={"Name": name},
        opts=opts,
    )
