"""Fargate workloads: one ECS cluster per stack, one internet-facing ALB shared by the stack's
web services, and any number of services whose tasks mount the shared EFS file system.

Three components, secure and mount-ready by default:

* :class:`FargateCluster`: the ECS cluster, with Container Insights.
* :class:`WebIngress`: the ALB in the public subnets and what belongs to it once per stack: its
  security group (HTTP/HTTPS from the internet, IPv6 only when dual-stack), invalid headers
  dropped, deletion protection configurable, access logs to a private, SSE-S3, TLS-only,
  protected bucket with a lifecycle rule, an AWS WAF web ACL with AWS managed rule groups; with
  a certificate an HTTPS listener (TLS 1.2+ policy) and HTTP->HTTPS redirect, otherwise plain
  HTTP. Web services attach to it (:meth:`WebIngress.attach`): one may take the listener's
  default action, the others are routed by host and/or path (:class:`Routing`), one listener
  rule each, with priorities derived from the service's name (stable when services come and go).
* :class:`FargateService`, one per service:

  * logs to a KMS-encrypted log group with retention;
  * execution role with AmazonECSTaskExecutionRolePolicy, plus read access to exactly the
    secrets the container names (full ARNs, random suffix included) and, for a private registry,
    to exactly its credentials secret (``repositoryCredentials``) and that secret's KMS key;
  * a task role with no permissions of its own: the file system's ``grant`` gives it access;
  * container definitions built from typed settings, serialised by code and checked against
    AWS's ECS model; CPU/memory from the Fargate table; read-only root file system with writable
    ephemeral paths; EFS volumes with ``transitEncryption: ENABLED`` and IAM authorization
    through an access point, read-only where the mount is;
  * the service: launch type FARGATE, platform version 1.4.0 or later (EFS needs it), private
    subnets, no public IP, its own security group (ingress only from the ALB on the container
    port, and only for a web service: a worker admits nothing), deployment circuit breaker with
    rollback, CPU target-tracking autoscaling;
  * a web service (a container port and an ingress) gets its target group (type ip) and, when
    routed, its listener rule; a worker gets neither;
  * mount-ready: the service admits NFS from its tasks to each file system it mounts and grants
    its task role exactly its access points (ClientWrite only for writable mounts). The ECS
    service is created by :meth:`FargateService.start`, after the file systems' policies exist
    (``fs.create_policy()``) and the ingress's listeners (``ingress.create_listeners()``), and
    depends on the mount targets, its NFS rules, those policies and its listener (rule), so no
    task starts before what its mounts and its target group need;
  * ``pulumi up`` waits for the service to reach a steady state (timeout configurable), so a
    deployment whose tasks crash-loop fails the update instead of passing.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from . import _access_logs, _ecs_model
from ._aws import where
from ._iam import policy_document, service_trust_policy
from ._kms import logs_statement, rotating_key
from ._security import allow_tcp
from ._validation import ArgumentError, require_int_range, require_one_of
from .file_system import SharedFileSystem
from .network import LOG_RETENTION_DAYS

#: Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
#: The ALB address types this component supports (pulumi-aws ``lb.LoadBalancer.ip_address_type``:
#: ipv4, dualstack, dualstack-without-public-ipv4; sdk/python/pulumi_aws/lb/load_balancer.py).
ALB_IP_ADDRESS_TYPES = ("ipv4", "dualstack")
#: AWS managed rule groups of the ALB's web ACL, in priority order: the core rule set (OWASP
#: Top 10 classes), known bad inputs (Log4j and similar) and Amazon's IP reputation list; 925 WCUs
#: together (700 + 200 + 25), inside the 1,500 the base price covers
#: (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html,
#: aws-managed-rule-groups-ip-rep.html).
WAF_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
_SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}"
    r"(:[^:]*:[^:]*:[^:]*)?$"
)
_SSM_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/.+$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


def _platform_version_ok(version: str) -> bool:
    if version == "LATEST":
        return True
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    return match is not None and tuple(map(int, match.groups())) >= (1, 4, 0)


@dataclass(frozen=True)
class EfsVolume:
    """Mount ``file_system`` through its access point ``access_point`` at ``container_path``."""

    file_system: SharedFileSystem
    access_point: str
    container_path: str
    read_only: bool = False
    name: str = "efs"

    def __post_init__(self) -> None:
        self.file_system.access_point(self.access_point)  # raises naming the known access points
        if not self.container_path.startswith("/") or self.container_path == "/":
            raise ArgumentError("efs_volumes.container_path", self.container_path, "must be an absolute path below /")


@dataclass(frozen=True)
class ContainerSettings:
    image: pulumi.Input[str]
    name: str = "app"
    port: int | None = 80
    """The port the container listens on; ``None`` for a worker that serves nothing."""
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Environment variable -> full Secrets Manager secret ARN (or SSM parameter ARN)."""

    command: tuple[str, ...] | None = None
    health_check_command: tuple[str, ...] | None = None
    """Container health check (``CMD-SHELL`` form added when a single string is given)."""

    readonly_root_filesystem: bool = True
    writable_paths: tuple[str, ...] = ("/tmp",)  # noqa: S108 - a container's own ephemeral volume
    """Ephemeral writable directories when the root file system is read-only."""

    user: str | None = None
    """``uid[:gid]`` to run as; the image's user when not set."""

    repository_credentials_secret_arn: str | None = None
    """Secrets Manager secret with private registry credentials (full ARN)."""

    repository_credentials_kms_key_arn: str | None = None
    """Customer-managed KMS key of that secret (not needed for the AWS managed key)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _CONTAINER_NAME.match(self.name):
            raise ArgumentError("container.name", self.name, "must be 1-255 of letters, digits, _ and -")
        if self.port is not None:
            require_int_range("container.port", self.port, 1, 65535)
        if self.command is not None and (
            isinstance(self.command, str) or not self.command or not all(isinstance(c, str) for c in self.command)
        ):
            raise ArgumentError("container.command", self.command, "must be a non-empty list of strings")
        for key in list(self.environment) + list(self.secrets):
            if not _ENV_NAME.match(key):
                raise ArgumentError("container.environment", key, "variable names are letters, digits and _")
        for key, value in self.environment.items():
            if not isinstance(value, str):
                raise ArgumentError(f"container.environment.{key}", value, "must be a string")
            if _looks_like_aws_credentials(key, value):
                raise ArgumentError(
                    f"container.environment.{key}",
                    "<redacted>",
                    "AWS credentials never go in the environment; use the task role",
                )
        both = set(self.environment) & set(self.secrets)
        if both:
            raise ArgumentError("container.secrets", sorted(both), "are also plain environment variables")
        for key, arn in self.secrets.items():
            if not (isinstance(arn, str) and (_SECRET_ARN.match(arn) or _SSM_ARN.match(arn))):
                raise ArgumentError(
                    f"container.secrets.{key}",
                    arn,
                    "must be the full ARN of a Secrets Manager secret, with its 6-character random suffix "
                    "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf), or of an SSM parameter",
                )
        creds = self.repository_credentials_secret_arn
        if creds is not None and not (isinstance(creds, str) and _SECRET_ARN.match(creds) and creds.count(":") == 6):
            raise ArgumentError(
                "container.repository_credentials_secret_arn",
                creds,
                "must be the full ARN of a Secrets Manager secret, including its 6-character random suffix",
            )
        kms_key = self.repository_credentials_kms_key_arn
        if kms_key is not None and (creds is None or not _KMS_KEY_ARN.match(kms_key)):
            raise ArgumentError(
                "container.repository_credentials_kms_key_arn",
                kms_key,
                "must be a KMS key ARN, and needs the credentials secret",
            )
        for path in self.writable_paths:
            if not path.startswith("/") or path == "/":
                raise ArgumentError("container.writable_paths", path, "must be absolute paths below /")
        if self.user is not None and not re.fullmatch(
            r"[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?", self.user
        ):
            raise ArgumentError("container.user", self.user, "must be user, uid, user:group or uid:gid")


def _looks_like_aws_credentials(key: str, value: str) -> bool:
    return key.upper() in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN") or bool(
        re.fullmatch(r"(AKIA|ASIA)[A-Z0-9]{16}", value)
    )


#: Listener rules, from "Listener rules for your Application Load Balancer", rule basics
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html):
#: a rule has at most one host-header and one path-pattern condition, "up to three comparison
#: strings per condition and up to five per rule"; the quotas page
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html,
#: Rules) also caps condition wildcards at 5 per rule and rules at 100 per load balancer.
MAX_VALUES_PER_CONDITION = 3
MAX_VALUES_PER_RULE = 5
MAX_WILDCARDS_PER_RULE = 5
MAX_RULES_PER_ALB = 100
#: Host names: up to 128 characters of A-Z, a-z, 0-9, ``-``, ``.``, ``*`` and ``?``, with at least
#: one ``.`` and only letters after the last (API HostHeaderConditionConfig,
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_HostHeaderConditionConfig.html).
_HOST = re.compile(r"^(?=.{1,128}$)[A-Za-z0-9*?.-]*\.[A-Za-z*?]+$")
#: Path patterns: up to 128 characters, case-sensitive, of A-Z, a-z, 0-9, ``_ - . $ / ~ " ' @ : +``,
#: ``&``, ``*`` and ``?`` (API RuleCondition ``Values``; CloudFormation PathPatternConfig); here
#: they start with ``/`` because they are compared to the request's path.
_PATH = re.compile(r"""^(?=.{1,128}$)/[A-Za-z0-9_\-.$/~"'@:+&*?]*$""")
#: Rule priorities: "Valid Range: Minimum value of 1. Maximum value of 50000" (API
#: RulePriorityPair / CreateRule, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RulePriorityPair.html),
#: lowest first. Each tier holds 10,000 priorities: rules with a host and a path are evaluated
#: first, then path-only rules, then host-only rules.
PRIORITY_TIER = 10_000


