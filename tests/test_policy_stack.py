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
    nfs_peer: str = "tasks"  # "tasks" | "other": the group the NFS rule admits
    assign_public_ip_text: str | None = None
    """assign_public_ip as a string, as some programs pass it ("true", "false")."""
    service_network_from_config: bool = False
    """The service's subnets and security group as literal ids (an existing VPC): not in the stack."""
    grant_access_point: str = "own"  # "own" | "other" | "any": the access point the grant names
    grant_write: bool = True
    container_read_only: bool = False

    def __call__(self) -> None:
        vpc = aws.ec2.Vpc(
            "vpc", cidr_block="10.0.0.0/16", enable_dns_support=True, enable_dns_hostnames=self.dns_hostnames
        )
        aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc.id)
        igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id)
        public_rt = aws.ec2.RouteTable("public", vpc_id=vpc.id)
        aws.ec2.Route(
            "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id
        )
        public, private, private_rts = [], [], []
        for i, zone in enumerate(("eu-west-1a", "eu-west-1b")):
            pub = aws.ec2.Subnet(
                f"public-{i}", vpc_id=vpc.id, cidr_block=f"10.0.{128 + i}.0/24", availability_zone=zone
            )
            aws.ec2.RouteTableAssociation(f"public-{i}", subnet_id=pub.id, route_table_id=public_rt.id)
            rt = aws.ec2.RouteTable(f"private-{i}", vpc_id=vpc.id)
            sub = aws.ec2.Subnet(
                f"private-{i}",
                vpc_id=vpc.id,
                cidr_block=f"10.0.{i}.0/24",
                availability_zone=zone,
                map_public_ip_on_launch=self.private_subnet_maps_ip and i == 1,
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
            route_table_ids=[rt.id for rt in private_rts],
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
        task_sg = aws.ec2.SecurityGroup("tasks", vpc_id=vpc.id, description="tasks")
        other_sg = aws.ec2.SecurityGroup("other", vpc_id=vpc.id, description="something else")
        peer = task_sg if self.nfs_peer == "tasks" else other_sg
        inline = self.allow_nfs_from_tasks and self.nfs_rule_style == "inline"
        efs_sg = aws.ec2.SecurityGroup(
            "efs",
            vpc_id=vpc.id,
            description="mount targets",
            ingress=[{"protocol": "tcp", "from_port": 2049, "to_port": 2049, "security_groups": [peer.id]}]
            if inline
            else None,
        )
        if self.allow_nfs_from_tasks and self.nfs_rule_style == "vpc-rule":
            aws.vpc.SecurityGroupIngressRule(
                "nfs-from-tasks",
                security_group_id=efs_sg.id,
                referenced_security_group_id=peer.id,
                ip_protocol="tcp",
                from_port=2049,
                to_port=2049,
            )
        if self.allow_nfs_from_tasks and self.nfs_rule_style == "ec2-rule-text":
            aws.ec2.SecurityGroupRule(
                "nfs-from-tasks",
                type="ingress",
                security_group_id=efs_sg.id,
                source_security_group_id=peer.id,
                protocol="6",
                from_port="2049",  # type: ignore[arg-type]  # the provider converts it
                to_port="2049",  # type: ignore[arg-type]
            )
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
            aws.efs.MountTarget(f"mt-{i}", file_system_id=fs.id, subnet_id=subnet.id, security_groups=[efs_sg.id])
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
        task_role = aws.iam.Role("task", assume_role_policy=trust)
        other_role = aws.iam.Role("other", assume_role_policy=trust)
        if self.task_role_wildcard:
            aws.iam.RolePolicy(
                "task-s3",
                role=task_role.id,
                policy=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
                ),
            )
        deny = {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": fs.arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        grantee = other_role if self.file_system_policy == "tls-only" else task_role
        actions = ["elasticfilesystem:ClientMount"] + (["elasticfilesystem:ClientWrite"] if self.grant_write else [])
        grant = {"Effect": "Allow", "Principal": {"AWS": grantee.arn}, "Resource": fs.arn, "Action": actions}
        if self.grant_access_point != "any":
            granted_ap = ap if self.grant_access_point == "own" else other_ap
            grant["Condition"] = {"StringEquals": {"elasticfilesystem:AccessPointArn": granted_ap.arn}}
        documents = {"tls-and-grant": (deny, grant), "grant-only": (grant,), "tls-only": (deny, grant)}
        if self.file_system_policy in documents:
            aws.efs.FileSystemPolicy(
                "fs-policy", file_system_id=fs.id, policy=_policy(*documents[self.file_system_policy])
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
        aws.ecs.Service(
            "service",
            cluster=cluster.arn,
            task_definition=task.arn,
            launch_type="FARGATE",
            platform_version=self.platform_version,
            desired_count=2,
            network_configuration=network,
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
    "nfs-rule-names-another-group": ({"nfs_peer": "other"}, {("efs-mount-readiness", "mandatory", "service")}),
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


def test_messages_show_ports_as_integers_and_one_pack_version(pack: LoadedPack) -> None:
    result = violations(pack, replace(BASELINE, extra_efs_sg_port=22, file_system_policy="tls-only"), unknowns=True)
    (ports,) = [v for v in result if v.policy == "efs-platform-efs-mount-target-sg-nfs-only"]
    assert "opens tcp 22 on" in ports.message
    versions = {m for v in result for m in re.findall(r"policy pack '[^']*@v([^']+)'", v.message)}
    assert versions == {pack.version}


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
