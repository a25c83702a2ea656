"""The Fargate service, its ECR registry and the shared EFS, as the program wires them: the
resources and properties that reach AWS."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
import yaml

import settings
from components import _ecs_model
from components._validation import ArgumentError
from components.fargate_service import ContainerSettings, EfsVolume, FargateServiceArgs, container_definition
from components.file_system import AccessPointSpec, SharedFileSystem, SharedFileSystemArgs
from components.registry import context_tag
from offline import engine
from tests.conftest import ROOT, Recorded, run, run_platform, stack_config

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/dockerhub-AbC123"
DB_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password-Zx9Qw1"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


@pytest.fixture(scope="module")
def dev() -> Recorded:
    return run_platform()


def web(**keys: Any) -> dict[str, str]:
    """Config that changes the dev stack's web service (the other services as in the file)."""
    services = settings.parse("efs-platform", stack_config("dev"))  # validated as shipped
    assert list(services.services) == ["web"]
    raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["efs-platform:services"]
    raw["web"].update(keys)
    return {"services": json.dumps(raw)}


def container(rec: Recorded) -> dict[str, Any]:
    (definition,) = json.loads(rec.only("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])
    return definition


def test_task_definition_mounts_efs_through_the_access_point_with_tls_and_iam(dev: Recorded) -> None:
    task = dev.only("aws:ecs/taskDefinition:TaskDefinition")
    fs = dev.only("aws:efs/fileSystem:FileSystem")
    ap = dev.only("aws:efs/accessPoint:AccessPoint")
    (efs_volume,) = [v for v in task.inputs["volumes"] if "efsVolumeConfiguration" in v]
    assert efs_volume["efsVolumeConfiguration"] == {
        "fileSystemId": fs.id,
        "rootDirectory": "/",
        "transitEncryption": "ENABLED",
        "authorizationConfig": {"accessPointId": ap.id, "iam": "ENABLED"},
    }
    mounts = {m["sourceVolume"]: m for m in container(dev)["mountPoints"]}
    assert mounts[efs_volume["name"]] == {
        "sourceVolume": efs_volume["name"],
        "containerPath": "/data",
        "readOnly": False,
    }
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"] and task.inputs["networkMode"] == "awsvpc"
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("256", "512")


def test_task_runs_as_the_task_role_and_starts_with_the_execution_role(dev: Recorded) -> None:
    task = dev.only("aws:ecs/taskDefinition:TaskDefinition")
    roles = {r.name: r for r in dev.of_type("aws:iam/role:Role")}
    assert task.inputs["taskRoleArn"] == roles["web-task"].outputs["arn"]
    assert task.inputs["executionRoleArn"] == roles["web-execution"].outputs["arn"]
    for role in ("web-task", "web-execution"):
        (trust,) = json.loads(roles[role].inputs["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    attachment = dev.only("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    assert attachment.inputs["role"] == roles["web-execution"].outputs["name"]
    # Without secrets the execution role gets nothing beyond the managed policy.
    assert not [p for p in dev.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.startswith("web-")]


def test_container_definition_is_secure_and_logs_to_the_encrypted_group(dev: Recorded) -> None:
    c = container(dev)
    group = next(g for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name == "web-logs")
    assert c["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/efs-platform/dev/app:initial"
    assert c["readonlyRootFilesystem"] is True and c["privileged"] is False
    assert c["logConfiguration"]["logDriver"] == "awslogs"
    assert c["logConfiguration"]["options"]["awslogs-group"] == group.outputs["name"]
    assert group.inputs["retentionInDays"] == 30
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert {"containerPath": "/tmp", "readOnly": False} in [
        {k: v for k, v in m.items() if k != "sourceVolume"} for m in c["mountPoints"]
    ]


def test_service_runs_in_the_private_subnets_without_public_ip(dev: Recorded) -> None:
    service = dev.only("aws:ecs/service:Service")
    private = sorted(s.id for s in dev.of_type("aws:ec2/subnet:Subnet") if "private" in s.name)
    task_sg = next(g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "web-tasks")
    net = service.inputs["networkConfiguration"]
    assert sorted(net["subnets"]) == private
    assert net["assignPublicIp"] is False
    assert net["securityGroups"] == [task_sg.id]
    assert service.inputs["launchType"] == "FARGATE"
    assert service.inputs["platformVersion"] == "LATEST"
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service.inputs["healthCheckGracePeriodSeconds"] == 60


def test_service_waits_for_every_mount_target(dev: Recorded) -> None:
    service = dev.only("aws:ecs/service:Service")
    mount_targets = {m.urn for m in dev.of_type("aws:efs/mountTarget:MountTarget")}
    assert mount_targets <= set(service.dependencies)


def test_service_waits_for_its_nfs_rules_and_the_file_system_policy(dev: Recorded) -> None:
    """What the tasks' mounts need exists before the service (and so before any task) starts."""
    service = dev.only("aws:ecs/service:Service")
    task_sg = next(g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "web-tasks")
    nfs_rules = [
        r
        for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        + dev.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs.get("referencedSecurityGroupId") == task_sg.id or r.inputs.get("securityGroupId") == task_sg.id
        if r.inputs.get("fromPort") == 2049
    ]
    assert nfs_rules, "no NFS rule for the tasks' security group"
    policy = dev.only("aws:efs/fileSystemPolicy:FileSystemPolicy")
    needed = {r.urn for r in nfs_rules} | {policy.urn}
    assert needed <= set(service.dependencies), sorted(needed - set(service.dependencies))


def test_pulumi_up_waits_for_a_steady_state_with_a_timeout(dev: Recorded) -> None:
    """A deployment whose tasks crash-loop fails `pulumi up` instead of passing."""
    service = dev.only("aws:ecs/service:Service")
    assert service.inputs["waitForSteadyState"] is True
    assert service.custom_timeouts == {"create": "20m", "update": "20m"}


def test_steady_state_wait_and_timeout_are_arguments() -> None:
    assert _service(wait_for_steady_state=False).wait_for_steady_state is False
    with pytest.raises(ArgumentError) as caught:
        _service(steady_state_timeout_minutes=2)
    assert caught.value.fields[0] == "steady_state_timeout_minutes"


def test_one_mount_target_per_az_in_the_private_subnets(dev: Recorded) -> None:
    private = {s.id: s.inputs["availabilityZone"] for s in dev.of_type("aws:ec2/subnet:Subnet") if "private" in s.name}
    targets = dev.of_type("aws:efs/mountTarget:MountTarget")
    nfs = next(g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "shared-nfs")
    assert sorted(private[t.inputs["subnetId"]] for t in targets) == ["eu-west-1a", "eu-west-1b"]
    assert all(t.inputs["securityGroups"] == [nfs.id] for t in targets)


def test_efs_security_group_admits_only_nfs_from_the_service(dev: Recorded) -> None:
    nfs = next(g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "shared-nfs")
    tasks = next(g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "web-tasks")
    assert "ingress" not in nfs.inputs and "egress" not in nfs.inputs
    ingress = [
        r
        for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == nfs.id
    ]
    assert [
        {k: r.inputs.get(k) for k in ("ipProtocol", "fromPort", "toPort", "referencedSecurityGroupId", "cidrIpv4")}
        for r in ingress
    ] == [
        {"ipProtocol": "tcp", "fromPort": 2049, "toPort": 2049, "referencedSecurityGroupId": tasks.id, "cidrIpv4": None}
    ]
    egress = [
        r
        for r in dev.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs.get("referencedSecurityGroupId") == nfs.id
    ]
    assert [(r.inputs["securityGroupId"], r.inputs["fromPort"]) for r in egress] == [(tasks.id, 2049)]


def test_tasks_admit_only_the_alb_on_the_container_port(dev: Recorded) -> None:
    groups = {g.name: g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup")}
    ingress = [
        r
        for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == groups["web-tasks"].id
    ]
    assert [(r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"]) for r in ingress] == [
        (groups["web-alb"].id, 8080, 8080)
    ]


def test_file_system_policy_denies_non_tls_and_grants_exactly_the_task_role_on_its_access_point(dev: Recorded) -> None:
    fs = dev.only("aws:efs/fileSystem:FileSystem")
    ap = dev.only("aws:efs/accessPoint:AccessPoint")
    task_role = next(r for r in dev.of_type("aws:iam/role:Role") if r.name == "web-task")
    policy = dev.only("aws:efs/fileSystemPolicy:FileSystemPolicy")
    assert policy.inputs["fileSystemId"] == fs.id
    deny, grant = json.loads(policy.inputs["policy"])["Statement"]
    assert deny == {
        "Sid": "DenyWithoutTls",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": fs.outputs["arn"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert grant["Effect"] == "Allow"
    assert grant["Principal"] == {"AWS": task_role.outputs["arn"]}
    assert grant["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert grant["Condition"] == {
        "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
        "StringEquals": {"elasticfilesystem:AccessPointArn": ap.outputs["arn"]},
    }


def test_file_system_is_encrypted_protected_backed_up_and_tiered(dev: Recorded) -> None:
    fs = dev.only("aws:efs/fileSystem:FileSystem")
    assert fs.inputs["encrypted"] is True and fs.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert fs.protect is True
    (state,) = [r for r in dev.graph.resources if r.urn == fs.urn]
    assert state.retain_on_delete is True
    assert fs.inputs["lifecyclePolicies"] == [
        {"transitionToIa": "AFTER_30_DAYS"},
        {"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"},
    ]
    assert (fs.inputs["performanceMode"], fs.inputs["throughputMode"]) == ("generalPurpose", "elastic")
    assert dev.only("aws:efs/backupPolicy:BackupPolicy").inputs["backupPolicy"] == {"status": "ENABLED"}


def test_keys_of_retained_data_are_protected_and_retained(dev: Recorded) -> None:
    """The file system and the repository outlive the stack, so the keys that encrypt them must
    too: a destroy that deleted the key would leave the retained data unreadable."""
    states = {r.urn: r for r in dev.graph.resources}
    keys = {k.outputs["arn"]: k for k in dev.of_type("aws:kms/key:Key")}
    fs = dev.only("aws:efs/fileSystem:FileSystem")
    (encryption,) = dev.only("aws:ecr/repository:Repository").inputs["encryptionConfigurations"]
    for data_key in (keys[fs.inputs["kmsKeyId"]], keys[encryption["kmsKey"]]):
        assert data_key.protect is True, data_key.name
        assert states[data_key.urn].retain_on_delete is True, data_key.name
    repo = dev.only("aws:ecr/repository:Repository")
    assert states[repo.urn].retain_on_delete is True
    # Keys of data the stack deletes with itself (logs) stay deletable.
    others = [k for arn, k in keys.items() if arn not in (fs.inputs["kmsKeyId"], encryption["kmsKey"])]
    assert others and all(not k.protect for k in others)


def test_access_point_has_posix_user_and_a_created_root_directory(dev: Recorded) -> None:
    ap = dev.only("aws:efs/accessPoint:AccessPoint")
    assert ap.inputs["posixUser"] == {"uid": 1000, "gid": 1000}
    assert ap.inputs["rootDirectory"] == {
        "path": "/app",
        "creationInfo": {"ownerUid": 1000, "ownerGid": 1000, "permissions": "0750"},
    }


def test_ecr_repository_is_encrypted_scanned_immutable_and_kept(dev: Recorded) -> None:
    repo = dev.only("aws:ecr/repository:Repository")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    (encryption,) = repo.inputs["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS" and encryption["kmsKey"].startswith("arn:aws:kms:")
    assert repo.inputs["forceDelete"] is False
    assert repo.protect is True
    rules = json.loads(dev.only("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    assert [
        (r["selection"]["tagStatus"], r["selection"]["countType"], r["selection"]["countNumber"]) for r in rules
    ] == [
        ("untagged", "sinceImagePushed", 7),
        ("tagged", "imageCountMoreThan", 30),
    ]


def test_every_kms_key_rotates(dev: Recorded) -> None:
    keys = dev.of_type("aws:kms/key:Key")
    assert len(keys) == 4  # flow logs, ECR, EFS, service logs
    assert all(k.inputs["enableKeyRotation"] is True for k in keys)


def test_alb_is_public_drops_invalid_headers_and_forwards_http_without_a_certificate(dev: Recorded) -> None:
    alb = dev.only("aws:lb/loadBalancer:LoadBalancer")
    public = sorted(s.id for s in dev.of_type("aws:ec2/subnet:Subnet") if "public" in s.name)
    assert alb.inputs["internal"] is False and sorted(alb.inputs["subnets"]) == public
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is False
    (listener,) = dev.of_type("aws:lb/listener:Listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"][0]["type"] == "forward"
    target_group = dev.only("aws:lb/targetGroup:TargetGroup")
    assert target_group.inputs["targetType"] == "ip" and target_group.inputs["healthCheck"]["path"] == "/"
    assert dev.outputs["url"].startswith("http://web-alb-")


def test_autoscaling_tracks_cpu_between_the_configured_bounds(dev: Recorded) -> None:
    target = dev.only("aws:appautoscaling/target:Target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 2)
    policy = dev.only("aws:appautoscaling/policy:Policy")
    config = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert config["targetValue"] == 60
    assert config["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_certificate_gives_https_with_tls12_and_a_redirect() -> None:
    cert = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    rec = run_platform({"certificateArn": cert})
    listeners = {r.inputs["port"]: r.inputs for r in rec.of_type("aws:lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS" and listeners[443]["certificateArn"] == cert
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[80]["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]
    assert rec.outputs["url"].startswith("https://")


def test_execution_role_reads_exactly_the_named_secrets_and_key() -> None:
    rec = run_platform(
        web(
            repositoryCredentialsSecretArn=SECRET,
            repositoryCredentialsKmsKeyArn=KEY,
            secrets={"DB_PASSWORD": DB_SECRET + ":password::"},
        )
    )
    policy = next(p for p in rec.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "web-execution-secrets")
    execution = next(r for r in rec.of_type("aws:iam/role:Role") if r.name == "web-execution")
    assert policy.inputs["role"] == execution.id
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert statements == [
        {
            "Sid": "ReadNamedSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": sorted([DB_SECRET, SECRET]),
        },
        {"Sid": "DecryptRegistryCredentials", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY},
    ]
    c = container(rec)
    assert c["repositoryCredentials"] == {"credentialsParameter": SECRET}
    assert c["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": DB_SECRET + ":password::"}]


def test_explicit_image_overrides_the_registry_image() -> None:
    # With a NAT gateway any registry is reachable; without one (dev) only ECR is (test_settings).
    rec = run_platform({"image": "example.org/team/app:1.2.3", "natStrategy": "single"})
    assert container(rec)["image"] == "example.org/team/app:1.2.3"


def test_unknowns_mode_keeps_the_task_definition_readable() -> None:
    rec = run_platform(unknowns=True)
    c = container(rec)  # the image reference does not wait for the repository to exist
    assert c["image"].endswith("/efs-platform/dev/app:initial")


# -- Args validated at construction -----------------------------------------------------------


def _fs(**kwargs: Any) -> SharedFileSystemArgs:
    return SharedFileSystemArgs(**{"vpc_id": "vpc-1", "subnet_ids": ["subnet-1"], **kwargs})


def _service(**kwargs: Any) -> FargateServiceArgs:
    values: dict[str, Any] = {"cluster_arn": "arn", "cluster_name": "c", "vpc_id": "vpc-1",
                              "private_subnet_ids": ["s-1"], "container": ContainerSettings(image="x")}  # fmt: skip
    values.update(kwargs)
    return FargateServiceArgs(**values)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (
            lambda: _fs(access_points=(AccessPointSpec("a", 1000, 1000, "/x"), AccessPointSpec("a", 1000, 1000, "/y"))),
            "access_points",
        ),
        (
            lambda: _fs(access_points=(AccessPointSpec("a", 1000, 1000, "/x"), AccessPointSpec("b", 1001, 1000, "/x"))),
            "access_points",
        ),
        (lambda: _fs(subnet_ids=[]), "subnet_ids"),
        (lambda: _service(cpu=1024, memory=1024), "memory"),
        (lambda: _service(platform_version="1.3.0"), "platform_version"),
        (
            lambda: _service(
                container=ContainerSettings(image="x", secrets={"A": "arn:aws:ssm:eu-west-1:1:parameter/x"})
            ),
            "container.secrets.A",
        ),
        (
            lambda: ContainerSettings(image="x", repository_credentials_kms_key_arn=KEY),
            "container.repository_credentials_kms_key_arn",
        ),
        (lambda: ContainerSettings(image="x", environment={"A": "1"}, secrets={"A": DB_SECRET}), "container.secrets"),
    ],
)
def test_invalid_args_are_rejected_naming_the_field(build: Any, field: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        build()
    assert caught.value.fields[0] == field


@pytest.mark.parametrize(
    ("definition", "fragment"),
    [
        ({"name": "app", "image": "x", "portMappings": [{"containerPort": 80, "protocl": "tcp"}]},
         'Unknown parameter in portMappings[0]: "protocl"'),
        ({"name": "app", "image": "x", "logConfiguration": {"logDriver": "cloudwatch"}},
         "Invalid value for logConfiguration.logDriver: 'cloudwatch'"),
        ({"name": "app", "image": "x", "portMappings": [{"containerPort": "80"}]}, "portMappings[0].containerPort"),
        ({"name": "app", "image": "x", "secrets": [{"name": "DB"}]},
         'Missing required parameter in secrets[0]: "valueFrom"'),
    ],
)  # fmt: skip
def test_container_definitions_are_checked_against_the_ecs_model(definition: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        _ecs_model.validate("ContainerDefinition", definition, "container")
    assert fragment in str(caught.value)


def test_the_definition_the_service_builds_passes_the_ecs_model() -> None:
    args = _service(container=ContainerSettings(image="x", health_check_command=("curl -f localhost",), user="101:101"))
    _ecs_model.validate(
        "ContainerDefinition", container_definition(args, {"image": "x", "log_group": "g", "region": "eu-west-1"}), "c"
    )


def _with_fs(body: Any) -> Recorded:
    def program() -> None:
        fs = SharedFileSystem("fs", _fs())
        body(fs)

    return run(program)


def test_grant_after_create_policy_is_refused() -> None:
    def body(fs: SharedFileSystem) -> None:
        role = aws.iam.Role("r", assume_role_policy="{}")
        fs.create_policy()
        fs.grant(role, fs.access_point("app"))

    with pytest.raises(engine.ProgramError, match="create_policy\\(\\) was already called"):
        _with_fs(body)


def test_grant_root_allows_root_access_without_an_access_point() -> None:
    def body(fs: SharedFileSystem) -> None:
        fs.grant_root(aws.iam.Role("admin", assume_role_policy="{}"))
        fs.create_policy()

    rec = _with_fs(body)
    _, root = json.loads(rec.of_type("aws:efs/fileSystemPolicy:FileSystemPolicy")[0].inputs["policy"])["Statement"]
    assert "elasticfilesystem:ClientRootAccess" in root["Action"]
    assert "StringEquals" not in root["Condition"]


def test_read_only_grant_cannot_write() -> None:
    def body(fs: SharedFileSystem) -> None:
        fs.grant(aws.iam.Role("reader", assume_role_policy="{}"), fs.access_point("app"), writable=False)
        fs.create_policy()

    rec = _with_fs(body)
    _, grant = json.loads(rec.of_type("aws:efs/fileSystemPolicy:FileSystemPolicy")[0].inputs["policy"])["Statement"]
    assert grant["Action"] == ["elasticfilesystem:ClientMount"]


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0", "8.8.8.0/24", "10.0.0.1/16"])
def test_allow_from_cidr_refuses_the_world_and_public_ranges(cidr: str) -> None:
    with pytest.raises(engine.ProgramError, match="cidr"):
        _with_fs(lambda fs: fs.allow_from_cidr(cidr, label="x"))


def test_allow_from_cidr_admits_nfs_from_a_private_range() -> None:
    rec = _with_fs(lambda fs: fs.allow_from_cidr("10.0.0.0/17", label="private"))
    (rule,) = rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (rule.inputs["cidrIpv4"], rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        "10.0.0.0/17", 2049, 2049, "tcp",
    )  # fmt: skip


def test_efs_volume_names_an_existing_access_point() -> None:
    def body(fs: SharedFileSystem) -> None:
        EfsVolume(fs, "missing", "/data")

    with pytest.raises(engine.ProgramError, match="access_point='missing': must be one of app"):
        _with_fs(body)


def test_build_context_builds_and_pushes_and_the_service_runs_the_built_digest() -> None:
    rec = run_platform({"buildContext": "app"})
    image = rec.only("awsx:ecr:Image")
    repo = rec.only("aws:ecr/repository:Repository")
    assert image.inputs["context"] == "app" and image.inputs["imageTag"] == context_tag("app")
    assert image.inputs["repositoryUrl"] == repo.outputs["repositoryUrl"]
    assert container(rec)["image"] == image.outputs["imageUri"]
    assert "@sha256:" in container(rec)["image"]


def test_a_built_image_is_tagged_by_its_build_context_content(tmp_path: Path) -> None:
    """IMMUTABLE repositories refuse a second push of a tag: the tag of a built image names the
    content of its build context, so a change is a new tag and no change is the same one."""
    first, second = tmp_path / "a", tmp_path / "b"
    for ctx in (first, second):
        (ctx / "static").mkdir(parents=True)
        (ctx / "Dockerfile").write_text("FROM scratch\n")
        (ctx / "static" / "index.html").write_text("hello")
    assert context_tag(str(first)) == context_tag(str(second))
    assert re.fullmatch(r"ctx-[0-9a-f]{20}", context_tag(str(first)))
    (second / "static" / "index.html").write_text("hello!")
    assert context_tag(str(first)) != context_tag(str(second))
    (second / "static" / "index.html").rename(second / "index.html")  # same bytes, another path
    assert context_tag(str(second)) != context_tag(str(first))


def test_image_tag_and_build_context_together_are_refused() -> None:
    with pytest.raises(settings.ConfigError, match=r"efs-platform:imageTag.*buildContext"):
        settings.parse(
            "efs-platform",
            {"aws:region": "eu-west-1", "efs-platform:buildContext": "app", "efs-platform:imageTag": "3f2a9c1"},
        )


def test_the_stack_exports_the_task_definition_each_service_deployed() -> None:
    """The deploy workflow compares these with each service's PRIMARY deployment: a rollback
    that pulumi up reports as success is caught there."""
    rec = run_platform({})
    service = rec.only("aws:ecs/service:Service")
    task = rec.only("aws:ecs/taskDefinition:TaskDefinition")
    assert rec.outputs["ecsDeployments"] == {service.outputs["name"]: task.outputs["arn"]}
    assert service.inputs["taskDefinition"] == task.outputs["arn"]