@dataclass(frozen=True)
class Routing:
    """Which requests the shared ALB forwards to a web service: those whose host matches one of
    ``hosts`` (if given) and whose path matches one of ``paths`` (if given)."""

    hosts: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for key, values, pattern, what in (
            ("routing.hosts", self.hosts, _HOST, "host names of up to 128 characters (a-z, 0-9, -, ., * and ?) "
             "with at least one '.' and only letters after the last"),
            ("routing.paths", self.paths, _PATH, "path patterns of up to 128 characters starting with / "
             "(a-z, 0-9, _-.$/~\"'@:+&, * and ?)"),
        ):  # fmt: skip
            if isinstance(values, str) or not all(isinstance(v, str) for v in values):
                raise ArgumentError(key, values, "must be a list of strings")
            for value in values:
                if not pattern.match(value):
                    raise ArgumentError(key, value, f"must be {what}")
            if len(values) > MAX_VALUES_PER_CONDITION:
                raise ArgumentError(
                    key, list(values), f"an ALB condition takes at most {MAX_VALUES_PER_CONDITION} values"
                )
            if len(set(values)) != len(values):
                raise ArgumentError(key, list(values), "must not repeat a value")
        every = [*self.hosts, *self.paths]
        if not every:
            raise ArgumentError("routing", {}, "needs hosts or paths (omit routing to take the default action)")
        if len(every) > MAX_VALUES_PER_RULE:
            raise ArgumentError("routing", every, f"an ALB rule takes at most {MAX_VALUES_PER_RULE} values in all")
        if sum(v.count("*") + v.count("?") for v in every) > MAX_WILDCARDS_PER_RULE:
            raise ArgumentError("routing", every, f"an ALB rule takes at most {MAX_WILDCARDS_PER_RULE} wildcards")

    def priority(self, service: str) -> int:
        """The listener rule's priority: its tier (host and path, path, host), plus a number
        derived from the service's name, so adding or removing a service never renumbers
        another's rule (a collision is refused by :meth:`WebIngress.attach`)."""
        tier = 1 if self.hosts and self.paths else 2 if self.paths else 3
        return tier * PRIORITY_TIER + zlib.crc32(service.encode()) % PRIORITY_TIER

    def conditions(self) -> list[aws.lb.ListenerRuleConditionArgs]:
        conditions = []
        if self.hosts:
            conditions.append(
                aws.lb.ListenerRuleConditionArgs(
                    host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=list(self.hosts))
                )
            )
        if self.paths:
            conditions.append(
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(self.paths))
                )
            )
        return conditions


