"""VPC DNS support and DNS hostnames on.

EFS mount helpers resolve ``fs-….efs.<region>.amazonaws.com`` through the VPC resolver, and
interface endpoints with private DNS need both attributes: with either off, mounts fail with
"Failed to resolve" and image pulls go to the public endpoints. AWS defaults DNS support on and
DNS hostnames OFF, so the rule treats an absent ``enableDnsHostnames`` as off.
No Security Hub control or checkov check covers this.
"""

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._graph import UNKNOWN, value
from ._rule import Unverifiable, resource_rule

VPC = "aws:ec2/vpc:Vpc"


def _check(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    for prop, default in (("enableDnsSupport", True), ("enableDnsHostnames", False)):
        setting = value(args.props, prop, default=default)
        if setting is UNKNOWN:
            yield Unverifiable(f"cannot verify: {prop} is not known in this preview; set it to a literal true.")
        elif setting is not True:
            shown = "off" if setting is False else repr(setting)
            yield f"{prop} is {shown}; set {prop}=True (EFS and private endpoint DNS need it)."


vpc_dns_enabled = resource_rule(
    "efs-platform-ec2-vpc-dns-enabled",
    "VPCs must have DNS support and DNS hostnames enabled (enable_dns_support=True, "
    "enable_dns_hostnames=True): EFS mount targets and private endpoints are resolved by name. "
    "Security Hub: none; checkov: none.",
    (VPC,),
    _check,
)
