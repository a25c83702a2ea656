"""Load balancer listeners use HTTPS or redirect HTTP to it (advisory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._graph import UNKNOWN, value
from ._rule import ADVISORY, Unverifiable, resource_rule

LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")


def _https(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    protocol = value(args.props, "protocol", default="HTTP")
    if protocol in ("HTTPS", "TLS", "TCP", "UDP", "TCP_UDP", UNKNOWN):
        return
    actions = value(args.props, "defaultActions", default=[], shallow=True)
    if actions is UNKNOWN:
        yield Unverifiable("cannot verify: defaultActions is not known in this preview.")
        return
    kinds = [
        (value(args.props, "defaultActions", i, "type"), value(args.props, "defaultActions", i, "redirect", "protocol"))
        for i in range(len(actions))
    ]
    if any(UNKNOWN in kind for kind in kinds):
        yield Unverifiable("cannot verify: the listener's actions are not known in this preview.")
    elif ("redirect", "HTTPS") not in kinds:
        yield (
            "an HTTP listener forwards traffic in clear text; listen on HTTPS with a certificate and redirect "
            "HTTP to it (set certificateArn)."
        )


lb_https = resource_rule(
    "efs-platform-lb-https",
    "Load balancer listeners must use HTTPS or redirect HTTP to HTTPS. Security Hub ELB.1; checkov CKV_AWS_2.",
    LISTENERS,
    _https,
    level=ADVISORY,
)
