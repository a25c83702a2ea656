"""VPC DNS support and DNS hostnames on.

EFS mount helpers resolve ``fs-….efs.<region>.amazonaws.com`` through the VPC resolver, and
interface endpoints with private DNS need both attributes: with either off, mounts fail with
"Failed to resolve" and image pulls go to the public endpoints. AWS defaults DNS support on and
DNS hostnames OFF, so the rule treats an absent ``enableDnsHostnames`` as off.
No Security Hub control or checkov check covers this.
"""

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from ._graph import UNKNOWN, value

VPC = "aws:ec2/vpc:Vpc"


def _validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != VPC:
        return
    for prop, default in (("enableDnsSupport", True), ("enableDnsHostnames", False)):
        setting = value(args.props, prop, default=default)
        if setting is UNKNOWN:
            report(f"cannot verify: {prop} is not known during this preview; set it to a literal true.", None)
        elif setting is not True:
            shown = "off" if setting is False else repr(setting)
            report(f"{prop} is {shown}; set {prop}=True (EFS and private endpoint DNS need it).", None)


vpc_dns_enabled = ResourceValidationPolicy(
    name="efs-platform-ec2-vpc-dns-enabled",
    description=(
        "VPCs must have DNS support and DNS hostnames enabled (enable_dns_support=True, "
        "enable_dns_hostnames=True): EFS mount targets and private endpoints are resolved by name. "
        "Security Hub: none; checkov: none."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate,
    remediation_steps="Set enable_dns_support=True and enable_dns_hostnames=True on the aws.ec2.Vpc.",
)
