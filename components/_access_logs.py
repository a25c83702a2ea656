"""The S3 bucket an Application Load Balancer writes its access logs to.

What AWS requires and recommends, from "Enable access logs for your Application Load Balancer"
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html):

* the bucket is in the load balancer's Region, and "the only server-side encryption option
  that's supported is Amazon S3-managed keys (SSE-S3)": AES256, never a KMS key;
* its policy lets Elastic Load Balancing ``s3:PutObject`` under
  ``<bucket>/<prefix>/AWSLogs/<account-id>/*``. AWS's current policy grants this to the log
  delivery service principal ``logdelivery.elasticloadbalancing.amazonaws.com``, in every
  Region; the older policy naming the Elastic Load Balancing account of the Region (Europe
  (Ireland): 156460612806) is "legacy ... still supported, but we recommend that you replace it
  with the newer policy", and Regions opened after August 2022 never supported it (the same
  wording is on the ALB connection-logs page, enable-connection-logging.html). The China
  Regions, documented separately, keep the account policy: their ELB accounts are those of
  terraform-provider-aws ``internal/service/elb/service_account_data_source.go`` (the table
  behind ``aws.elb.getServiceAccount``);
* ELB validates write access when access logs are enabled ("Step 4: Verify bucket
  permissions": it writes ``ELBAccessLogTestFile``), so the load balancer must be created or
  updated after the policy exists.

The rest is the posture every log bucket here gets: all public access blocked, ACLs disabled
(``BucketOwnerEnforced``: the log delivery writes without ACLs), a policy that denies requests
without TLS (``aws:SecureTransport`` false; Security Hub S3.5), a lifecycle rule that expires
logs after the retention, and ``protect`` + retain-on-delete, like the file system: the logs are
audit data, and no stack operation deletes them.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ._iam import policy_document

LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
#: Regions whose bucket policy names the Elastic Load Balancing account (see the module docstring).
ELB_ACCOUNT_BY_REGION = {"cn-north-1": "638102146993", "cn-northwest-1": "037604701340"}
#: Where the logs go in the bucket (AWS adds ``AWSLogs/<account-id>/...``; a prefix must not
#: contain ``AWSLogs``).
PREFIX = "alb"


def log_delivery_principal(region: str, partition: str) -> dict[str, str]:
    """The ``Principal`` that may write a Region's ALB access logs."""
    account = ELB_ACCOUNT_BY_REGION.get(region)
    if account is not None:
        return {"AWS": f"arn:{partition}:iam::{account}:root"}
    return {"Service": LOG_DELIVERY_SERVICE}


def bucket_policy_statements(
    bucket_arn: pulumi.Input[str], *, region: str, partition: str, account_id: str
) -> tuple[dict[str, Any], ...]:
    """Log delivery may write this account's logs under :data:`PREFIX`; nothing without TLS."""
    return (
        {
            "Sid": "ElbLogDeliveryWritesThisAccountsLogs",
            "Effect": "Allow",
            "Principal": log_delivery_principal(region, partition),
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, f"/{PREFIX}/AWSLogs/{account_id}/*"),
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


def access_log_bucket(
    name: str,
    *,
    region: str,
    partition: str,
    account_id: str,
    retention_days: int,
    parent: pulumi.Resource,
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """The bucket and its policy (the load balancer depends on the policy)."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name,
        force_destroy=False,
        tags={"Name": name, "Purpose": "ALB access logs"},
        opts=pulumi.ResourceOptions(parent=parent, protect=True, retain_on_delete=True),
    )
    ownership = aws.s3.BucketOwnershipControls(
        name, bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-access-logs",
                "status": "Enabled",
                "filter": {},  # every object (pulumi-aws: "Specifying an empty filter")
                "expiration": {"days": retention_days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ],
        opts=child,
    )
    # Last, so the load balancer (which depends on the policy) logs into a finished bucket.
    policy = aws.s3.BucketPolicy(
        name,
        bucket=bucket.id,
        policy=policy_document(
            *bucket_policy_statements(bucket.arn, region=region, partition=partition, account_id=account_id)
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[ownership, public_access, encryption]),
    )
    return bucket, policy
