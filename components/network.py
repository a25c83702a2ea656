"""Network: the VPC every other component of the platform lives in.

Built from pulumi-aws primitives (not ``awsx.ec2.Vpc``, whose children are invisible to the
policy pack offline). Secure by default:

* DNS support and DNS hostnames on: EFS mount-target names and private endpoint DNS need both.
* One public and one private subnet per AZ; no subnet maps public IPs on launch (the ALB and the
  NAT gateways get their addresses explicitly).
* The private subnets route to the internet only through NAT (``nat_strategy``) or not at all;
  the S3 gateway endpoint is on every private route table and the interface endpoints (ECR,
  CloudWatch Logs, STS, Secrets Manager by default) sit in the private subnets with private DNS
  behind a security group that admits only HTTPS from inside the VPC.
* VPC flow logs (all traffic) go to a log group encrypted with a rotating KMS key.
* The VPC's default security group is adopted and emptied, so nothing that falls back to it
  (an EFS mount target without security groups, say) is reachable.

Subnet layout: the VPC CIDR is split in two halves; the private subnets are numbered from the
start of the lower half, the public ones from the start of the upper half, one per AZ in AZ
order. Growing ``az_count`` adds subnets without renumbering (and so replacing) existing ones.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from ._aws import botocore_session, where
from ._iam import policy_document, service_trust_policy
from ._kms import logs_statement, rotating_key
from ._validation import ArgumentError, require_int_range, require_one_of

NatStrategy = Literal["none", "single", "per-az"]
NAT_STRATEGIES: tuple[str, ...] = ("none", "single", "per-az")

#: What every Fargate service uses: image pulls (ECR API and registry) and the awslogs driver.
#: Stack settings add what else the stack uses (``settings.endpoints_used``).
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs")

#: The values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

#: Address space a VPC may use: RFC 1918 and the shared (CGNAT) range EKS setups often use.
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

#: PrivateLink endpoint services whose first label is no botocore service or endpoint prefix
#: ("AWS services that integrate with AWS PrivateLink",
#: https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html).
_PRIVATELINK_ONLY = frozenset({"ssmmessages", "ec2messages", "execute-api", "ecs-agent", "ecs-telemetry"})


@functools.cache
def aws_service_names() -> frozenset[str]:
    """AWS's own service names and endpoint prefixes (botocore's models and endpoints data), plus
    the PrivateLink-only names: the first label of an interface endpoint's service name is one."""
    session = botocore_session()
    prefixes = {name for partition in session.get_data("endpoints")["partitions"] for name in partition["services"]}
    return frozenset(session.get_available_services()) | prefixes | _PRIVATELINK_ONLY


