"""Children of awsx components as awsx makes them.

Each child property built from a component input depends on what that input was computed from
(awsx receives its inputs as outputs carrying their dependencies), so a preview of a new stack
still knows which subnets, groups and file systems a service uses.

The task and execution roles (``defaultRoleWithPolicies`` in pulumi-awsx ``awsx/role.ts``):
``args.policyArns`` become one attachment each, named ``<role>-<first 8 hex of sha1(arn)>``, and
never a property of the role; ``skip`` makes no role; ``roleArn`` uses an existing one;
``roleArn`` with ``args`` is refused, as awsx refuses it."""

from __future__ import annotations

import hashlib

import pulumi_aws as aws
import pulumi_awsx as awsx
import pytest

from offline import engine
from tests.conftest import MODES, run

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
EFS_CLIENT = "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadWriteAccess"
EXECUTION = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
CONTAINER = awsx.ecs.TaskDefinitionContainerDefinitionArgs(name="app", image="nginx:1.27", essential=True)


def _sha8(arn: str) -> str:
    return hashlib.sha1(arn.encode()).hexdigest()[:8]  # noqa: S324 - awsx's resource name


def _task_definition(**roles: object) -> None:
    awsx.ecs.FargateTaskDefinition("td", container=CONTAINER, **roles)


@pytest.mark.parametrize("unknowns", MODES)
def test_policy_arns_under_args_are_attached_to_the_role(unknowns: bool) -> None:
    task_role = awsx.awsx.DefaultRoleWithPolicyArgs(args=awsx.awsx.RoleWithPolicyArgs(policy_arns=[EFS_CLIENT]))
    recorded = run(lambda: _task_definition(task_role=task_role), unknowns=unknowns)
    role = recorded.one(ROLE, "td-task")
    assert "policyArns" not in role.inputs
    attachments = {a.name: a.inputs["policyArn"] for a in recorded.of_type(ATTACHMENT)}
    assert attachments == {f"td-task-{_sha8(EFS_CLIENT)}": EFS_CLIENT, f"td-execution-{_sha8(EXECUTION)}": EXECUTION}
    (attachment,) = [a for a in recorded.of_type(ATTACHMENT) if a.inputs["policyArn"] == EFS_CLIENT]
    assert role.urn in attachment.property_dependencies["role"]


def test_skip_makes_no_task_role() -> None:
    recorded = run(lambda: _task_definition(task_role=awsx.awsx.DefaultRoleWithPolicyArgs(skip=True)))
    assert [r.name for r in recorded.of_type(ROLE)] == ["td-execution"]
    assert "taskRoleArn" not in recorded.only(TASK_DEFINITION).inputs


def test_an_existing_role_arn_is_used_as_given() -> None:
    arn = "arn:aws:iam::123456789012:role/app"
    recorded = run(lambda: _task_definition(task_role=awsx.awsx.DefaultRoleWithPolicyArgs(role_arn=arn)))
    assert [r.name for r in recorded.of_type(ROLE)] == ["td-execution"]
    assert recorded.only(TASK_DEFINITION).inputs["taskRoleArn"] == arn


def test_a_role_arn_with_role_args_is_refused_as_awsx_refuses_it() -> None:
    given = awsx.awsx.DefaultRoleWithPolicyArgs(
        role_arn="arn:aws:iam::123456789012:role/app", args=awsx.awsx.RoleWithPolicyArgs(policy_arns=[EFS_CLIENT])
    )
    with pytest.raises(engine.ProgramError, match="Can't define role args if specified an existing role ARN"):
        run(lambda: _task_definition(task_role=given))


SERVICE = "aws:ecs/service:Service"


def _service_on_stack_resources() -> None:
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
    subnet = aws.ec2.Subnet("private", vpc_id=vpc.id, cidr_block="10.0.0.0/24")
    group = aws.ec2.SecurityGroup("tasks", vpc_id=vpc.id)
    fs = aws.efs.FileSystem("fs", encrypted=True)
    awsx.ecs.FargateService(
        "svc",
        cluster="arn:aws:ecs:eu-west-1:123456789012:cluster/c",
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(subnets=[subnet.id], security_groups=[group.id]),
        task_definition_args=awsx.ecs.FargateServiceTaskDefinitionArgs(
            container=CONTAINER,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name="data", efs_volume_configuration={"file_system_id": fs.id})],
        ),
    )


@pytest.mark.parametrize("unknowns", MODES)
def test_children_depend_on_what_the_components_inputs_were_computed_from(unknowns: bool) -> None:
    recorded = run(_service_on_stack_resources, unknowns=unknowns)
    urn = {r.name: r.urn for r in recorded.resources}
    service = recorded.one(SERVICE, "svc")
    assert {urn["private"], urn["tasks"]} <= set(service.property_dependencies["networkConfiguration"])
    task = recorded.one(TASK_DEFINITION, "svc")
    assert urn["fs"] in task.property_dependencies["volumes"]
    assert task.urn in service.property_dependencies["taskDefinition"]


@pytest.mark.parametrize("unknowns", MODES)
def test_a_given_role_arn_depends_on_the_role_it_came_from(unknowns: bool) -> None:
    def program() -> None:
        role = aws.iam.Role("app", assume_role_policy="{}")
        _task_definition(task_role=awsx.awsx.DefaultRoleWithPolicyArgs(role_arn=role.arn))

    recorded = run(program, unknowns=unknowns)
    role = recorded.one(ROLE, "app")
    assert role.urn in recorded.only(TASK_DEFINITION).property_dependencies["taskRoleArn"]