@dataclass(frozen=True)
class FargateClusterArgs:
    container_insights: bool = True
    """CloudWatch Container Insights (task and service metrics)."""

    def __post_init__(self) -> None:
        if not isinstance(self.container_insights, bool):
            raise ArgumentError("container_insights", self.container_insights, "must be true or false")


class FargateCluster(pulumi.ComponentResource):
    """The stack's one ECS cluster; every :class:`FargateService` runs in it."""

    cluster: aws.ecs.Cluster
    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: FargateClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("efs-platform:index:FargateCluster", name, None, opts)
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[
                aws.ecs.ClusterSettingArgs(
                    name="containerInsights", value="enabled" if args.container_insights else "disabled"
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.cluster.arn
        self.name = self.cluster.name
        self.register_outputs({"clusterArn": self.arn, "clusterName": self.name})


@dataclass(frozen=True)
class WebIngressArgs:
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    certificate_arn: str | None = None
    alb_deletion_protection: bool = False
    alb_ip_address_type: str = "ipv4"
    """``ipv4`` or ``dualstack`` (needs public subnets with IPv6 CIDR blocks, which the Network
    component does not create). The ALB admits ``::/0`` only when it is dual-stack."""
    access_logs: bool = True
    """ALB access logs to an S3 bucket of their own (SSE-S3, private, TLS only, protected)."""
    access_log_retention_days: int = 90
    """Days before access logs expire (the bucket's lifecycle rule)."""
    waf: bool = True
    """An AWS WAF web ACL with AWS managed rule groups (:data:`WAF_MANAGED_RULE_GROUPS`) in front
    of the ALB."""

    def __post_init__(self) -> None:
        if len(self.public_subnet_ids) < 2:
            raise ArgumentError(
                "public_subnet_ids", list(self.public_subnet_ids), "an ALB needs subnets in at least two AZs"
            )
        require_one_of("alb_ip_address_type", self.alb_ip_address_type, ALB_IP_ADDRESS_TYPES)
        for name in ("alb_deletion_protection", "access_logs", "waf"):
            if not isinstance(getattr(self, name), bool):
                raise ArgumentError(name, getattr(self, name), "must be true or false")
        require_int_range("access_log_retention_days", self.access_log_retention_days, 1, 3650)
        if self.certificate_arn is not None and not re.fullmatch(
            r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}", self.certificate_arn
        ):
            raise ArgumentError("certificate_arn", self.certificate_arn, "must be an ACM certificate ARN")


class WebIngress(pulumi.ComponentResource):
    """The stack's internet-facing ALB (see the module docstring). Web services attach to it;
    :meth:`create_listeners` then creates the listeners, before any service starts."""

    load_balancer: aws.lb.LoadBalancer
    security_group: aws.ec2.SecurityGroup
    access_log_bucket: aws.s3.Bucket | None
    web_acl: aws.wafv2.WebAcl | None
    listeners: list[aws.lb.Listener]
    listener: aws.lb.Listener | None
    """The listener that forwards (HTTPS with a certificate, else HTTP); rules go on it."""

    url: pulumi.Output[str]
    access_log_bucket_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: WebIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("efs-platform:index:WebIngress", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        here = where(self)
        region, partition, account_id = here.region, here.partition, here.account_id
        self._name, self._args = name, args

        # No inline rules (the provider removes AWS's allow-all egress); every rule is its own
        # resource, so each web service adds its own egress to its tasks.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-alb", vpc_id=args.vpc_id, description=f"{name}: load balancer", opts=child
        )
        listener_ports = [80, 443] if args.certificate_arn else [80]
        # An IPv4-only ALB has no IPv6 address: a ::/0 rule would admit nothing and only widen
        # what reviewers and scanners see. It is added only for a dual-stack ALB.
        families: list[tuple[str, str | None, str | None]] = [("ipv4", "0.0.0.0/0", None)]
        if args.alb_ip_address_type == "dualstack":
            families.append(("ipv6", None, "::/0"))
        for port in listener_ports:
            for family, ipv4, ipv6 in families:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-alb-{port}-{family}",
                    security_group_id=self.security_group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=ipv4,
                    cidr_ipv6=ipv6,
                    description=f"HTTP{'S' if port == 443 else ''} from the internet",
                    opts=child,
                )

        # Access logs: ELB checks it may write to the bucket when they are enabled, so the load
        # balancer waits for the bucket policy (components/_access_logs.py cites AWS).
        self.access_log_bucket = None
        access_logs = None
        alb_needs: list[pulumi.Resource] = []
        if args.access_logs:
            self.access_log_bucket, bucket_policy = _access_logs.access_log_bucket(
                f"{name}-alb-logs",
                region=region,
                partition=partition,
                account_id=account_id,
                retention_days=args.access_log_retention_days,
                parent=self,
            )
            # pulumi-aws lb.LoadBalancerAccessLogsArgs: `enabled` defaults to false "even when
            # `bucket` is specified" (sdk/python/pulumi_aws/lb/_inputs.py).
            access_logs = aws.lb.LoadBalancerAccessLogsArgs(
                bucket=self.access_log_bucket.bucket, prefix=_access_logs.PREFIX, enabled=True
            )
            alb_needs.append(bucket_policy)
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            ip_address_type=args.alb_ip_address_type,
            security_groups=[self.security_group.id],
            subnets=list(args.public_subnet_ids),
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.alb_deletion_protection,
            access_logs=access_logs,
            opts=pulumi.ResourceOptions(parent=self, depends_on=alb_needs),
        )
        self.web_acl = None
        if args.waf:
            self.web_acl = _web_acl(name, child)
            # pulumi-aws wafv2.WebAclAssociation(resource_arn: "an ARN of an Application Load
            # Balancer...", web_acl_arn) (sdk/python/pulumi_aws/wafv2/web_acl_association.py).
            aws.wafv2.WebAclAssociation(
                f"{name}-waf", resource_arn=self.load_balancer.arn, web_acl_arn=self.web_acl.arn, opts=child
            )
        scheme = "https" if args.certificate_arn else "http"
        self.url = pulumi.Output.concat(scheme, "://", self.load_balancer.dns_name)
        self.access_log_bucket_name = self.access_log_bucket.bucket if self.access_log_bucket is not None else None
        self.listeners = []
        self.listener = None
        self._default: tuple[str, aws.lb.TargetGroup] | None = None
        self._routes: dict[str, Routing] = {}
        self._priorities: dict[int, str] = {}

    def attach(self, service: str, target_group: aws.lb.TargetGroup, routing: Routing | None) -> int | None:
        """Route requests to ``target_group``: all that no rule takes (``routing`` None: the
        listener's default action, one service at most) or those ``routing`` matches. Returns
        the listener rule's priority (None for the default action)."""
        if self.listener is not None:
            raise ArgumentError("ingress", service, "attaches after create_listeners(); attach every service first")
        if routing is None:
            if self._default is not None:
                raise ArgumentError(
                    "routing",
                    service,
                    f"only one web service may omit routing (the listener's default action) and "
                    f"{self._default[0]} does: give {service} hosts or paths",
                )
            self._default = (service, target_group)
            return None
        for other, theirs in self._routes.items():
            if (set(theirs.hosts), set(theirs.paths)) == (set(routing.hosts), set(routing.paths)):
                raise ArgumentError("routing", service, f"routes the same hosts and paths as {other}")
        if len(self._routes) >= MAX_RULES_PER_ALB:
            raise ArgumentError("routing", service, f"an ALB takes {MAX_RULES_PER_ALB} rules at most")
        priority = routing.priority(service)
        if priority in self._priorities:
            raise ArgumentError(
                "routing",
                service,
                f"its listener rule priority {priority} (derived from the name) is {self._priorities[priority]}'s: "
                "rename one of them",
            )
        self._routes[service] = routing
        self._priorities[priority] = service
        return priority

    def create_listeners(self) -> aws.lb.Listener:
        """The listeners, after every web service attached: their default action forwards to the
        service without routing, or answers 404."""
        if self.listener is not None:
            raise ArgumentError("create_listeners", self._name, "may be called once")
        args, name, child = self._args, self._name, pulumi.ResourceOptions(parent=self)
        if self._default is not None:
            default = [aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self._default[1].arn)]
        else:
            default = [
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="text/plain", message_body="Not Found", status_code="404"
                    ),
                )
            ]
        http_actions = default
        if args.certificate_arn:
            self.listener = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=args.certificate_arn,
                default_actions=default,
                opts=child,
            )
            self.listeners.append(self.listener)
            redirect = aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443", status_code="HTTP_301")
            http_actions = [aws.lb.ListenerDefaultActionArgs(type="redirect", redirect=redirect)]
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=http_actions,
            opts=child,
        )
        self.listeners.append(http)
        if self.listener is None:
            self.listener = http
        self.register_outputs(
            {
                "url": self.url,
                "loadBalancerArn": self.load_balancer.arn,
                "securityGroupId": self.security_group.id,
                "accessLogBucket": self.access_log_bucket_name,
                "webAclArn": self.web_acl.arn if self.web_acl is not None else None,
            }
        )
        return self.listener


