"""Where a component's resources live: region, partition and account, looked up once per
component through the provider the component inherits (invokes run in a preview too); and
AWS's own service models (botocore's data), which the Args check values against."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import botocore.session
import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Where:
    region: str
    partition: str
    """``aws``, ``aws-cn``, ``aws-us-gov``: the ARN partition."""
    dns_suffix: str
    """``amazonaws.com`` and the like: endpoint host names end with it."""
    reverse_dns_prefix: str
    """``com.amazonaws`` and the like: VPC endpoint service names start with it."""
    account_id: str


def where(parent: pulumi.Resource) -> Where:
    invoke = pulumi.InvokeOptions(parent=parent)
    partition = aws.get_partition(opts=invoke)
    return Where(
        region=aws.get_region(opts=invoke).region,
        partition=partition.partition,
        dns_suffix=partition.dns_suffix,
        reverse_dns_prefix=partition.reverse_dns_prefix,
        account_id=aws.get_caller_identity(opts=invoke).account_id,
    )


@functools.cache
def botocore_session() -> botocore.session.Session:
    """One botocore session for every model look-up (its loader caches what it has read)."""
    return botocore.session.get_session()
