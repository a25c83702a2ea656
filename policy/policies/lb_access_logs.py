"""Internet-facing Application Load Balancers write access logs (advisory).

Without them nothing records who sent which request to the service. ``access_logs.enabled``
defaults to false "even when ``bucket`` is specified" (pulumi-aws ``lb.LoadBalancerAccessLogsArgs``),
so a bucket alone is not logging. Internal and network load balancers are not judged.
Security Hub ELB.5 ("Application and Classic Load Balancers logging should be enabled",
https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html); checkov CKV_AWS_91
("Ensure the ELBv2 (Application/Network) has access logging enabled").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Invalid, Res, flag, label, unclear, value
from ._lb import LOAD_BALANCERS, internet_facing_alb
from ._rule import ADVISORY, Unverifiable, resource_rule


def _check(lb: Res, config: dict[str, Any]) -> Iterator[str]:
    facing = internet_facing_alb(lb)
    if isinstance(facing, Unverifiable):
        yield facing
        return
    if not facing:
        return
    logs = lb.setting("accessLogs")
    if logs is None:
        enabled: Any = False
    elif logs is UNKNOWN:
        enabled = UNKNOWN
    elif isinstance(logs, dict):
        enabled = flag(value(logs, "enabled"), default=False)
    else:
        enabled = Invalid(logs)
    if enabled is UNKNOWN or isinstance(enabled, Invalid):
        yield Unverifiable(f"cannot verify {label(lb)}: {unclear('accessLogs.enabled', enabled)}")
    elif enabled is False:
        yield (
            "this internet-facing Application Load Balancer writes no access logs, so nothing records who "
            "sent which request; set access_logs={bucket: <SSE-S3 bucket>, enabled: True} (efs-platform: "
            "albAccessLogs)."
        )


lb_access_logs = resource_rule(
    "efs-platform-lb-access-logs",
    "Internet-facing Application Load Balancers must write access logs (access_logs.enabled). "
    "Security Hub ELB.5; checkov CKV_AWS_91.",
    LOAD_BALANCERS,
    _check,
    level=ADVISORY,
)