#: Service names end up in AWS names with a provider suffix (``-`` + 7 characters): a target
#: group name is at most 32 characters (``<name>-tg-xxxxxxx``), an IAM role 64.
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


@dataclass(frozen=True)
class FargateServiceArgs:
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    container: ContainerSettings
    efs_volumes: tuple[EfsVolume, ...] = ()
    ingress: WebIngress | None = None
    """The shared ALB; a service with a container port and an ingress is a web service."""
    routing: Routing | None = None
    """Hosts and/or paths the ALB forwards to this service; ``None``: the default action."""
    cpu: int = 256
    memory: int = 512
    desired_count: int = 2
    min_count: int = 2
    max_count: int = 4
    cpu_target_percent: int = 60
    platform_version: str = "LATEST"
    health_check_path: str = "/"
    health_check_grace_seconds: int = 60
    log_retention_days: int = 90
    wait_for_steady_state: bool = True
    """``pulumi up`` waits until the service is stable (like ``aws ecs wait services-stable``):
    a deployment whose tasks do not start fails the update instead of passing."""
    steady_state_timeout_minutes: int = 20
    """How long create and update wait for it (the provider's default is 20 minutes)."""

    def __post_init__(self) -> None:
        require_one_of("cpu", self.cpu, FARGATE_SIZES)
        if self.memory not in FARGATE_SIZES[self.cpu]:
            allowed = FARGATE_SIZES[self.cpu]
            raise ArgumentError(
                ("memory", "cpu"),
                self.memory,
                f"Fargate with cpu {self.cpu} takes memory {allowed[0]} to {allowed[-1]} MiB "
                f"({', '.join(map(str, allowed))})",
            )
        require_int_range("min_count", self.min_count, 0, 1000)
        require_int_range("max_count", self.max_count, 1, 1000)
        if self.max_count < self.min_count:
            raise ArgumentError(
                ("max_count", "min_count"), self.max_count, f"must be at least min_count ({self.min_count})"
            )
        require_int_range("desired_count", self.desired_count, self.min_count, self.max_count)
        require_int_range("cpu_target_percent", self.cpu_target_percent, 10, 90)
        if not isinstance(self.platform_version, str) or not _platform_version_ok(self.platform_version):
            raise ArgumentError(
                "platform_version", self.platform_version, "must be LATEST or 1.4.0 or later (EFS volumes need 1.4.0)"
            )
        if not isinstance(self.health_check_path, str) or not self.health_check_path.startswith("/"):
            raise ArgumentError("health_check_path", self.health_check_path, "must start with /")
        require_int_range("health_check_grace_seconds", self.health_check_grace_seconds, 0, 2147483647)
        require_one_of("log_retention_days", self.log_retention_days, LOG_RETENTION_DAYS)
        if not isinstance(self.wait_for_steady_state, bool):
            raise ArgumentError("wait_for_steady_state", self.wait_for_steady_state, "must be true or false")
        require_int_range("steady_state_timeout_minutes", self.steady_state_timeout_minutes, 5, 180)
        names = [v.name for v in self.efs_volumes]
        if len(set(names)) != len(names):
            raise ArgumentError("efs_volumes", names, "volume names must be unique")
        paths = [v.container_path for v in self.efs_volumes]
        paths += list(self.container.writable_paths) if self.container.readonly_root_filesystem else []
        if len(set(paths)) != len(paths):
            raise ArgumentError("efs_volumes", paths, "mount paths must be unique (EFS mounts and writable paths)")
        if self.routing is not None and self.container.port is None:
            raise ArgumentError("routing", self.routing, "needs a container port (a worker is not routed)")
        # Fail now, naming the field, if the definitions would not pass the ECS API.
        _ecs_model.validate("ContainerDefinition", container_definition(self, _PLACEHOLDERS), "container")

    @property
    def web(self) -> bool:
        """Served by the ALB: a container port and an ingress."""
        return self.ingress is not None and self.container.port is not None