_ENDPOINT_SERVICE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of :class:`Network`. Every field has a secure, documented default."""

    cidr_block: str = "10.0.0.0/16"
    """IPv4 CIDR of the VPC: /16 to /28 (AWS limits), inside :data:`PRIVATE_RANGES`."""

    az_count: int = 2
    """Availability zones to span, 2 to 6. Fewer than 2 has no fault tolerance."""

    subnet_prefix_length: int = 20
    """Prefix length of every subnet, 16 to 28; each half of the VPC must hold ``az_count``."""

    nat_strategy: NatStrategy = "single"
    """``none``: no internet egress; ``single``: one NAT gateway; ``per-az``: one per AZ."""

    interface_endpoints: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS
    """Services (``ecr.api``, ``logs``...) reached through interface endpoints with private DNS."""

    flow_log_retention_days: int = 365
    """Retention of the flow log group; one of :data:`LOG_RETENTION_DAYS`."""

    def __post_init__(self) -> None:
        try:
            vpc = ipaddress.IPv4Network(self.cidr_block, strict=True)
        except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError, TypeError):
            raise ArgumentError(
                "cidr_block",
                self.cidr_block,
                "must be an IPv4 network in CIDR notation with no host bits set, e.g. 10.0.0.0/16",
            ) from None
        if not 16 <= vpc.prefixlen <= 28:
            raise ArgumentError("cidr_block", self.cidr_block, "the prefix length must be /16 to /28 (AWS VPC limits)")
        if not any(vpc.subnet_of(r) for r in PRIVATE_RANGES):
            raise ArgumentError("cidr_block", self.cidr_block, "must lie inside " + ", ".join(map(str, PRIVATE_RANGES)))
        require_int_range("az_count", self.az_count, 2, 6)
        require_int_range("subnet_prefix_length", self.subnet_prefix_length, 16, 28)
        if self.subnet_prefix_length <= vpc.prefixlen:
            raise ArgumentError(
                ("subnet_prefix_length", "cidr_block"),
                self.subnet_prefix_length,
                f"must be longer than the VPC's /{vpc.prefixlen} (subnets must split {self.cidr_block})",
            )
        per_half = 2 ** (self.subnet_prefix_length - vpc.prefixlen - 1)
        if per_half < self.az_count:
            raise ArgumentError(
                ("cidr_block", "subnet_prefix_length", "az_count"),
                self.cidr_block,
                f"too small for {self.az_count} AZs with /{self.subnet_prefix_length} subnets: each half of the "
                f"VPC (private, public) holds only {per_half}; use a larger VPC CIDR or a longer subnet prefix",
            )
        require_one_of("nat_strategy", self.nat_strategy, NAT_STRATEGIES)
        if isinstance(self.interface_endpoints, str) or not all(isinstance(s, str) for s in self.interface_endpoints):
            raise ArgumentError("interface_endpoints", self.interface_endpoints, "must be a list of service names")
        for service in self.interface_endpoints:
            if not _ENDPOINT_SERVICE.match(service):
                raise ArgumentError(
                    "interface_endpoints", service, "must be a service name such as ecr.api, ecr.dkr, logs or sts"
                )
            known = aws_service_names()
            if service.split(".")[0] not in known:
                close = difflib.get_close_matches(service.split(".")[0], sorted(known), n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise ArgumentError(
                    "interface_endpoints",
                    service,
                    f"is not an AWS service: {hint}name it as the endpoint service com.amazonaws.<region>.<name> "
                    "does (ecr.api, ecr.dkr, logs, sts, secretsmanager, ssm, kms...)",
                )
            if service == "s3":
                raise ArgumentError(
                    "interface_endpoints", service, "s3 is always reached through the gateway endpoint; remove it"
                )
        if len(set(self.interface_endpoints)) != len(self.interface_endpoints):
            raise ArgumentError("interface_endpoints", list(self.interface_endpoints), "must not repeat a service")
        require_one_of("flow_log_retention_days", self.flow_log_retention_days, LOG_RETENTION_DAYS)

    def subnet_cidrs(self) -> tuple[list[str], list[str]]:
        """(private, public) subnet CIDRs, one per AZ, as laid out in the module docstring."""
        lower, upper = ipaddress.IPv4Network(self.cidr_block).subnets(prefixlen_diff=1)
        private = list(lower.subnets(new_prefix=self.subnet_prefix_length))[: self.az_count]
        public = list(upper.subnets(new_prefix=self.subnet_prefix_length))[: self.az_count]
        return [str(n) for n in private], [str(n) for n in public]


class Network(pulumi.ComponentResource):
    """VPC, subnets, routing, NAT, VPC endpoints and flow logs (see the module docstring)."""

    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    endpoint_security_group: aws.ec2.SecurityGroup

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    availability_zones: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]
    endpoint_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Look-ups first, so a region that cannot hold the network fails before anything exists.
        invoke = pulumi.InvokeOptions(parent=opts.parent if opts else None, provider=opts.provider if opts else None)
        zones = aws.get_availability_zones(
            state="available",
            # Local and Wavelength Zones are opt-in; they cannot hold EFS mount targets.
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=invoke,
        ).names
        if len(zones) < args.az_count:
            raise ArgumentError(
                "az_count",
                args.az_count,
                f"the region has only {len(zones)} standard availability zones: {', '.join(zones)}",
            )
        zones = sorted(zones)[: args.az_count]

        super().__init__("efs-platform:index:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        here = where(self)
        region, account_id = here.region, here.account_id

        def tags(role: str) -> dict[str, str]:
            return {"Name": f"{name}-{role}"}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=child,
        )
        # Adopting the default security group with no rules removes AWS's default rules.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, tags=tags("default-closed"), opts=child)

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tags("igw"), opts=child)
        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=self.vpc.id, tags=tags("public"), opts=child)
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )

        private_cidrs, public_cidrs = args.subnet_cidrs()
        self.public_subnets, self.private_subnets, self.private_route_tables = [], [], []
        nat_gateways: list[aws.ec2.NatGateway] = []
        for i, zone in enumerate(zones):
            public = aws.ec2.Subnet(
                f"{name}-public-{i + 1}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=tags(f"public-{zone}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i + 1}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            self.public_subnets.append(public)

            if args.nat_strategy == "per-az" or (args.nat_strategy == "single" and i == 0):
                eip = aws.ec2.Eip(f"{name}-nat-{i + 1}", domain="vpc", tags=tags(f"nat-{zone}"), opts=child)
                nat_gateways.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{i + 1}",
                        allocation_id=eip.id,
                        subnet_id=public.id,
                        connectivity_type="public",
                        tags=tags(f"nat-{zone}"),
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                    )
                )

            private = aws.ec2.Subnet(
                f"{name}-private-{i + 1}",
                vpc_id=self.vpc.id,
                cidr_block=private_cidrs[i],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=tags(f"private-{zone}"),
                opts=child,
            )
            private_rt = aws.ec2.RouteTable(
                f"{name}-private-{i + 1}", vpc_id=self.vpc.id, tags=tags(f"private-{zone}"), opts=child
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i + 1}", subnet_id=private.id, route_table_id=private_rt.id, opts=child
            )
            self.private_subnets.append(private)
            self.private_route_tables.append(private_rt)

        for i, rt in enumerate(self.private_route_tables):
            if nat_gateways:
                nat = nat_gateways[i] if args.nat_strategy == "per-az" else nat_gateways[0]
                aws.ec2.Route(
                    f"{name}-private-{i + 1}-default",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=child,
                )

        service_prefix = f"{here.reverse_dns_prefix}.{region}"
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"{service_prefix}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in self.private_route_tables],
            tags=tags("s3"),
            opts=child,
        )
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=self.vpc.id,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args.cidr_block],
                    description="HTTPS from the VPC",
                )
            ],
            egress=[],  # endpoint ENIs only answer; no rule needed for replies
            tags=tags("endpoints"),
            opts=child,
        )
        for service in args.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"{service_prefix}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[self.endpoint_security_group.id],
                tags=tags(service),
                opts=child,
            )

        self._flow_logs(name, args=args, region=region, partition=here.partition, account_id=account_id, child=child)

        self.vpc_id = self.vpc.id
        self.vpc_cidr = self.vpc.cidr_block
        self.availability_zones = pulumi.Output.from_input(zones)
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in self.public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in self.private_subnets])
        self.private_route_table_ids = pulumi.Output.all(*[rt.id for rt in self.private_route_tables])
        self.endpoint_security_group_id = self.endpoint_security_group.id
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidr": self.vpc_cidr,
                "availabilityZones": self.availability_zones,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "privateRouteTableIds": self.private_route_table_ids,
                "endpointSecurityGroupId": self.endpoint_security_group_id,
            }
        )

    def _flow_logs(
        self,
        name: str,
        *,
        args: NetworkArgs,
        region: str,
        partition: str,
        account_id: str,
        child: pulumi.ResourceOptions,
    ) -> None:
        """Flow logs of all traffic to a KMS-encrypted log group, written by a role that can
        write only to that group."""
        key = rotating_key(
            f"{name}-flow-logs",
            f"{name}: encrypts the VPC flow log group",
            partition=partition,
            account_id=account_id,
            extra_statements=(logs_statement(region, partition, account_id),),
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=key.arn,
            tags={"Name": f"{name}-flow-logs"},
            opts=child,
        )
        # The role as AWS documents it ("IAM role for publishing flow logs to CloudWatch Logs",
        # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html): the five
        # logs actions (there on Resource "*"), here on this stack's group, DescribeLogGroups on
        # the account's groups (a list action); trusted by the flow logs service only for this
        # account's flow logs (aws:SourceAccount + aws:SourceArn, the confused-deputy guard the
        # page recommends).
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"{name}: lets VPC Flow Logs write to its log group",
            assume_role_policy=service_trust_policy(
                "vpc-flow-logs.amazonaws.com",
                account_id,
                source_arn=f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*",
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=policy_document(
                {
                    "Sid": "WriteThisStacksFlowLogGroup",
                    "Effect": "Allow",
                    "Action": [
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    "Resource": [log_group.arn, pulumi.Output.concat(log_group.arn, ":*")],
                },
                {
                    "Sid": "FindTheLogGroup",
                    "Effect": "Allow",
                    "Action": "logs:DescribeLogGroups",
                    "Resource": f"arn:{partition}:logs:{region}:{account_id}:log-group:*",
                },
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-vpc",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
