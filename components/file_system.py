"""SharedFileSystem: the encrypted EFS file system the platform's workloads share.

Secure by default, and built so the mount works on the first deploy:

* encrypted with a rotating customer-managed KMS key (or the key given); automatic backups on;
  lifecycle to Infrequent Access and back on first access;
* ``protect`` and retain-on-delete: no stack operation deletes the data;
* one mount target per subnet given (one per AZ, in the private subnets), each with the file
  system's own security group, which admits only TCP 2049 and only from what
  :meth:`allow_from` / :meth:`allow_from_cidr` name;
* access points with a POSIX user and a root directory created with owner and permissions (a
  missing root directory fails the mount);
* a file system policy that denies every request without TLS and allows ClientMount
  (+ClientWrite when writable) only to the roles given to :meth:`grant`, scoped to their access
  point and to access through a mount target; root access only through :meth:`grant_root`.
  Two narrower forms exist for clients that cannot name one role and one access point:
  :meth:`grant_any_access_point` (a role mounting access points created at run time, such as
  the EFS CSI driver's dynamic provisioning on EC2 nodes) and :meth:`grant_anonymous` (clients
  with no IAM identity, such as EKS Fargate pods: their built-in EFS CSI driver mounts without
  one), which is confined to one access point and to whoever the security group admits.

The policy needs every grant, and grants name roles that other components create after the
file system (a service's task role), so it is registered by :meth:`create_policy`, once, after
the grants: ``fs.grant(...)`` ... then ``fs.create_policy()``. A grant after that is an error.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from ._iam import policy_document
from ._kms import rotating_key
from ._security import allow_tcp
from ._validation import ArgumentError, require_int_range, require_one_of

NFS_PORT = 2049
PERFORMANCE_MODES = ("generalPurpose", "maxIO")
THROUGHPUT_MODES = ("bursting", "elastic", "provisioned")
#: The values EFS accepts for transition_to_ia (LifecyclePolicy.TransitionToIA).
TRANSITIONS_TO_IA = (
    "AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS",
    "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS",
)  # fmt: skip
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_PERMISSIONS = re.compile(r"^[0-7]{3,4}$")
_MAX_ID = 4294967295


@dataclass(frozen=True)
class AccessPointSpec:
    """An access point: every request through it runs as ``uid:gid`` inside ``path``."""

    name: str
    uid: int
    gid: int
    path: str
    permissions: str = "0750"
    """Octal permissions of ``path`` when EFS creates it (owner ``uid:gid``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ArgumentError("access_points.name", self.name, "must be 1-31 of a-z, 0-9, - starting with a letter")
        for field in ("uid", "gid"):
            require_int_range(f"access_points.{self.name}.{field}", getattr(self, field), 1, _MAX_ID)
        if not isinstance(self.path, str) or not self.path.startswith("/") or self.path == "/" or "//" in self.path:
            raise ArgumentError(
                f"access_points.{self.name}.path", self.path, "must be an absolute directory below / (e.g. /app)"
            )
        if not isinstance(self.permissions, str) or not _PERMISSIONS.match(self.permissions):
            raise ArgumentError(f"access_points.{self.name}.permissions", self.permissions, "must be octal, e.g. 0750")


@dataclass(frozen=True)
class SharedFileSystemArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets for the mount targets: one per AZ the workloads run in (the private subnets)."""

    access_points: tuple[AccessPointSpec, ...] = (AccessPointSpec("app", 1000, 1000, "/app"),)
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed key; a rotating key is created when not given."""

    performance_mode: Literal["generalPurpose", "maxIO"] = "generalPurpose"
    """Immutable: changing it replaces the file system (and so is refused by ``protect``)."""

    throughput_mode: Literal["bursting", "elastic", "provisioned"] = "elastic"
    provisioned_throughput_mibps: float | None = None
    """Required with ``throughput_mode="provisioned"`` (1 to 10240), rejected otherwise."""

    transition_to_ia: str | None = "AFTER_30_DAYS"
    """When files move to Infrequent Access (None: never); they come back on first access."""

    def __post_init__(self) -> None:
        if len(self.subnet_ids) < 1:
            raise ArgumentError("subnet_ids", list(self.subnet_ids), "must name at least one subnet per AZ")
        if not self.access_points:
            raise ArgumentError("access_points", [], "must define at least one access point")
        names = [a.name for a in self.access_points]
        if len(set(names)) != len(names):
            raise ArgumentError("access_points", names, "names must be unique")
        # Access points may share a directory (ECS tasks and EKS pods sharing data) only with the
        # same owner, user and permissions: EFS creates the directory once, with the first one's.
        by_path: dict[str, AccessPointSpec] = {}
        for a in self.access_points:
            first = by_path.setdefault(a.path, a)
            if (a.uid, a.gid, a.permissions) != (first.uid, first.gid, first.permissions):
                raise ArgumentError(
                    "access_points",
                    [first.name, a.name],
                    f"share the path {a.path} with different uid, gid or permissions; a shared directory "
                    "needs the same ones (EFS creates it once)",
                )
        require_one_of("performance_mode", self.performance_mode, PERFORMANCE_MODES)
        require_one_of("throughput_mode", self.throughput_mode, THROUGHPUT_MODES)
        if self.throughput_mode == "provisioned":
            mibps = self.provisioned_throughput_mibps
            if isinstance(mibps, bool) or not isinstance(mibps, (int, float)) or not 1 <= mibps <= 10240:
                raise ArgumentError(
                    ("provisioned_throughput_mibps", "throughput_mode"),
                    mibps,
                    "provisioned throughput needs its figure: a number of MiB/s from 1 to 10240",
                )
        elif self.provisioned_throughput_mibps is not None:
            raise ArgumentError(
                ("provisioned_throughput_mibps", "throughput_mode"),
                self.provisioned_throughput_mibps,
                f"applies only to throughput_mode provisioned (it is {self.throughput_mode})",
            )
        if self.performance_mode == "maxIO" and self.throughput_mode == "elastic":
            raise ArgumentError(
                ("performance_mode", "throughput_mode"),
                self.performance_mode,
                "Max I/O does not support elastic throughput; use generalPurpose or bursting/provisioned",
            )
        if self.transition_to_ia is not None:
            require_one_of("transition_to_ia", self.transition_to_ia, TRANSITIONS_TO_IA)


ANY = "any"


@dataclass(frozen=True)
class _Grant:
    principal: pulumi.Input[str]
    """A role ARN, or ``*`` for clients without an IAM identity."""

    access_point_arn: pulumi.Output[str] | str | None
    """The one access point, :data:`ANY` access point, or ``None`` for root access."""

    writable: bool
    root: bool


class SharedFileSystem(pulumi.ComponentResource):
    """An encrypted, protected EFS file system with mount targets, access points, its own
    NFS security group and a TLS-only file system policy (see the module docstring)."""

    file_system: aws.efs.FileSystem
    security_group: aws.ec2.SecurityGroup
    mount_targets: list[aws.efs.MountTarget]
    access_points: dict[str, aws.efs.AccessPoint]
    policy: aws.efs.FileSystemPolicy | None

    file_system_id: pulumi.Output[str]
    file_system_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    access_point_ids: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: SharedFileSystemArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("efs-platform:index:SharedFileSystem", name, None, opts)
        self._name = name
        self._grants: list[_Grant] = []
        self._peers: set[str] = set()
        self.policy = None
        child = pulumi.ResourceOptions(parent=self)

        kms_key_arn = args.kms_key_arn
        if kms_key_arn is None:
            invoke = pulumi.InvokeOptions(parent=self)
            key = rotating_key(
                f"{name}-key",
                f"{name}: encrypts the shared EFS file system",
                partition=aws.get_partition(opts=invoke).partition,
                account_id=aws.get_caller_identity(opts=invoke).account_id,
                opts=child,
                keeps_retained_data=True,
            )
            kms_key_arn = key.arn

        lifecycle = []
        if args.transition_to_ia is not None:
            lifecycle = [
                aws.efs.FileSystemLifecyclePolicyArgs(transition_to_ia=args.transition_to_ia),
                aws.efs.FileSystemLifecyclePolicyArgs(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ]
        self.file_system = aws.efs.FileSystem(
            f"{name}-fs",
            encrypted=True,
            kms_key_id=kms_key_arn,
            performance_mode=args.performance_mode,
            throughput_mode=args.throughput_mode,
            provisioned_throughput_in_mibps=args.provisioned_throughput_mibps,
            lifecycle_policies=lifecycle,
            tags={"Name": f"{name}-fs"},
            # The data outlives any stack operation: `pulumi destroy` refuses, and a delete
            # (or a replacement, e.g. a changed performance mode) leaves the file system in AWS.
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        aws.efs.BackupPolicy(
            f"{name}-backup",
            file_system_id=self.file_system.id,
            backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="ENABLED"),
            opts=child,
        )
        # No inline rules: the provider removes AWS's default allow-all egress, and the only
        # ingress comes from allow_from / allow_from_cidr, as TCP 2049 rule resources.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-nfs",
            vpc_id=args.vpc_id,
            description=f"{name}: EFS mount targets, NFS (TCP 2049) from named peers only",
            tags={"Name": f"{name}-nfs"},
            opts=child,
        )
        self.mount_targets = [
            aws.efs.MountTarget(
                f"{name}-mt-{i + 1}",
                file_system_id=self.file_system.id,
                subnet_id=subnet_id,
                security_groups=[self.security_group.id],
                opts=child,
            )
            for i, subnet_id in enumerate(args.subnet_ids)
        ]
        self.access_points = {
            spec.name: aws.efs.AccessPoint(
                f"{name}-ap-{spec.name}",
                file_system_id=self.file_system.id,
                posix_user=aws.efs.AccessPointPosixUserArgs(uid=spec.uid, gid=spec.gid),
                root_directory=aws.efs.AccessPointRootDirectoryArgs(
                    path=spec.path,
                    creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                        owner_uid=spec.uid, owner_gid=spec.gid, permissions=spec.permissions
                    ),
                ),
                tags={"Name": f"{name}-{spec.name}"},
                opts=child,
            )
            for spec in args.access_points
        }

        self.file_system_id = self.file_system.id
        self.file_system_arn = self.file_system.arn
        self.security_group_id = self.security_group.id
        names = list(self.access_points)
        self.access_point_ids = pulumi.Output.all(*[ap.id for ap in self.access_points.values()]).apply(
            lambda ids: dict(zip(names, ids, strict=True))
        )
        self.register_outputs(
            {
                "fileSystemId": self.file_system_id,
                "fileSystemArn": self.file_system_arn,
                "securityGroupId": self.security_group_id,
                "accessPointIds": self.access_point_ids,
            }
        )

    # -- intent methods ----------------------------------------------------------------------

    def access_point(self, name: str) -> aws.efs.AccessPoint:
        if name not in self.access_points:
            raise ArgumentError("access_point", name, "must be one of " + ", ".join(self.access_points))
        return self.access_points[name]

    def allow_from(self, peer: aws.ec2.SecurityGroup, *, label: str | None = None) -> list[pulumi.Resource]:
        """Admit NFS (TCP 2049) from a security group's members, and let them reach the mount
        targets (the egress side, on the peer). Returns the rules: a workload that mounts must
        depend on them, or its first tasks time out mounting."""
        return self._allow(peer.id, label or peer.pulumi_resource_name, egress=True)

    def allow_from_security_group_id(self, group_id: pulumi.Input[str], *, label: str) -> list[pulumi.Resource]:
        """Like :meth:`allow_from` for a group this program does not create (e.g. the EKS
        cluster security group); its egress is the group owner's to allow."""
        return self._allow(group_id, label, egress=False)

    def allow_from_cidr(self, cidr: str, *, label: str) -> None:
        """Admit NFS from a private CIDR (e.g. the private subnets). The world and public ranges
        are refused: use :meth:`allow_from` wherever a security group exists."""
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ArgumentError("cidr", cidr, "must be a network in CIDR notation, e.g. 10.0.0.0/20") from None
        if network.prefixlen == 0 or not network.is_private:
            raise ArgumentError("cidr", cidr, "must be a private range inside the VPC, never 0.0.0.0/0 or ::/0")
        self._require_unique(label)
        rule: dict[str, Any] = {"cidr_ipv4" if network.version == 4 else "cidr_ipv6": str(network)}
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-nfs-from-{label}",
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            description=f"NFS from {label}",
            **rule,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _require_unique(self, label: str) -> None:
        if not _NAME.match(label):
            raise ArgumentError("label", label, "must be 1-31 of a-z, 0-9, - starting with a letter")
        if label in self._peers:
            raise ArgumentError("label", label, "is already allowed; each peer is allowed once")
        self._peers.add(label)

    def _allow(self, group_id: pulumi.Input[str], label: str, *, egress: bool) -> list[pulumi.Resource]:
        self._require_unique(label)
        return allow_tcp(
            ingress_name=f"{self._name}-nfs-from-{label}",
            egress_name=f"{self._name}-nfs-to-from-{label}" if egress else None,
            target_group_id=self.security_group.id,
            source_group_id=group_id,
            port=NFS_PORT,
            description=f"NFS between {label} and the {self._name} mount targets",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def grant(self, role: aws.iam.Role, access_point: aws.efs.AccessPoint, *, writable: bool = False) -> None:
        """Allow ``role`` to mount (and write, when ``writable``) through ``access_point`` only."""
        self._require_access_point(access_point)
        self._add(_Grant(role.arn, access_point.arn, writable, root=False))

    def grant_any_access_point(self, role: aws.iam.Role, *, writable: bool = False) -> None:
        """Allow ``role`` to mount (and write) through any access point of this file system,
        never the file system root: for access points created at run time (EFS CSI dynamic
        provisioning, mounted with the node's role and the ``iam`` mount option)."""
        self._add(_Grant(role.arn, ANY, writable, root=False))

    def grant_anonymous(self, access_point: aws.efs.AccessPoint, *, writable: bool = False) -> None:
        """Allow clients that present no IAM identity to mount (and write) through
        ``access_point`` only, over TLS, via a mount target. Who can connect is then decided by
        the security group (:meth:`allow_from`) alone, and the access point fixes their POSIX
        identity and root directory. EKS Fargate pods need this: their built-in EFS CSI driver
        does not use the pod's IAM role (aws/containers-roadmap#1003).

        Why ``elasticfilesystem:AccessPointArn`` binds clients without an IAM identity too: EFS
        evaluates the file system policy for every client (its default policy is what admits
        anonymous ones), the key is "ARN of the EFS access point to which the client is
        connecting", a property of the connection, not of the identity
        (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html, "EFS
        condition keys for clients"), and the mount helper names the access point in the TLS
        client certificate whether or not it signs with IAM credentials (aws/efs-utils
        ``src/mount_efs/__init__.py`` ``ca_extension_builder``: the access point extension
        ``1.3.6.1.4.1.4843.7.1`` is added when ``ap_id`` is set, the SigV4 one only with ``iam``).
        Access point mounts are always TLS (the helper requires ``tls`` with ``accesspoint``;
        the CSI driver adds it). A mount of the file system root carries no access point, so
        this grant never matches it: anonymous clients get the access point's POSIX user and
        directory, or nothing."""
        self._require_access_point(access_point)
        self._add(_Grant("*", access_point.arn, writable, root=False))

    def _require_access_point(self, access_point: aws.efs.AccessPoint) -> None:
        if access_point not in self.access_points.values():
            raise ArgumentError(
                "access_point", access_point.pulumi_resource_name, "is not an access point of this file system"
            )

    def grant_root(self, role: aws.iam.Role) -> None:
        """Allow ``role`` root access to the whole file system (administration, migrations)."""
        self._add(_Grant(role.arn, None, writable=True, root=True))

    def _add(self, grant: _Grant) -> None:
        if self.policy is not None:
            raise ArgumentError("grant", self._name, "create_policy() was already called; make every grant before it")
        self._grants.append(grant)

    def create_policy(self) -> aws.efs.FileSystemPolicy:
        """Register the file system policy: deny without TLS, plus every grant made so far."""
        if self.policy is not None:
            raise ArgumentError("create_policy", self._name, "may be called once")
        fs_arn = self.file_system.arn
        # arn:…:elasticfilesystem:REGION:ACCOUNT:file-system/fs-… -> …:access-point/*
        any_access_point = fs_arn.apply(lambda arn: arn.rsplit(":", 1)[0] + ":access-point/*")
        statements: list[dict[str, Any]] = [
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": fs_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        for i, grant in enumerate(self._grants, start=1):
            actions = ["elasticfilesystem:ClientMount"]
            if grant.writable:
                actions.append("elasticfilesystem:ClientWrite")
            condition: dict[str, Any] = {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
            if grant.root:
                actions.append("elasticfilesystem:ClientRootAccess")
                sid = "Root"
            elif grant.access_point_arn is ANY:
                condition["ArnLike"] = {"elasticfilesystem:AccessPointArn": any_access_point}
                sid = "AnyAccessPoint"
            else:
                condition["StringEquals"] = {"elasticfilesystem:AccessPointArn": grant.access_point_arn}
                sid = "AnonymousAccessPoint" if grant.principal == "*" else "AccessPoint"
            statements.append(
                {
                    "Sid": f"{sid}Grant{i}",
                    "Effect": "Allow",
                    "Principal": {"AWS": grant.principal},
                    "Action": actions,
                    "Resource": fs_arn,
                    "Condition": condition,
                }
            )
        self.policy = aws.efs.FileSystemPolicy(
            f"{self._name}-policy",
            file_system_id=self.file_system.id,
            policy=policy_document(*statements),
            bypass_policy_lockout_safety_check=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return self.policy