_PLACEHOLDERS = {"image": "registry.example/image:tag", "log_group": "log-group", "region": "us-east-1"}


def container_definition(args: FargateServiceArgs, resolved: Mapping[str, Any]) -> dict[str, Any]:
    """The container definition, from typed settings and resolved values (image, log group,
    region). The one place the ECS JSON is written."""
    c = args.container
    definition: dict[str, Any] = {
        "name": c.name,
        "image": resolved["image"],
        "essential": True,
        "portMappings": [{"containerPort": c.port, "protocol": "tcp", "name": "http"}] if c.port is not None else [],
        "environment": [{"name": k, "value": v} for k, v in sorted(c.environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(c.secrets.items())],
        "readonlyRootFilesystem": c.readonly_root_filesystem,
        "privileged": False,
        "linuxParameters": {"initProcessEnabled": True},
        "mountPoints": [
            {"sourceVolume": v.name, "containerPath": v.container_path, "readOnly": v.read_only}
            for v in args.efs_volumes
        ]
        + (
            [
                {"sourceVolume": f"writable-{i}", "containerPath": p, "readOnly": False}
                for i, p in enumerate(c.writable_paths)
            ]
            if c.readonly_root_filesystem
            else []
        ),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": resolved["log_group"],
                "awslogs-region": resolved["region"],
                "awslogs-stream-prefix": c.name,
            },
        },
    }
    if c.command:
        definition["command"] = list(c.command)
    if c.user:
        definition["user"] = c.user
    if c.health_check_command:
        command = list(c.health_check_command)
        definition["healthCheck"] = {
            "command": command if len(command) > 1 else ["CMD-SHELL", command[0]],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": args.health_check_grace_seconds,
        }
    if c.repository_credentials_secret_arn:
        definition["repositoryCredentials"] = {"credentialsParameter": c.repository_credentials_secret_arn}
    return definition


