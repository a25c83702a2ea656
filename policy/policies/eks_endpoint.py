"""The EKS API endpoint is private, or public only to named CIDRs.

Security Hub EKS.1 / checkov CKV_AWS_39 (public endpoint disabled) and CKV_AWS_38 (public
access restricted).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._graph import UNKNOWN, as_list, value
from ._rule import Unverifiable, resource_rule


def _check(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    public = value(args.props, "vpcConfig", "endpointPublicAccess", default=True)
    private = value(args.props, "vpcConfig", "endpointPrivateAccess", default=False)
    cidrs = value(args.props, "vpcConfig", "publicAccessCidrs", default=["0.0.0.0/0"])
    if UNKNOWN in (public, private) or cidrs is UNKNOWN:
        yield Unverifiable("cannot verify: the endpoint settings are not known in this preview.")
        return
    if private is not True:
        yield (
            "the private endpoint is off: nodes and pods reach the API over the internet; set "
            "endpoint_private_access=True."
        )
    if public is True:
        wide = [c for c in as_list(cidrs) if ipaddress.ip_network(str(c), strict=False).prefixlen == 0]
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
