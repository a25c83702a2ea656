"""Stack rules on a small ECS-on-EFS platform built from raw resources: a compliant baseline,
then failing cases that each change one property, with known outputs and as a preview of a new
stack (where ids and ARNs are unknown and references resolve through property dependencies).

Where a preview cannot know what a rule must read (a file system policy document embeds the ARNs
of new resources), the rule says so in an advisory "can't run ... during preview" diagnostic;
those cases assert exactly that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws
import pytest

from offline.analysis import LoadedPack, Violation
from tests.conftest import MODES, stack_findings, violations

KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def _policy(*statements: dict) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


ACCOUNT = "123456789012"
WRITE = "elasticfilesystem:ClientWrite"
#: Statements a file system policy may add, as functions of the file system's ARN.
EXTRA_STATEMENTS = {
    # The account principal stands for every principal of the account, the task role included.
    "deny-write-to-account": lambda fs: {
        "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": WRITE, "Resource": fs
    },
    "deny-write-to-account-id": lambda fs: {
        "Effect": "Deny", "Principal": {"AWS": ACCOUNT}, "Action": WRITE, "Resource": fs
    },
    "deny-write-except-admin": lambda fs: {
        "Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}, "Action": WRITE, "Resource": fs
    },
    # A private client has no aws:SourceIp: NotIpAddress matches when the key is absent.
    "deny-outside-office": lambda fs: {
        "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": fs,
        "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    },
}  # fmt: skip


@dataclass(frozen=True)
class Platform:
    """VPC with public and private subnets in two AZs (no NAT, with endpoints), an encrypted EFS
    with one mount target per private subnet, and a Fargate service that mounts it."""

    dns_hostnames: bool = True
    nat: bool = False
    endpoints: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs")
    mount_target_zones: tuple[int, ...] = (0, 1)
    mount_target_in_public_subnet: bool = False
    allow_nfs_from_tasks: bool = True
    extra_efs_sg_port: int | None = None
    nfs_cidr: str | None = None
    inline_all_from_world: bool = False
    file_system_policy: str = "tls-and-grant"  # "tls-and-grant" | "none" | "grant-only" | "tls-only"
    platform_version: str = "LATEST"
    assign_public_ip: bool = False
    service_in_public_subnets: bool = False
    task_role_wildcard: bool = False
    private_subnet_maps_ip: bool = False
    nfs_rule_style: str = "vpc-rule"
    """How NFS from the tasks is written: "vpc-rule" (aws.vpc.SecurityGroupIngressRule), "inline"
    (ingress=[...] on the group, naming the tasks' group by id), "ec2-rule-text" (an
    aws.ec2.SecurityGroupRule with ports and protocol as strings: "2049", "6")."""
    nfs_peer: str = "tasks"  # "tasks" | "other" | "vpc-default": the group the NFS rule admits
    assign_public_ip_text: str | None = None
    """assign_public_ip as a string, as some programs pass it ("true", "false")."""
    service_network_from_config: bool = False
    """The service's subnets and security group as literal ids (an existing VPC): not in the stack."""
    grant_access_point: str = "own"  # "own" | "other" | "any": the access point the grant names
    grant_write: bool = True
    container_read_only: bool = False
    grant_in_policy: bool = True
    """The file system policy grants the task role (else only the TLS deny is in it)."""
    extra_statements: tuple[str, ...] = ()
    """Statements added to the file system policy, by name (see EXTRA_STATEMENTS)."""
    tls_deny_key: str = "aws:SecureTransport"
    tls_deny_not_resource: bool = False
    """The TLS deny uses NotResource: the file system itself (so it excludes it)."""
    task_role_path: str | None = None
    policy_attachment_arn: str | None = None
    """A managed policy attached to the task role with aws.iam.PolicyAttachment."""
    role_policy_attachment_arn: str | None = None
    """A managed policy attached to the task role with aws.iam.RolePolicyAttachment."""
    permissions_boundary: bool = False
    """The task role has a boundary that allows only s3:GetObject."""
    nfs_prefix_list: str | None = None
    """NFS admitted from a managed prefix list instead of the tasks: "world", "vpc" or "outside"."""
    private_subnets_by_az_id: bool = False
    s3_endpoint_on_public_table: bool = False
    mount_target_groups: str = "efs"
    """"efs", or computed by an apply that keeps the "apply-efs" group or the "apply-empty" one."""
    service_waits_for: tuple[str, ...] = ("mount-targets", "nfs-rules", "policy")
    """What the service depends on (depends_on): the mount targets, the NFS rule resources, the
    file system policy."""
    in_vpc: bool = False
    """The subnets and the security groups are children of the VPC (``parent=vpc``)."""
    service_in_component: bool = False
    """The service is the child of a component, and the component (not the service) has the
    depends_on, as awsx's FargateService or a team's own component has it."""

    def __call__(self) -> None:
        vpc = aws.ec2.Vpc(
            "vpc", cidr_block="10.0.0.0/16", enable_dns_support=True, enable_dns_hostnames=self.dns_hostnames
        )
        zone_ids = {"eu-west-1a": "euw1-az1", "eu-west-1b": "euw1-az2"}
        aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc.id)
        igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id)
        public_rt = aws.ec2.RouteTable("public", vpc_id=vpc.id)
        aws.ec2.Route(
            "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id
        )
        public, private, private_rts = [], [], []
        in_vpc = pulumi.ResourceOptions(parent=vpc) if self.in_vpc else None
        for i, zone in enumerate(("eu-west-1a", "eu-west-1b")):
            pub = aws.ec2.Subnet(
                f"public-{i}", vpc_id=vpc.id, cidr_block=f"10.0.{128 + i}.0/24", availability_zone=zone, opts=in_vpc
            )
            aws.ec2.RouteTableAssociation(f"public-{i}", subnet_id=pub.id, route_table_id=public_rt.id)
            rt = aws.ec2.RouteTable(f"private-{i}", vpc_id=vpc.id)
            placement = (
                {"availability_zone_id": zone_ids[zone]}
                if self.private_subnets_by_az_id
                else {"availability_zone": zone}
            )
            sub = aws.ec2.Subnet(
                f"private-{i}",
                vpc_id=vpc.id,
                cidr_block=f"10.0.{i}.0/24",
                map_public_ip_on_launch=self.private_subnet_maps_ip and i == 1,
                **placement,
                opts=in_vpc,
            )
            aws.ec2.RouteTableAssociation(f"private-{i}", subnet_id=sub.id, route_table_id=rt.id)
            public.append(pub)
            private.append(sub)
            private_rts.append(rt)
        if self.nat:
            eip = aws.ec2.Eip("nat", domain="vpc")
            nat = aws.ec2.NatGateway("nat", allocation_id=eip.id, subnet_id=public[0].id)
            for i, rt in enumerate(private_rts):
                aws.ec2.Route(
                    f"private-{i}-default",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                )
        endpoint_sg = aws.ec2.SecurityGroup(
            "endpoints",
            vpc_id=vpc.id,
            ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/16"]}],
        )
        aws.ec2.VpcEndpoint(
            "s3",
            vpc_id=vpc.id,
            service_name="com.amazonaws.eu-west-1.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[public_rt.id] if self.s3_endpoint_on_public_table else [rt.id for rt in private_rts],
        )
        for name in self.endpoints:
            aws.ec2.VpcEndpoint(
                name.replace(".", "-"),
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.eu-west-1.{name}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private],
                security_group_ids=[endpoint_sg.id],
            )

        fs = aws.efs.FileSystem("fs", encrypted=True, kms_key_id=KEY, opts=pulumi.ResourceOptions(protect=True))
        task_sg = aws.ec2.SecurityGroup("tasks", vpc_id=vpc.id, description="tasks", opts=in_vpc)
        other_sg = aws.ec2.SecurityGroup("other", vpc_id=vpc.id, description="something else", opts=in_vpc)
        peer = task_sg if self.nfs_peer == "tasks" else other_sg
        peer_id = vpc.default_security_group_id if self.nfs_peer == "vpc-default" else peer.id
        inline = self.allow_nfs_from_tasks and self.nfs_rule_style == "inline"
        efs_sg = aws.ec2.SecurityGroup(
            "efs",
            vpc_id=vpc.id,
            description="mount targets",
            ingress=[{"protocol": "tcp", "from_port": 2049, "to_port": 2049, "security_groups": [peer_id]}]
            if inline
            else None,
            opts=in_vpc,
        )
        needs: dict[str, list[pulumi.Resource]] = {"mount-targets": [], "nfs-rules": [], "policy": []}
        if self.allow_nfs_from_tasks and self.nfs_rule_style == "vpc-rule":
            nfs_rule: pulumi.Resource = aws.vpc.SecurityGroupIngressRule(
                "nfs-from-tasks",
                security_group_id=efs_sg.id,
                referenced_security_group_id=peer_id,
                ip_protocol="tcp",
                from_port=2049,
                to_port=2049,
            )
            needs["nfs-rules"].append(nfs_rule)
        if self.nfs_prefix_list:
            if self.nfs_prefix_list == "outside":
                prefix_list: pulumi.Input[str] = "pl-0a1b2c3d4e5f60718"
            else:
                cidr = "0.0.0.0/0" if self.nfs_prefix_list == "world" else "10.0.0.0/16"
                prefix_list = aws.ec2.ManagedPrefixList(
                    "nfs-clients", address_family="IPv4", max_entries=1, entries=[{"cidr": cidr}]
                ).id
            nfs_list_rule = aws.vpc.SecurityGroupIngressRule(
                "nfs-from-list",
                security_group_id=efs_sg.id,
                prefix_list_id=prefix_list,
                ip_protocol="tcp",
                from_port=2049,
                to_port=2049,
            )
            needs["nfs-rules"].append(nfs_list_rule)
        if self.allow_nfs_from_tasks and self.nfs_rule_style == "ec2-rule-text":
            nfs_rule = aws.ec2.SecurityGroupRule(
                "nfs-from-tasks",
                type="ingress",
                security_group_id=efs_sg.id,
                source_security_group_id=peer_id,
                protocol="6",
                from_port="2049",  # type: ignore[arg-type]  # the provider converts it
                to_port="2049",  # type: ignore[arg-type]
            )
            needs["nfs-rules"].append(nfs_rule)
        if self.extra_efs_sg_port:
            aws.vpc.SecurityGroupIngressRule(
                "efs-extra",
                security_group_id=efs_sg.id,
                cidr_ipv4="10.0.0.0/16",
                ip_protocol="tcp",
                from_port=self.extra_efs_sg_port,
                to_port=self.extra_efs_sg_port,
            )
        if self.nfs_cidr:
            aws.ec2.SecurityGroupRule(
                "nfs-cidr",
                type="ingress",
                security_group_id=efs_sg.id,
                protocol="tcp",
                from_port=2000,
                to_port=3000,
                cidr_blocks=[self.nfs_cidr],
            )
        if self.inline_all_from_world:
            aws.ec2.SecurityGroup(
                "wide-open",
                vpc_id=vpc.id,
                ingress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
            )
        for i in self.mount_target_zones:
            subnet = public[i] if (self.mount_target_in_public_subnet and i == 1) else private[i]
            groups: pulumi.Input[list[str]] = [efs_sg.id]
            if self.mount_target_groups != "efs":
                keep = 0 if self.mount_target_groups == "apply-efs" else 1
                groups = pulumi.Output.all(efs_sg.id, other_sg.id).apply(lambda ids, k=keep: [ids[k]])
            needs["mount-targets"].append(
                aws.efs.MountTarget(f"mt-{i}", file_system_id=fs.id, subnet_id=subnet.id, security_groups=groups)
            )
        ap, other_ap = (
            aws.efs.AccessPoint(
                name,
                file_system_id=fs.id,
                posix_user={"uid": 1000, "gid": 1000},
                root_directory={
                    "path": f"/{name}",
                    "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "750"},
                },
            )
            for name in ("ap", "other-ap")
        )
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}
                ],
            }
        )
        boundary = (
            aws.iam.Policy(
                "boundary",
                policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                    }
                ),
            ).arn
            if self.permissions_boundary
            else None
        )
        task_role = aws.iam.Role(
            "task", assume_role_policy=trust, path=self.task_role_path, permissions_boundary=boundary
        )
        if self.policy_attachment_arn:
            aws.iam.PolicyAttachment("task-managed", roles=[task_role.name], policy_arn=self.policy_attachment_arn)
        if self.role_policy_attachment_arn:
            aws.iam.RolePolicyAttachment(
                "task-managed", role=task_role.name, policy_arn=self.role_policy_attachment_arn
            )
        other_role = aws.iam.Role("other", assume_role_policy=trust)
        if self.task_role_wildcard:
            aws.iam.RolePolicy(
                "task-s3",
                role=task_role.id,
                policy=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
                ),
            )
        deny: dict[str, object] = {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"Bool": {self.tls_deny_key: "false"}},
            ("NotResource" if self.tls_deny_not_resource else "Resource"): fs.arn,
        }
        grantee = other_role if self.file_system_policy == "tls-only" else task_role
        actions = ["elasticfilesystem:ClientMount"] + (["elasticfilesystem:ClientWrite"] if self.grant_write else [])
        grant = {"Effect": "Allow", "Principal": {"AWS": grantee.arn}, "Resource": fs.arn, "Action": actions}
        if self.grant_access_point != "any":
            granted_ap = ap if self.grant_access_point == "own" else other_ap
            grant["Condition"] = {"StringEquals": {"elasticfilesystem:AccessPointArn": granted_ap.arn}}
        grants = (grant,) if self.grant_in_policy else ()
        documents = {"tls-and-grant": (deny, *grants), "grant-only": grants, "tls-only": (deny, *grants)}
        extra = [EXTRA_STATEMENTS[name](fs.arn) for name in self.extra_statements]
        if self.file_system_policy in documents:
            needs["policy"].append(
                aws.efs.FileSystemPolicy(
                    "fs-policy", file_system_id=fs.id, policy=_policy(*documents[self.file_system_policy], *extra)
                )
            )

        container = {
            "name": "app",
            "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1",
            "user": "1000:1000",
            "readonlyRootFilesystem": True,
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": self.container_read_only}],
        }
        task = aws.ecs.TaskDefinition(
            "task",
            family="app",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu="256",
            memory="512",
            task_role_arn=task_role.arn,
            container_definitions=json.dumps([container]),
            volumes=[
                {
                    "name": "data",
                    "efs_volume_configuration": {
                        "file_system_id": fs.id,
                        "transit_encryption": "ENABLED",
                        "authorization_config": {"access_point_id": ap.id, "iam": "ENABLED"},
                    },
                }
            ],
        )
        cluster = aws.ecs.Cluster("cluster")
        subnets = public if self.service_in_public_subnets else private
        network: dict[str, object] = {
            "subnets": [s.id for s in subnets],
            "security_groups": [task_sg.id],
            "assign_public_ip": self.assign_public_ip_text or self.assign_public_ip,
        }
        if self.service_network_from_config:
            network.update(subnets=["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"],
                           security_groups=["sg-0a1b2c3d4e5f60718"])  # fmt: skip
        waits = [r for kind in self.service_waits_for for r in needs[kind]]
        parent = None
        if self.service_in_component:
            parent = pulumi.ComponentResource(
                "acme:apps:Service", "app", None, pulumi.ResourceOptions(depends_on=waits)
            )
        aws.ecs.Service(
            "service",
            cluster=cluster.arn,
            task_definition=task.arn,
            launch_type="FARGATE",
            platform_version=self.platform_version,
            desired_count=2,
            network_configuration=network,
            opts=pulumi.ResourceOptions(depends_on=waits) if parent is None else pulumi.ResourceOptions(parent=parent),
        )