class FargateService(pulumi.ComponentResource):
    """One Fargate service in the stack's cluster (see the module docstring)."""

    service: aws.ecs.Service | None
    task_definition: aws.ecs.TaskDefinition
    security_group: aws.ec2.SecurityGroup
    task_role: aws.iam.Role
    execution_role: aws.iam.Role
    target_group: aws.lb.TargetGroup | None
    listener_rule: aws.lb.ListenerRule | None

    service_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not SERVICE_NAME.match(name) or name.endswith("-"):
            raise ArgumentError(
                "name", name, "must be 1-20 of a-z, 0-9 and -, starting with a letter (AWS name limits)"
            )
        if args.routing is not None and not args.web:
            raise ArgumentError("routing", args.routing, "needs the ingress (only web services are routed)")
        super().__init__("efs-platform:index:FargateService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        here = where(self)
        region, partition, account_id = here.region, here.partition, here.account_id
        c = args.container

        log_key = rotating_key(
            f"{name}-logs",
            f"{name}: encrypts the service's log group",
            partition=partition,
            account_id=account_id,
            extra_statements=(logs_statement(region, partition, account_id),),
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", retention_in_days=args.log_retention_days, kms_key_id=log_key.arn, opts=child
        )

        # Roles. ECS assumes both; the account condition is AWS's confused-deputy guard.
        trust = service_trust_policy("ecs-tasks.amazonaws.com", account_id)
        self.execution_role = aws.iam.Role(
            f"{name}-execution",
            description=f"{name}: ECS pulls the image and writes logs",
            assume_role_policy=trust,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-execution",
            role=self.execution_role.name,
            policy_arn=f"arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            opts=child,
        )
        read_statements = _secret_read_statements(c)
        if read_statements:
            aws.iam.RolePolicy(
                f"{name}-execution-secrets",
                role=self.execution_role.id,
                policy=policy_document(*read_statements),
                opts=child,
            )
        self.task_role = aws.iam.Role(
            f"{name}-task",
            description=f"{name}: the application's own identity (EFS access is granted by the file system)",
            assume_role_policy=trust,
            opts=child,
        )

        volumes = [
            aws.ecs.TaskDefinitionVolumeArgs(
                name=v.name,
                efs_volume_configuration=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationArgs(
                    file_system_id=v.file_system.file_system_id,
                    root_directory="/",
                    transit_encryption="ENABLED",
                    authorization_config=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfigArgs(
                        access_point_id=v.file_system.access_point(v.access_point).id, iam="ENABLED"
                    ),
                ),
            )
            for v in args.efs_volumes
        ]
        if c.readonly_root_filesystem:
            volumes += [aws.ecs.TaskDefinitionVolumeArgs(name=f"writable-{i}") for i in range(len(c.writable_paths))]
        definitions: pulumi.Output[str] = pulumi.Output.all(image=c.image, log_group=log_group.name).apply(
            lambda r: json.dumps([container_definition(args, {**r, "region": region})])
        )
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=f"{pulumi.get_stack()}-{name}",
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=definitions,
            volumes=volumes,
            opts=child,
        )

        # The tasks' group has no inline rules; every rule is its own resource, so intent
        # methods elsewhere (fs.allow_from) can add theirs. A worker admits nothing.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-tasks",
            vpc_id=args.vpc_id,
            description=f"{name}: tasks, from the load balancer only" if args.web else f"{name}: tasks, no ingress",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-tasks-https",
            security_group_id=self.security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs (ECR, logs, STS, Secrets Manager) through endpoints or NAT",
            opts=child,
        )

        # A web service: the ALB reaches its tasks on the container port, through its target group.
        self.target_group = None
        self.listener_rule = None
        self._priority: int | None = None
        if args.ingress is not None and c.port is not None:
            allow_tcp(
                ingress_name=f"{name}-tasks-from-alb",
                egress_name=f"{name}-alb-to-tasks",
                target_group_id=self.security_group.id,
                source_group_id=args.ingress.security_group.id,
                port=c.port,
                description="load balancer to the tasks' container port",
                opts=child,
            )
            self.target_group = aws.lb.TargetGroup(
                f"{name}-tg",
                port=c.port,
                protocol="HTTP",
                target_type="ip",
                vpc_id=args.vpc_id,
                deregistration_delay=30,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    path=args.health_check_path,
                    matcher="200-399",
                    interval=15,
                    healthy_threshold=2,
                    unhealthy_threshold=3,
                ),
                opts=child,
            )
            self._priority = args.ingress.attach(name, self.target_group, args.routing)

        # Mount readiness, by intent: NFS from the tasks to each file system they mount, and
        # the task role granted exactly its access points (write only where a mount writes).
        self._mount_needs: list[pulumi.Resource] = []
        self._file_systems: list[SharedFileSystem] = []
        for v in args.efs_volumes:
            if v.file_system not in self._file_systems:
                self._file_systems.append(v.file_system)
                self._mount_needs += v.file_system.mount_targets
                self._mount_needs += v.file_system.allow_from(self.security_group)
        writable: dict[tuple[int, str], bool] = {}
        for v in args.efs_volumes:
            key = (self._file_systems.index(v.file_system), v.access_point)
            writable[key] = writable.get(key, False) or not v.read_only
        for (fs_index, access_point), write in writable.items():
            fs = self._file_systems[fs_index]
            fs.grant(self.task_role, fs.access_point(access_point), writable=write)

        self._name = name
        self._args = args
        self.service = None
        self.log_group_name = log_group.name
        if not args.efs_volumes and args.ingress is None:
            self.start()

    def start(self) -> aws.ecs.Service:
        """Create the ECS service and its autoscaling, after everything its mounts and its load
        balancer need: the mount targets, the NFS rules from its tasks, the policy of every file
        system it mounts (call ``create_policy()`` on them first) and, for a web service, the
        ingress's listeners (``ingress.create_listeners()`` first) and its listener rule. A
        service without EFS volumes or an ingress starts in the constructor. Until then the
        preview shows no ECS service."""
        if self.service is not None:
            raise ArgumentError("start", self._name, "may be called once")
        missing = [fs.pulumi_resource_name for fs in self._file_systems if fs.policy is None]
        if missing:
            raise ArgumentError(
                "start",
                self._name,
                f"needs the policy of file system {', '.join(missing)}: call create_policy() on it first "
                "(the tasks' mounts are authorized by it)",
            )
        args, name, c = self._args, self._name, self._args.container
        child = pulumi.ResourceOptions(parent=self)
        depends_on = [*self._mount_needs, *(fs.policy for fs in self._file_systems if fs.policy is not None)]
        load_balancers = []
        if args.ingress is not None and self.target_group is not None and c.port is not None:
            if args.ingress.listener is None:
                raise ArgumentError(
                    "start",
                    self._name,
                    f"needs the listeners of ingress {args.ingress.pulumi_resource_name}: call create_listeners() "
                    "on it first (ECS refuses a target group no load balancer uses)",
                )
            depends_on += args.ingress.listeners
            if args.routing is not None and self._priority is not None:
                self.listener_rule = aws.lb.ListenerRule(
                    f"{name}-rule",
                    listener_arn=args.ingress.listener.arn,
                    priority=self._priority,
                    actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=self.target_group.arn)],
                    conditions=args.routing.conditions(),
                    opts=child,
                )
                depends_on.append(self.listener_rule)
            load_balancers.append(
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=self.target_group.arn, container_name=c.name, container_port=c.port
                )
            )
        timeout = f"{args.steady_state_timeout_minutes}m"
        self.service = aws.ecs.Service(
            f"{name}-service",
            cluster=args.cluster_arn,
            task_definition=self.task_definition.arn,
            desired_count=args.desired_count,
            launch_type="FARGATE",
            platform_version=args.platform_version,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.private_subnet_ids),
                security_groups=[self.security_group.id],
                assign_public_ip=False,
            ),
            load_balancers=load_balancers,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            # The grace period covers load balancer and container health checks; "If you do not use
            # any of the health checks, then healthCheckGracePeriodSeconds is unused" (ECS API
            # CreateService). A worker has no load balancer, so it is left unset.
            health_check_grace_period_seconds=args.health_check_grace_seconds if load_balancers else None,
            propagate_tags="SERVICE",
            enable_execute_command=False,
            # The provider polls like `aws ecs wait services-stable` and fails the update when
            # the deployment does not settle within the create/update timeouts
            # (terraform-provider-aws: aws_ecs_service wait_for_steady_state; timeouts honoured
            # since v4.22, hashicorp/terraform-provider-aws#16012). A circuit-breaker rollback
            # settles too (on the old task definition), so the update then still succeeds
            # (pulumi/pulumi-aws#4487, hashicorp/terraform-provider-aws#19519): the deploy
            # workflow checks the PRIMARY deployment against the ecsDeployments export.
            wait_for_steady_state=args.wait_for_steady_state,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                ignore_changes=["desiredCount"],
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
            ),
        )
        scaling = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", self.service.name),
            min_capacity=args.min_count,
            max_capacity=args.max_count,
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=scaling.service_namespace,
            scalable_dimension=scaling.scalable_dimension,
            resource_id=scaling.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=args.cpu_target_percent,
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ECSServiceAverageCPUUtilization"
                ),
                scale_in_cooldown=120,
                scale_out_cooldown=60,
            ),
            opts=child,
        )
        self.service_name = self.service.name
        self.register_outputs(
            {
                "serviceName": self.service_name,
                "logGroupName": self.log_group_name,
                "taskRoleArn": self.task_role.arn,
                "securityGroupId": self.security_group.id,
                "targetGroupArn": self.target_group.arn if self.target_group is not None else None,
            }
        )
        return self.service


