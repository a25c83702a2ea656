"""The EKS API endpoint is private, or public only to named CIDRs.

Security Hub EKS.1 / checkov CKV_AWS_39 (public endpoint disabled) and CKV_AWS_38 (public
access restricted).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Invalid, Res, as_list, flag, has_unknown
from ._rule import Unverifiable, resource_rule


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    # AWS's defaults: public endpoint on (to 0.0.0.0/0), private endpoint off.
    public = flag(res.get("vpcConfig", "endpointPublicAccess"), default=True)
    private = flag(res.get("vpcConfig", "endpointPrivateAccess"), default=False)
    cidrs = res.get("vpcConfig", "publicAccessCidrs", default=["0.0.0.0/0"])
    if UNKNOWN in (public, private) or has_unknown(cidrs):
        yield Unverifiable("cannot verify: the endpoint settings are not known in this preview.")
        return
    if isinstance(public, Invalid) or isinstance(private, Invalid):
        yield Unverifiable("cannot verify: an endpoint flag is not a boolean the provider accepts.")
        return
    if private is not True:
        yield (
            "the private endpoint is off: nodes and pods reach the API over the internet; set "
            "endpoint_private_access=True."
        )
    if public is True:
        wide = []
        for c in as_list(cidrs):
            try:
                if ipaddress.ip_network(str(c), strict=False).prefixlen == 0:
                    wide.append(c)
            except ValueError:
                continue  # not a CIDR: EKS refuses it
        if wide or not as_list(cidrs):
            yield (
                "the public API endpoint is open to the internet; set endpoint_public_access=False or "
                "public_access_cidrs to your networks."
            )


eks_endpoint_restricted = resource_rule(
    "efs-platform-eks-endpoint-restricted",
    "EKS clusters must have the private endpoint on and the public endpoint off or limited to "
    "named CIDRs (never 0.0.0.0/0). Security Hub EKS.1; checkov CKV_AWS_39, CKV_AWS_38.",
    ("aws:eks/cluster:Cluster",),
    _check,
)
