"""HTTPS listeners use a TLS 1.2+ security policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res
from ._rule import Unverifiable, resource_rule
from .lb_https import LISTENERS, protocol_of

#: Policies that allow only TLS 1.2 and later.
TLS12_POLICIES = (
    "ELBSecurityPolicy-TLS13-",
    "ELBSecurityPolicy-TLS-1-2-",
    "ELBSecurityPolicy-FS-1-2-",
)


def _tls_policy(res: Res, config: dict[str, Any]) -> Iterator[str]:
    protocol = protocol_of(res)
    if protocol is UNKNOWN:
        yield Unverifiable("cannot verify: the listener's protocol is not known in this preview.")
        return
    if protocol not in ("HTTPS", "TLS"):
        return
    policy = res.get("sslPolicy")
    if policy is UNKNOWN:
        yield Unverifiable("cannot verify: sslPolicy is not known in this preview.")
    elif policy in (None, ""):
        yield (
            "no ssl_policy: AWS's default (ELBSecurityPolicy-2016-08) admits TLS 1.0; set "
            "ELBSecurityPolicy-TLS13-1-2-2021-06."
        )
    elif not str(policy).startswith(TLS12_POLICIES):
        yield f"ssl_policy {policy} admits TLS versions before 1.2; use ELBSecurityPolicy-TLS13-1-2-2021-06."


lb_tls_policy = resource_rule(
    "efs-platform-lb-tls-policy",
    "HTTPS/TLS listeners must use a TLS 1.2+ security policy. Security Hub ELB.17; checkov CKV_AWS_103.",
    LISTENERS,
    _tls_policy,
)