def _web_acl(name: str, opts: pulumi.ResourceOptions) -> aws.wafv2.WebAcl:
    """A regional web ACL that allows what no rule blocks, with :data:`WAF_MANAGED_RULE_GROUPS`
    acting as their vendor set them (``override_action: none``) and CloudWatch metrics and
    sampled requests on (pulumi-aws ``wafv2.WebAclArgs``: ``scope``, ``default_action``,
    ``rules``, ``visibility_config``; sdk/python/pulumi_aws/wafv2/web_acl.py)."""

    waf = aws.wafv2
    return waf.WebAcl(
        f"{name}-waf",
        description=f"{name}: in front of the load balancer",
        scope="REGIONAL",
        default_action=waf.WebAclDefaultActionArgs(allow=waf.WebAclDefaultActionAllowArgs()),
        rules=[
            waf.WebAclRuleArgs(
                name=group,
                priority=priority,
                override_action=waf.WebAclRuleOverrideActionArgs(none=waf.WebAclRuleOverrideActionNoneArgs()),
                statement=waf.WebAclRuleStatementArgs(
                    managed_rule_group_statement=waf.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=waf.WebAclRuleVisibilityConfigArgs(
                    cloudwatch_metrics_enabled=True, metric_name=f"{name}-{group}", sampled_requests_enabled=True
                ),
            )
            for priority, group in enumerate(WAF_MANAGED_RULE_GROUPS)
        ],
        visibility_config=waf.WebAclVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, metric_name=f"{name}-waf", sampled_requests_enabled=True
        ),
        opts=opts,
    )


def _secret_read_statements(c: ContainerSettings) -> list[dict[str, Any]]:
    """What the execution role must read to start the container: exactly the named secrets."""
    secret_arns = sorted({_secret_resource(a) for a in c.secrets.values() if ":secretsmanager:" in a})
    parameter_arns = sorted({a for a in c.secrets.values() if ":ssm:" in a})
    if c.repository_credentials_secret_arn:
        secret_arns = sorted({*secret_arns, c.repository_credentials_secret_arn})
    statements: list[dict[str, Any]] = []
    if secret_arns:
        statements.append(
            {
                "Sid": "ReadNamedSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arns,
            }
        )
    if parameter_arns:
        statements.append(
            {"Sid": "ReadNamedParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameter_arns}
        )
    if c.repository_credentials_kms_key_arn:
        statements.append(
            {
                "Sid": "DecryptRegistryCredentials",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": c.repository_credentials_kms_key_arn,
            }
        )
    return statements


def _secret_resource(value_from: str) -> str:
    """The secret's ARN without a ``:json-key:stage:version`` selector."""
    return ":".join(value_from.split(":")[:7])
