"""``python -m offline preview`` as a user runs it: exit codes, report, JSON, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, preview_cli, read_json

LEGACY = FIXTURES / "legacy_vpc"
PRIVATE_IP = "efs-platform-ec2-private-subnet-no-public-ip"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of this project, to add stack files to."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "settings.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "components", tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_pass_with_zero_violations(stack: str, tmp_path: Path) -> None:
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", stack, "--json", out, "--policy-config", f"policy/config.{stack}.json")
    assert result.returncode == 0, result.stderr
    # The advisories the shipped stacks accept knowingly: plain HTTP until a team sets
    # certificateArn; (dev only) no WAF in front of the ALB, to save its monthly cost; (prod
    # only) a private EKS API no deployer is admitted to until a team names its runners'
    # network (eks.apiAccessCidrs / eks.apiAccessSecurityGroupIds).
    accepted = {("efs-platform-lb-https", "advisory")}
    if stack == "dev":
        accepted.add(("efs-platform-lb-waf", "advisory"))
    if stack == "prod":
        accepted.add(("efs-platform-eks-api-reachable", "advisory"))
    assert f"Policies: efs-platform@v0.1.0: passed (0 mandatory, {len(accepted)} advisory)" in result.stdout
    for component in ("Network", "ContainerRegistry", "SharedFileSystem", "FargateCluster", "WebIngress"):
        assert f"─ efs-platform:index:{component}" in result.stdout
    doc = read_json(out)
    assert {(v["policy"], v["level"]) for v in doc["policyViolations"]} == accepted
    assert doc["project"] == "efs-platform" and doc["stack"] == stack
    zones = {"dev": 2, "prod": 3}[stack]
    assert len(doc["outputs"]["privateSubnetIds"]) == zones
    assert len(doc["outputs"]["availabilityZones"]) == zones
    # One cluster and one ALB per stack, whatever the number of services.
    services = {"dev": {"web"}, "prod": {"web", "worker"}}[stack]
    assert set(doc["outputs"]["serviceNames"]) == services
    for token in ("aws:ecs/cluster:Cluster", "aws:lb/loadBalancer:LoadBalancer"):
        assert len([r for r in doc["resources"] if r["type"] == token]) == 1, token
    assert len([r for r in doc["resources"] if r["type"] == "aws:ecs/service:Service"]) == len(services)


def test_json_has_the_full_graph(tmp_path: Path) -> None:
    out = tmp_path / "preview.json"
    assert preview_cli("--stack", "dev", "--json", out).returncode == 0
    doc = read_json(out)
    assert set(doc) == {"project", "stack", "resources", "outputs", "policyViolations", "notVerifiedOffline"}
    by_name = {(r["type"], r["name"]): r for r in doc["resources"]}
    expected_keys = {
        "urn", "type", "name", "parent", "custom", "inputs", "outputs",
        "dependencies", "propertyDependencies", "protect", "retainOnDelete", "customTimeouts", "provider", "external",
    }  # fmt: skip
    assert all(set(r) == expected_keys for r in doc["resources"])
    vpc = by_name[("aws:ec2/vpc:Vpc", "platform-vpc")]
    network = by_name[("efs-platform:index:Network", "platform")]
    assert vpc["parent"] == network["urn"] and vpc["custom"] is True and network["custom"] is False
    assert vpc["outputs"]["id"].startswith("vpc-")
    assert vpc["outputs"]["arn"] == f"arn:aws:ec2:eu-west-1:123456789012:vpc/{vpc['outputs']['id']}"
    assert vpc["outputs"]["defaultSecurityGroupId"].startswith("sg-")
    subnet = by_name[("aws:ec2/subnet:Subnet", "platform-private-1")]
    assert subnet["inputs"]["vpcId"] == vpc["outputs"]["id"]
    assert subnet["propertyDependencies"]["vpcId"] == [vpc["urn"]]
    assert vpc["urn"] in subnet["dependencies"]
    assert subnet["outputs"]["availabilityZoneId"] == "euw1-az1"
    log_group = by_name[("aws:cloudwatch/logGroup:LogGroup", "platform-flow-logs")]
    assert log_group["outputs"]["name"].startswith("platform-flow-logs-")  # auto-named like the provider does
    assert network["outputs"]["vpcId"] == vpc["outputs"]["id"]
    assert doc["outputs"]["vpcId"] == vpc["outputs"]["id"]


def test_unknowns_leaves_computed_outputs_unknown_and_reaches_the_same_verdict(tmp_path: Path) -> None:
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", "prod", "--unknowns", "--json", out)
    assert result.returncode == 0, result.stderr
    assert "preview of a new stack (unknowns)" in result.stdout
    doc = read_json(out)
    vpc = next(r for r in doc["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["outputs"]["id"] == "[unknown]" and vpc["outputs"]["arn"] == "[unknown]"
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/16"
    assert doc["outputs"]["vpcId"] == "[unknown]"
    assert doc["outputs"]["availabilityZones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


@pytest.mark.parametrize("mode", [[], ["--unknowns"]], ids=["known", "unknowns"])
def test_foreign_program_with_a_violation_exits_1_naming_the_resource(mode: list[str], tmp_path: Path) -> None:
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", "test", "--program", LEGACY, "--json", out, *mode)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED (1 mandatory, 0 advisory)" in result.stdout
    (violation,) = read_json(out)["policyViolations"]
    assert violation["policy"] == PRIVATE_IP
    assert violation["level"] == "mandatory"
    assert violation["policyPack"] == "efs-platform"
    assert violation["urn"] == "urn:pulumi:test::legacy-vpc::aws:ec2/subnet:Subnet::app"
    assert "map_public_ip_on_launch=False" in violation["message"]


def test_foreign_program_resources_use_its_explicit_provider(tmp_path: Path) -> None:
    out = tmp_path / "preview.json"
    preview_cli("--stack", "test", "--program", LEGACY, "--json", out)
    doc = read_json(out)
    provider = next(r for r in doc["resources"] if r["type"] == "pulumi:providers:aws")
    subnet = next(r for r in doc["resources"] if r["name"] == "app")
    assert provider["inputs"]["region"] == "eu-central-1"
    assert subnet["provider"].startswith(provider["urn"] + "::")


def test_policy_config_can_lower_a_level(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({PRIVATE_IP: {"enforcementLevel": "advisory"}}))
    result = preview_cli("--stack", "test", "--program", LEGACY, "--policy-config", config)
    assert result.returncode == 0, result.stderr
    assert "passed (0 mandatory, 1 advisory)" in result.stdout
    assert f"[advisory] {PRIVATE_IP}" in result.stdout


def test_no_policy_skips_the_pack() -> None:
    result = preview_cli("--stack", "test", "--program", LEGACY, "--no-policy")
    assert result.returncode == 0
    assert "Policies: not run (--no-policy)" in result.stdout


def test_out_dir_gets_the_report(tmp_path: Path) -> None:
    assert preview_cli("--stack", "dev", "--quiet", "--out", tmp_path / "out").returncode == 0
    assert read_json(tmp_path / "out" / "preview.json")["stack"] == "dev"


def _error(result: object) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    return result.stderr  # type: ignore[attr-defined,no-any-return]


def test_bad_stack_config_exits_2_naming_the_key(project_copy: Path) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text("config:\n  aws:region: eu-west-1\n  efs-platform:azCount: 9\n")
    stderr = _error(preview_cli("--stack", "bad", "--program", project_copy))
    assert "efs-platform:azCount=9" in stderr and "from 2 to 6" in stderr


def test_bad_eks_setting_exits_2_naming_the_key_before_any_resource(project_copy: Path, tmp_path: Path) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  efs-platform:eks.enabled: true\n"
        "  efs-platform:eks.publicAccessCidrs: [0.0.0.0/0]\n"
    )
    result = preview_cli("--stack", "bad", "--program", project_copy, "--json", tmp_path / "o.json")
    stderr = _error(result)
    assert "efs-platform:eks.publicAccessCidrs" in stderr and "eks.allowPublicEndpointFromAnywhere" in stderr
    assert "Resources:" not in result.stdout


def test_unknown_project_key_exits_2(project_copy: Path) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  efs-platform:vpcCdir: 10.1.0.0/16\n"
    )
    stderr = _error(preview_cli("--stack", "bad", "--program", project_copy))
    assert "efs-platform:vpcCdir" in stderr and "unknown config key" in stderr


def test_value_of_the_wrong_declared_type_exits_2(project_copy: Path) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text("config:\n  aws:region: eu-west-1\n  efs-platform:azCount: three\n")
    stderr = _error(preview_cli("--stack", "bad", "--program", project_copy))
    assert "efs-platform:azCount: 'three' is not an integer" in stderr


def test_unknown_stack_exits_2_listing_the_stacks() -> None:
    stderr = _error(preview_cli("--stack", "staging"))
    assert "Pulumi.staging.yaml" in stderr and "dev, prod" in stderr


def test_a_project_without_stack_files_runs_on_its_defaults(tmp_path: Path) -> None:
    """`pulumi stack init` writes no Pulumi.<stack>.yaml; the CLI then runs on the project's
    config defaults. So does the offline engine, and it says so."""
    (tmp_path / "Pulumi.yaml").write_text(
        "name: bare\nruntime: python\nconfig:\n  bare:bucketPrefix:\n    default: logs\n"
    )
    (tmp_path / "__main__.py").write_text(
        "import pulumi\nimport pulumi_aws as aws\n"
        "b = aws.s3.BucketV2('b', bucket_prefix=pulumi.Config().require('bucketPrefix'))\n"
        "pulumi.export('prefix', b.bucket_prefix)\n"
    )
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", "dev", "--program", tmp_path, "--no-policy", "--json", out)
    assert result.returncode == 0, result.stderr
    assert "no Pulumi.dev.yaml" in result.stdout
    assert read_json(out)["outputs"]["prefix"] == "logs"


def test_directory_without_a_project_exits_2(tmp_path: Path) -> None:
    stderr = _error(preview_cli("--stack", "dev", "--program", tmp_path))
    assert "not a Pulumi project" in stderr


def test_unsupported_invoke_exits_2_naming_the_token() -> None:
    stderr = _error(preview_cli("--stack", "invoke", "--program", LEGACY))
    assert "'aws:ec2/getVpcPeeringConnection:getVpcPeeringConnection'" in stderr
    assert "--invokes" in stderr


def test_an_invoke_answered_in_a_file_is_used(tmp_path: Path) -> None:
    answers = tmp_path / "invokes.yaml"
    answers.write_text(
        "aws:ec2/getVpcPeeringConnection:getVpcPeeringConnection:\n"
        "  - args: {id: pcx-0a1b2c3d}\n"
        "    result: {id: pcx-0a1b2c3d, peerVpcId: vpc-0feedbeef0000000a}\n"
    )
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", "invoke", "--program", LEGACY, "--invokes", answers, "--json", out)
    assert result.returncode == 1, result.stderr  # the fixture's deliberate violation, as usual
    assert read_json(out)["outputs"]["peerVpc"] == "vpc-0feedbeef0000000a"


def test_an_unusable_invoke_file_exits_2_naming_it(tmp_path: Path) -> None:
    answers = tmp_path / "invokes.yaml"
    answers.write_text("aws:ec2/getVpc:getVpc: [1, 2]\n")
    stderr = _error(preview_cli("--stack", "test", "--program", LEGACY, "--invokes", answers))
    assert f"invoke answers {answers}: aws:ec2/getVpc:getVpc" in stderr


def test_program_exception_exits_2_with_its_location() -> None:
    stderr = _error(preview_cli("--stack", "crash", "--program", LEGACY))
    assert "ValueError: subnet plan is inconsistent (at __main__.py:17)" in stderr


def test_policy_config_naming_an_unknown_policy_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"efs-platform-no-such-rule": "advisory"}))
    stderr = _error(preview_cli("--stack", "dev", "--policy-config", config))
    assert "efs-platform-no-such-rule" in stderr


def test_policy_config_with_a_bad_level_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({PRIVATE_IP: "warn"}))
    stderr = _error(preview_cli("--stack", "dev", "--policy-config", config))
    assert "'warn' is not one of advisory, mandatory, remediate, disabled" in stderr


def test_usage_error_exits_2() -> None:
    result = preview_cli("--stak", "dev")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_a_config_type_the_cli_refuses_is_refused_offline_too(project_copy: Path) -> None:
    project = project_copy / "Pulumi.yaml"
    project.write_text(project.read_text() + "  tags:\n    type: object\n    default: {}\n")
    stderr = _error(preview_cli("--stack", "dev", "--program", project_copy))
    assert "config.tags: type 'object' is not one the Pulumi CLI accepts (string, integer, boolean, array)" in stderr


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_a_secret_config_value_stays_secret_in_every_input_and_output(project_copy: Path, tmp_path: Path) -> None:
    """`pulumi config set --secret --path 'efs-platform:environment.API_TOKEN' ...` stores a secure
    leaf in a map: the container definitions that carry it are secret (encrypted in the state,
    [secret] in a preview), and the value appears nowhere in plain text."""
    stack = (project_copy / "Pulumi.dev.yaml").read_text()
    stack = stack.replace('      user: "101:101"\n', '      user: ""\n')
    environment = "      environment:\n        LOG_LEVEL: info\n        API_TOKEN:\n          secure: v1:c2VjcmV0\n"
    stack = stack.replace("      port: 8080\n", "      port: 8080\n" + environment)
    assert "secure: v1:c2VjcmV0" in stack
    (project_copy / "Pulumi.sec.yaml").write_text(stack)
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", "sec", "--program", project_copy, "--json", out, "--quiet")
    assert result.returncode == 0, result.stderr
    doc = read_json(out)
    (task,) = [r for r in doc["resources"] if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"]
    assert task["inputs"]["containerDefinitions"] == "[secret]"
    everywhere = [leaf for r in doc["resources"] for leaf in _leaves([r["inputs"], r["outputs"]])]
    everywhere += _leaves(doc["outputs"])
    assert not [leaf for leaf in everywhere if isinstance(leaf, str) and "offline-secret-placeholder" in leaf]
    # The policy pack still reads the secret container definitions, as under the real CLI: the
    # container without a user is reported.
    judged = {(v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in doc["policyViolations"]}
    assert ("efs-platform-ecs-non-root-user", "web-task") in judged


def test_a_stack_on_an_existing_vpc_previews_without_a_network(project_copy: Path, tmp_path: Path) -> None:
    """vpcId and its subnets instead of a network: no Network component, everything placed in
    the named subnets; the pack cannot see those subnets and says so (advisory), nothing fails."""
    shutil.copy(FIXTURES / "existing_vpc" / "Pulumi.existing-vpc.yaml", project_copy)
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", "existing-vpc", "--program", project_copy, "--json", out, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    doc = read_json(out)
    types = {r["type"] for r in doc["resources"]}
    assert "efs-platform:index:Network" not in types and "aws:ec2/vpc:Vpc" not in types
    assert "aws:ec2/subnet:Subnet" not in types
    private = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    public = ["subnet-0a1b2c3d4e5f60101", "subnet-0a1b2c3d4e5f60102"]
    of = lambda token: [r for r in doc["resources"] if r["type"] == token]  # noqa: E731
    assert sorted(m["inputs"]["subnetId"] for m in of("aws:efs/mountTarget:MountTarget")) == private
    assert all(g["inputs"]["vpcId"] == "vpc-0a1b2c3d4e5f60718" for g in of("aws:ec2/securityGroup:SecurityGroup"))
    (alb,) = of("aws:lb/loadBalancer:LoadBalancer")
    assert alb["inputs"]["subnets"] == public
    for service in of("aws:ecs/service:Service"):
        assert service["inputs"]["networkConfiguration"]["subnets"] == private
        assert service["inputs"]["networkConfiguration"]["assignPublicIp"] is False
    assert doc["outputs"]["vpcId"] == "vpc-0a1b2c3d4e5f60718" and doc["outputs"]["privateSubnetIds"] == private
    verdicts = doc["policyViolations"]
    assert not [v for v in verdicts if v["level"] == "mandatory"]
    cannot_verify = {v["policy"] for v in verdicts if "is not in this stack" in v["message"]}
    assert {"efs-platform-ecs-service-private", "efs-platform-efs-mount-readiness"} <= cannot_verify


def test_a_bad_secret_config_value_is_named_but_never_shown(project_copy: Path) -> None:
    stack = (project_copy / "Pulumi.dev.yaml").read_text() + "  efs-platform:certificateArn:\n    secure: v1:eA==\n"
    (project_copy / "Pulumi.sec.yaml").write_text(stack)
    stderr = _error(preview_cli("--stack", "sec", "--program", project_copy))
    assert "efs-platform:certificateArn=[secret]" in stderr
    assert "offline-secret-placeholder" not in stderr


def test_a_key_given_twice_in_a_stack_file_exits_2_naming_it(project_copy: Path) -> None:
    """PyYAML keeps the last of two equal keys; the CLI's YAML reader refuses them, and so does this."""
    (project_copy / "Pulumi.bad.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  efs-platform:azCount: 2\n  efs-platform:azCount: 3\n"
    )
    stderr = _error(preview_cli("--stack", "bad", "--program", project_copy))
    assert "mapping key 'efs-platform:azCount' already defined at line 3" in stderr


def test_a_misspelt_top_level_key_exits_2_with_what_a_stack_file_holds(project_copy: Path) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text("conifg:\n  aws:region: eu-west-1\n")
    stderr = _error(preview_cli("--stack", "bad", "--program", project_copy))
    assert "unknown top-level key 'conifg': did you mean 'config'?" in stderr and "secretsprovider" in stderr
