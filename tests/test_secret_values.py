"""SecretValues: resource inputs and stack outputs that carry a secret config value are secret,
whatever their form (plain strings, outputs, nested Args classes); the rest is untouched."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.secret_values import SecretValues
from offline.report import SECRET_MARK, plain
from tests.conftest import run

TOKEN = "tok-0123456789abcdef"


def _inputs(recorded, token: str) -> dict:  # type: ignore[no-untyped-def]
    (r,) = [r for r in recorded.graph.resources if r.type == token]
    return plain(r.inputs)  # type: ignore[no-any-return]


def test_inputs_that_carry_a_secret_are_secret_and_the_rest_are_not() -> None:
    def program() -> None:
        SecretValues([TOKEN, "10.9.0.0/16"]).register()
        role = aws.iam.Role("task", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        aws.ecs.TaskDefinition(
            "task",
            family="app",
            # An output that resolves to JSON embedding the secret.
            container_definitions=role.arn.apply(
                lambda arn: json.dumps([{"name": "app", "environment": [{"name": "T", "value": TOKEN}], "x": arn}])
            ),
            requires_compatibilities=["FARGATE"],
        )
        aws.eks.Cluster(
            "k8s",
            role_arn=role.arn,
            # An Args class with a secret inside a list: only that field becomes secret.
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-1"], public_access_cidrs=["10.9.0.0/16"]),
        )

    recorded = run(program)
    assert _inputs(recorded, "aws:ecs/taskDefinition:TaskDefinition")["containerDefinitions"] == SECRET_MARK
    assert _inputs(recorded, "aws:ecs/taskDefinition:TaskDefinition")["family"] == "app"
    vpc_config = _inputs(recorded, "aws:eks/cluster:Cluster")["vpcConfig"]
    assert vpc_config["publicAccessCidrs"] == [SECRET_MARK]
    assert vpc_config["subnetIds"] == ["subnet-1"]
    assert SECRET_MARK not in json.dumps(_inputs(recorded, "aws:iam/role:Role"))


def test_stack_outputs_that_carry_a_secret_are_secret() -> None:
    def program() -> None:
        secrets = SecretValues([TOKEN])
        pulumi.export("header", secrets.guard(f"Bearer {TOKEN}"))
        pulumi.export("name", secrets.guard("app"))

    outputs = plain(run(program).graph.outputs)
    assert outputs == {"header": SECRET_MARK, "name": "app"}


def test_no_secret_values_register_nothing() -> None:
    def program() -> None:
        SecretValues([]).register()
        aws.ecs.Cluster("c", name=TOKEN)

    assert _inputs(run(program), "aws:ecs/cluster:Cluster")["name"] == TOKEN