BASELINE = Platform()


def unverifiable(result: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    return {r for r in result if r[1] == "advisory" and r[2] == "stack"}


# A preview of a new stack cannot read the file system policy document (it embeds new ARNs), so
# neither the TLS rule nor the mount readiness grant check can decide on it; they say so.
PREVIEW_BLIND = {
    ("efs-policy-denies-insecure-transport", "advisory", "stack"),
    ("efs-mount-readiness", "advisory", "stack"),
}


def blind_spots(pack: LoadedPack, program: Platform) -> list[str]:
    """The 'cannot verify' parts of mount readiness in a preview of a new stack."""
    found = violations(pack, program, unknowns=True)
    return [
        part
        for v in found
        if v.policy == "efs-platform-efs-mount-readiness" and v.level == "advisory"
        for part in v.message.split("during preview: ", 1)[1].split("; ")
    ]


@pytest.mark.parametrize("unknowns", MODES)
def test_baseline_is_compliant(pack: LoadedPack, unknowns: bool) -> None:
    result = stack_findings(pack, BASELINE, unknowns)
    assert result == (PREVIEW_BLIND if unknowns else set())


def test_a_new_stack_leaves_only_the_policy_grants_unverified(pack: LoadedPack) -> None:
    parts = blind_spots(pack, BASELINE)
    assert parts, "the grants through an unknown policy document must be reported, not passed"
    assert all(" may mount " in p or " may write " in p for p in parts), parts


CASES = {
    "no-file-system-policy": (
        {"file_system_policy": "none"},
        {("efs-policy-denies-insecure-transport", "mandatory", "fs")},
    ),
    "service-assigns-public-ip": ({"assign_public_ip": True}, {("ecs-service-private", "mandatory", "service")}),
    "service-in-public-subnets": (
        {"service_in_public_subnets": True},
        {("ecs-service-private", "mandatory", "service")},
    ),
    "service-subnet-maps-public-ips": (
        {"private_subnet_maps_ip": True},
        {
            ("ecs-service-private", "mandatory", "service"),
            ("ec2-private-subnet-no-public-ip", "mandatory", "private-1"),
            ("private-placement", "mandatory", "mt-1"),
        },
    ),
    "mount-target-in-public-subnet": (
        {"mount_target_in_public_subnet": True},
        {("private-placement", "mandatory", "mt-1")},
    ),
    "nfs-from-outside-the-vpc": (
        {"nfs_cidr": "192.168.0.0/16"},
        {
            ("ec2-nfs-ingress-restricted", "mandatory", "nfs-cidr"),
            ("efs-mount-target-sg-nfs-only", "mandatory", "nfs-cidr"),
        },
    ),
    "nfs-from-the-world": (
        {"nfs_cidr": "0.0.0.0/0"},
        {
            ("ec2-nfs-ingress-restricted", "mandatory", "nfs-cidr"),
            ("efs-mount-target-sg-nfs-only", "mandatory", "nfs-cidr"),
        },
    ),
    "all-traffic-from-the-world-inline": (
        {"inline_all_from_world": True},
        {("ec2-nfs-ingress-restricted", "mandatory", "wide-open")},
    ),
    "other-port-on-mount-target-group": (
        {"extra_efs_sg_port": 22},
        {("efs-mount-target-sg-nfs-only", "mandatory", "efs-extra")},
    ),
    "mount-target-missing-in-an-az": ({"mount_target_zones": (0,)}, {("efs-mount-readiness", "mandatory", "service")}),
    "nfs-not-allowed-from-tasks": ({"allow_nfs_from_tasks": False}, {("efs-mount-readiness", "mandatory", "service")}),
    "vpc-dns-hostnames-off": ({"dns_hostnames": False}, {("ec2-vpc-dns-enabled", "mandatory", "vpc")}),
    "platform-version-too-old": ({"platform_version": "1.3.0"}, {("efs-mount-readiness", "mandatory", "service")}),
    "no-ecr-dkr-endpoint-without-nat": (
        {"endpoints": ("ecr.api", "logs")},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
    "service-before-its-mount-targets": (
        {"service_waits_for": ("nfs-rules", "policy")},
        {("ecs-mount-order", "mandatory", "service")},
    ),
    "service-before-its-nfs-rule": (
        {"service_waits_for": ("mount-targets", "policy")},
        {("ecs-mount-order", "mandatory", "service")},
    ),
    "service-before-the-file-system-policy": (
        {"service_waits_for": ("mount-targets", "nfs-rules")},
        {("ecs-mount-order", "mandatory", "service")},
    ),
    "task-role-with-wildcard": (
        {"task_role_wildcard": True},
        {("iam-task-role-no-wildcard-actions", "advisory", "task-s3")},
    ),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_one_change_one_violation(pack: LoadedPack, case: str, unknowns: bool) -> None:
    change, expected = CASES[case]
    result = stack_findings(pack, replace(BASELINE, **change), unknowns)
    assert result - unverifiable(result) == expected
    if unknowns:  # nothing else may hide behind "cannot verify" but the policy document
        assert unverifiable(result) <= PREVIEW_BLIND


# Programs written in other styles: what must be read the same way whatever the form.
STYLE_CASES = {
    "nfs-inline-names-the-tasks-group": ({"nfs_rule_style": "inline"}, set()),
    "nfs-inline-names-another-group": (
        {"nfs_rule_style": "inline", "nfs_peer": "other"},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
    "nfs-ec2-rule-with-ports-as-text": ({"nfs_rule_style": "ec2-rule-text"}, set()),
    "nfs-ec2-rule-with-ports-as-text-names-another-group": (
        {"nfs_rule_style": "ec2-rule-text", "nfs_peer": "other"},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
    # An inline rule is part of the mount targets' group: nothing more to wait for.
    "nfs-inline-and-no-rule-dependency": (
        {"nfs_rule_style": "inline", "service_waits_for": ("mount-targets", "policy")},
        set(),
    ),
    "nfs-ec2-rule-is-waited-for-too": (
        {"nfs_rule_style": "ec2-rule-text", "service_waits_for": ("mount-targets", "policy")},
        {("ecs-mount-order", "mandatory", "service")},
    ),
    "nfs-rule-names-another-group": ({"nfs_peer": "other"}, {("efs-mount-readiness", "mandatory", "service")}),
    # A child registers only after its parent's URN resolves, and the parent only after its
    # depends_on have completed (pulumi/runtime/resource.py, prepare_resource).
    "service-in-a-component-that-waits": ({"service_in_component": True}, set()),
    "service-in-a-component-that-does-not-wait-for-the-targets": (
        {"service_in_component": True, "service_waits_for": ("nfs-rules", "policy")},
        {("ecs-mount-order", "mandatory", "service")},
    ),
    # Resources parented to their VPC: a dependency on the VPC is the VPC (the SDK does not expand
    # a custom resource into its children), so nothing else can stand in for the group named.
    "parented-to-the-vpc": ({"in_vpc": True}, set()),
    "parented-to-the-vpc-inline-nfs-names-another-group": (
        {"in_vpc": True, "nfs_rule_style": "inline", "nfs_peer": "other"},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
    "parented-to-the-vpc-inline-nfs-names-the-vpcs-default-group": (
        {"in_vpc": True, "nfs_rule_style": "inline", "nfs_peer": "vpc-default"},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
    "parented-to-the-vpc-nfs-rule-names-the-vpcs-default-group": (
        {"in_vpc": True, "nfs_peer": "vpc-default"},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
    "parented-to-the-vpc-nfs-rule-names-another-group": (
        {"in_vpc": True, "nfs_peer": "other"},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
    "public-ip-as-text-true": ({"assign_public_ip_text": "true"}, {("ecs-service-private", "mandatory", "service")}),
    "public-ip-as-text-false": ({"assign_public_ip_text": "false"}, set()),
    "grant-without-an-access-point-condition": ({"grant_access_point": "any"}, set()),
    "read-only-grant-for-a-read-only-mount": ({"grant_write": False, "container_read_only": True}, set()),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(STYLE_CASES))
def test_every_form_of_a_program_is_read_the_same_way(pack: LoadedPack, case: str, unknowns: bool) -> None:
    change, expected = STYLE_CASES[case]
    result = stack_findings(pack, replace(BASELINE, **change), unknowns)
    assert result - unverifiable(result) == expected
    if unknowns:
        assert unverifiable(result) <= PREVIEW_BLIND


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"grant_access_point": "other"}, id="granted-on-another-access-point"),
        pytest.param({"grant_write": False}, id="read-only-grant-for-a-writable-mount"),
    ],
)
def test_grants_are_checked_per_access_point_and_for_writing(pack: LoadedPack, change: dict) -> None:
    platform = replace(BASELINE, **change)
    assert stack_findings(pack, platform, unknowns=False) == {("efs-mount-readiness", "mandatory", "service")}
    (v,) = [v for v in violations(pack, platform) if v.policy == "efs-platform-efs-mount-readiness"]
    action = "ClientWrite" if "grant_write" in change else "ClientMount"
    assert f"elasticfilesystem:{action} is not allowed" in v.message and "AccessPoint 'ap'" in v.message
    # A new stack's document is opaque: the same grant is reported as not verifiable, not passed.
    verb = "write" if "grant_write" in change else "mount"
    assert any(f"'task' may {verb} " in part for part in blind_spots(pack, platform))


@pytest.mark.parametrize("unknowns", MODES)
def test_a_network_outside_the_stack_is_unverifiable_never_passed(pack: LoadedPack, unknowns: bool) -> None:
    result = violations(pack, replace(BASELINE, service_network_from_config=True), unknowns)
    assert not [v for v in result if v.level == "mandatory"]
    said = {v.policy: v.message for v in result if v.level == "advisory"}
    for rule in ("efs-platform-ecs-service-private", "efs-platform-efs-mount-readiness"):
        assert "subnet-0a1b2c3d4e5f60718 is not in this stack" in said[rule]


@pytest.mark.parametrize("unknowns", MODES)
def test_a_network_outside_the_stack_still_fails_an_old_platform_version(pack: LoadedPack, unknowns: bool) -> None:
    """What does not depend on the subnets is still decided: Fargate 1.3.0 cannot mount EFS."""
    platform = replace(BASELINE, service_network_from_config=True, platform_version="1.3.0")
    mandatory = [v for v in violations(pack, platform, unknowns) if v.level == "mandatory"]
    assert [(v.policy, v.urn.rsplit("::", 1)[-1]) for v in mandatory] == [
        ("efs-platform-efs-mount-readiness", "service")
    ]
    assert "1.3.0" in mandatory[0].message


def test_a_network_outside_the_stack_still_fails_a_grant_on_another_access_point(pack: LoadedPack) -> None:
    """The task role's grant does not depend on the subnets (a new stack's document is opaque, so
    this is asserted where the values are known)."""
    platform = replace(BASELINE, service_network_from_config=True, grant_access_point="other")
    mandatory = [v for v in violations(pack, platform, unknowns=False) if v.level == "mandatory"]
    assert [(v.policy, v.urn.rsplit("::", 1)[-1]) for v in mandatory] == [
        ("efs-platform-efs-mount-readiness", "service")
    ]
    assert "elasticfilesystem:ClientMount is not allowed" in mandatory[0].message


def test_messages_show_ports_as_integers_and_one_pack_version(pack: LoadedPack) -> None:
    result = violations(pack, replace(BASELINE, extra_efs_sg_port=22, file_system_policy="tls-only"), unknowns=True)
    (ports,) = [v for v in result if v.policy == "efs-platform-efs-mount-target-sg-nfs-only"]
    assert "opens tcp 22 on" in ports.message
    versions = {m for v in result for m in re.findall(r"policy pack '[^']*@v([^']+)'", v.message)}
    assert versions == {pack.version}


# IAM as AWS evaluates it, on the file system policy and the task role's own policies. A new
# stack's document embeds unknown ARNs, so these verdicts are asserted where values are known.
IAM_CASES = {
    "deny-write-to-the-account": ({"extra_statements": ("deny-write-to-account",)}, "mandatory"),
    "deny-write-to-the-account-id": ({"extra_statements": ("deny-write-to-account-id",)}, "mandatory"),
    "deny-write-to-all-but-an-admin": ({"extra_statements": ("deny-write-except-admin",)}, "mandatory"),
    "deny-outside-an-office-range": ({"extra_statements": ("deny-outside-office",)}, "mandatory"),
    "deny-all-attached": ({"role_policy_attachment_arn": "arn:aws:iam::aws:policy/AWSDenyAll"}, "mandatory"),
    "boundary-without-efs": ({"permissions_boundary": True}, "mandatory"),
    "tls-condition-key-in-lower-case": ({"tls_deny_key": "aws:securetransport"}, None),
    "task-role-with-a-path": ({"task_role_path": "/svc/"}, None),
    "grant-in-an-identity-policy-attached-with-policy-attachment": (
        {
            "grant_in_policy": False,
            "policy_attachment_arn": "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadWriteAccess",
        },
        None,
    ),
}


@pytest.mark.parametrize("case", list(IAM_CASES))
def test_efs_authorization_follows_iam_evaluation(pack: LoadedPack, case: str) -> None:
    change, level = IAM_CASES[case]
    expected = {("efs-mount-readiness", level, "service")} if level else set()
    assert stack_findings(pack, replace(BASELINE, **change), unknowns=False) == expected


def test_a_tls_deny_that_excludes_the_file_system_is_no_deny(pack: LoadedPack) -> None:
    platform = replace(BASELINE, tls_deny_not_resource=True)
    assert stack_findings(pack, platform, unknowns=False) == {
        ("efs-policy-denies-insecure-transport", "mandatory", "fs-policy")
    }


NETWORK_CASES = {
    "nfs-from-a-prefix-list-of-the-world": (
        {"allow_nfs_from_tasks": False, "nfs_prefix_list": "world"},
        {("ec2-nfs-ingress-restricted", "mandatory", "nfs-from-list")},
    ),
    "nfs-from-a-prefix-list-of-the-vpc": ({"allow_nfs_from_tasks": False, "nfs_prefix_list": "vpc"}, set()),
    "s3-gateway-endpoint-on-another-route-table": (
        {"s3_endpoint_on_public_table": True},
        {("efs-mount-readiness", "mandatory", "service")},
    ),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(NETWORK_CASES))
def test_network_forms_reach_the_same_verdict(pack: LoadedPack, case: str, unknowns: bool) -> None:
    change, expected = NETWORK_CASES[case]
    result = stack_findings(pack, replace(BASELINE, **change), unknowns)
    assert result - unverifiable(result) == expected
    if unknowns:
        assert unverifiable(result) <= PREVIEW_BLIND


@pytest.mark.parametrize("unknowns", MODES)
def test_a_prefix_list_outside_the_stack_is_unverifiable(pack: LoadedPack, unknowns: bool) -> None:
    platform = replace(BASELINE, allow_nfs_from_tasks=False, nfs_prefix_list="outside")
    result = violations(pack, platform, unknowns)
    assert not [v for v in result if v.level == "mandatory"]
    (nfs,) = [v for v in result if v.policy == "efs-platform-ec2-nfs-ingress-restricted"]
    assert "pl-0a1b2c3d4e5f60718 is not in this stack" in nfs.message


@pytest.mark.parametrize(
    ("change", "known"),
    [
        pytest.param({"mount_target_groups": "apply-efs"}, set(), id="apply-keeps-the-nfs-group"),
        pytest.param(
            {"mount_target_groups": "apply-empty"},
            {("efs-mount-readiness", "mandatory", "service")},
            id="apply-keeps-a-group-without-nfs",
        ),
        pytest.param({"private_subnets_by_az_id": True}, set(), id="subnets-placed-by-az-id"),
    ],
)
def test_values_a_new_stack_cannot_resolve_are_unverifiable_not_judged(
    pack: LoadedPack, change: dict, known: set
) -> None:
    platform = replace(BASELINE, **change)
    assert stack_findings(pack, platform, unknowns=False) == known
    # In a new stack the value is computed from several candidates (or AZ ids cannot be named):
    # nothing mandatory, and mount readiness says what it cannot verify.
    result = stack_findings(pack, platform, unknowns=True)
    assert not {r for r in result if r[1] == "mandatory"}
    assert ("efs-mount-readiness", "advisory", "stack") in result


def test_nat_makes_endpoints_optional(pack: LoadedPack) -> None:
    assert stack_findings(pack, replace(BASELINE, nat=True, endpoints=()), unknowns=False) == set()


def test_policy_without_tls_deny_is_caught_once_the_document_is_known(pack: LoadedPack) -> None:
    platform = replace(BASELINE, file_system_policy="grant-only")
    assert stack_findings(pack, platform, unknowns=False) == {
        ("efs-policy-denies-insecure-transport", "mandatory", "fs-policy")
    }
    assert stack_findings(pack, platform, unknowns=True) == PREVIEW_BLIND


def test_task_role_not_granted_by_the_file_system_policy(pack: LoadedPack) -> None:
    platform = replace(BASELINE, file_system_policy="tls-only")
    assert ("efs-mount-readiness", "mandatory", "service") in stack_findings(pack, platform, unknowns=False)
    # A new stack's policy document is opaque (it could allow "*"): the grant is reported as not
    # verifiable, naming the role, never passed.
    assert any("'task' may mount" in part for part in blind_spots(pack, platform))


def test_messages_name_the_fault_and_the_fix(pack: LoadedPack) -> None:
    result: list[Violation] = violations(pack, replace(BASELINE, mount_target_zones=(0,)), unknowns=False)
    (v,) = [v for v in result if v.policy == "efs-platform-efs-mount-readiness"]
    assert "eu-west-1b" in v.message and "no mount target" in v.message
    result = violations(pack, replace(BASELINE, allow_nfs_from_tasks=False), unknowns=True)
    (v,) = [v for v in result if v.policy == "efs-platform-efs-mount-readiness" and v.level == "mandatory"]
    assert "TCP 2049" in v.message and "allow_from" in v.message


def _unknown_without_dependencies() -> pulumi.Output[str]:
    """A value no resource in the stack explains (an apply over an external source, say)."""
    import asyncio  # noqa: PLC0415

    loop = asyncio.get_event_loop()
    value, known = loop.create_future(), loop.create_future()
    value.set_result(None)
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def test_an_unresolvable_vpc_cidr_association_is_unverifiable_not_a_crash(pack: LoadedPack) -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", enable_dns_hostnames=True)
        aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc.id)
        aws.ec2.VpcIpv4CidrBlockAssociation("extra", vpc_id=_unknown_without_dependencies(), cidr_block="10.1.0.0/16")
        group = aws.ec2.SecurityGroup("nfs", vpc_id=vpc.id)
        aws.vpc.SecurityGroupIngressRule(
            "nfs", security_group_id=group.id, cidr_ipv4="10.1.0.0/24", ip_protocol="tcp", from_port=2049, to_port=2049
        )

    result = [
        v for v in violations(pack, program, unknowns=True) if v.policy == "efs-platform-ec2-nfs-ingress-restricted"
    ]
    assert [(v.level, "the VPC CIDR" in v.message) for v in result] == [("advisory", True)]


def test_an_unresolvable_policy_attachment_is_unverifiable_not_a_crash(pack: LoadedPack) -> None:
    def program() -> None:
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        role = aws.iam.Role("task", assume_role_policy=trust)
        aws.ecs.TaskDefinition(
            "task",
            family="app",
            container_definitions="[]",
            task_role_arn=role.arn,
            requires_compatibilities=["FARGATE"],
        )
        aws.iam.RolePolicyAttachment("extra", role=role.name, policy_arn=_unknown_without_dependencies())

    result = [v for v in violations(pack, program, unknowns=True) if "task-role-no-wildcard" in v.policy]
    assert [(v.level, "cannot verify" in v.message) for v in result] == [("advisory", True)]


def test_an_endpoint_in_an_unresolvable_vpc_makes_endpoints_unverifiable_not_a_crash(pack: LoadedPack) -> None:
    def program() -> None:
        replace(BASELINE, endpoints=("ecr.api", "logs"))()  # ecr.dkr missing, unless the mystery one is it
        aws.ec2.VpcEndpoint(
            "mystery",
            vpc_id=_unknown_without_dependencies(),
            service_name="com.amazonaws.eu-west-1.ecr.dkr",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
        )

    result = [v for v in violations(pack, program, unknowns=True) if v.policy == "efs-platform-efs-mount-readiness"]
    assert [(v.level, "endpoints" in v.message) for v in result] == [("advisory", True)]


def test_a_service_started_before_its_mounts_are_ready_names_what_it_must_wait_for(pack: LoadedPack) -> None:
    platform = replace(BASELINE, service_waits_for=("policy",))
    found = [v for v in violations(pack, platform) if v.policy == "efs-platform-ecs-mount-order"]
    assert {v.level for v in found} == {"mandatory"}
    said = [v.message for v in found]
    assert len(said) == 3, said  # one per missing dependency
    assert any("aws:efs/mountTarget:MountTarget 'mt-0'" in m for m in said)
    assert any("aws:efs/mountTarget:MountTarget 'mt-1'" in m for m in said)
    assert any("SecurityGroupIngressRule 'nfs-from-tasks'" in m for m in said)
    assert all("depends_on" in m for m in said)
