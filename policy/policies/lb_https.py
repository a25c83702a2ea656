"""Load balancer listeners use HTTPS or redirect HTTP to it (advisory).

The provider takes ``protocol`` in any case (terraform-provider-aws upper-cases it) and defaults
it to HTTP on application load balancers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, as_list, value
from ._rule import ADVISORY, Unverifiable, resource_rule

LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
ENCRYPTED_OR_NOT_HTTP = ("HTTPS", "TLS", "TCP", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC")


def protocol_of(res: Res) -> Any:
    protocol = res.get("protocol", default="HTTP")
    return protocol if protocol is UNKNOWN else str(protocol).upper()


def _https(res: Res, config: dict[str, Any]) -> Iterator[str]:
    protocol = protocol_of(res)
    if protocol is UNKNOWN:
        yield Unverifiable("cannot verify: the listener's protocol is not known in this preview.")
        return
    if protocol in ENCRYPTED_OR_NOT_HTTP:
        return
    actions = res.get("defaultActions", default=[])
    kinds = [
        (value(a, "type"), value(a, "redirect", "protocol")) if isinstance(a, dict) else (UNKNOWN, UNKNOWN)
        for a in as_list(actions)
        if actions is not UNKNOWN
    ]
    if actions is UNKNOWN or any(UNKNOWN in kind for kind in kinds):
        yield Unverifiable("cannot verify: the listener's actions are not known in this preview.")
        return
    if ("redirect", "HTTPS") not in [(str(t).lower(), str(p).upper()) for t, p in kinds]:
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
