"""``python -m offline preview`` as a user runs it: exit codes, report, JSON, errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from offline import project
from tests.conftest import FIXTURES, ROOT, STACKS, StackPreviews, preview_cli, preview_process, read_json

# Left out by `make check` (the CLI in subprocesses); `make test` runs them.
pytestmark = pytest.mark.slow

LEGACY = FIXTURES / "legacy_vpc"
PRIVATE_IP = "efs-platform-ec2-private-subnet-no-public-ip"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of this project, to add stack files to."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "settings.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "components", tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _accepted(stack: str) -> set[tuple[str, str]]:
    """The advisories a shipped stack accepts knowingly, from its own config: plain HTTP until a
    team sets certificateArn; no WAF in front of the ALB when albWaf is off (dev, to save its
    monthly cost); a private EKS API no deployer is admitted to until a team names its runners'
    network (eks.apiAccessCidrs / eks.apiAccessSecurityGroupIds)."""
    config = project.load(ROOT, stack).config
    on = {k.removeprefix("efs-platform:"): v for k, v in config.items() if k.startswith("efs-platform:")}
    accepted = set()
    if not on["certificateArn"]:
        accepted.add(("efs-platform-lb-https", "advisory"))
    if on["albWaf"] != "true":
        accepted.add(("efs-platform-lb-waf", "advisory"))
    admitted = json.loads(on["eks.apiAccessCidrs"]) or json.loads(on["eks.apiAccessSecurityGroupIds"])
    public = json.loads(on["eks.publicAccessCidrs"])
    if on["eks.enabled"] == "true" and on["eks.kubernetesObjects"] == "true" and not (admitted or public):
        accepted.add(("efs-platform-eks-api-reachable", "advisory"))
    return accepted


STACK_PREVIEWS = pytest.mark.xdist_group("stack-previews")


@STACK_PREVIEWS
@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_pass_with_only_the_advisories_they_accept(stack: str, stack_preview: StackPreviews) -> None:
    preview = stack_preview(stack)
    accepted = _accepted(stack)
    config = f"policy/config.{stack}.json" if (ROOT / "policy" / f"config.{stack}.json").exists() else None
    assert (
        f"Policies: efs-platform@v0.1.0: passed (0 mandatory, {len(accepted)} advisory) "
        f"with {config or 'the pack' + chr(39) + 's defaults'}"
    ) in preview.result.stdout
    for component in ("Network", "ContainerRegistry", "SharedFileSystem", "FargateCluster", "WebIngress"):
        assert f"─ efs-platform:index:{component}" in preview.result.stdout
    doc = preview.document
    assert {(v["policy"], v["level"]) for v in doc["policyViolations"]} == accepted
    assert doc["project"] == "efs-platform" and doc["stack"] == stack
    zones = int(project.load(ROOT, stack).config["efs-platform:azCount"])
    assert len(doc["outputs"]["privateSubnetIds"]) == zones
    assert len(doc["outputs"]["availabilityZones"]) == zones
    # One cluster and one ALB per stack, whatever the number of services.
    stack_config = project.load(ROOT, stack).config
    services = (
        set(json.loads(stack_config["efs-platform:services"])) if "efs-platform:services" in stack_config else {"web"}
    )
    assert set(doc["outputs"]["serviceNames"]) == services
    for token in ("aws:ecs/cluster:Cluster", "aws:lb/loadBalancer:LoadBalancer"):
        assert len([r for r in doc["resources"] if r["type"] == token]) == 1, token
    assert len([r for r in doc["resources"] if r["type"] == "aws:ecs/service:Service"]) == len(services)


@STACK_PREVIEWS
@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_pass_as_new_stacks(stack: str, stack_preview: StackPreviews) -> None:
    doc = stack_preview(stack, unknowns=True).document
    assert not [v for v in doc["policyViolations"] if v["level"] == "mandatory"]
    assert doc["outputs"]["vpcId"] == "[unknown]"


@STACK_PREVIEWS
def test_json_has_the_full_graph(stack_preview: StackPreviews) -> None:
    doc = stack_preview("dev").document
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


@STACK_PREVIEWS
def test_unknowns_leaves_computed_outputs_unknown_and_reaches_the_same_verdict(stack_preview: StackPreviews) -> None:
    preview = stack_preview("prod", unknowns=True)
    assert "preview of a new stack (unknowns)" in preview.result.stdout
    doc = preview.document
    vpc = next(r for r in doc["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["outputs"]["id"] == "[unknown]" and vpc["outputs"]["arn"] == "[unknown]"
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/16"
    assert doc["outputs"]["vpcId"] == "[unknown]"
    assert doc["outputs"]["availabilityZones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


@pytest.mark.parametrize("mode", [[], ["--unknowns"]], ids=["known", "unknowns"])
def test_foreign_program_with_a_violation_exits_1_naming_the_resource(mode: list[str], tmp_path: Path) -> None:
    out = tmp_path / "preview.json"
    result = preview_process("--stack", "test", "--program", LEGACY, "--json", out, *mode)
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


@STACK_PREVIEWS
def test_out_dir_gets_the_report(stack_preview: StackPreviews) -> None:
    assert read_json(stack_preview("dev").out / "preview.json")["stack"] == "dev"


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
    stderr = _error(preview_cli("--stack", "no-such-stack"))
    assert "Pulumi.no-such-stack.yaml" in stderr and ", ".join(STACKS) in stderr


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
    stderr = _error(preview_process("--stack", "crash", "--program", LEGACY))
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
    result = preview_process("--stak", "dev")
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


# -- adding a stack is adding its file -------------------------------------------------------------


@pytest.fixture
def project_with_tooling(project_copy: Path) -> Path:
    """The project copy with its policy pack, Makefile and the workflows' stack lister."""
    shutil.copytree(ROOT / "policy", project_copy / "policy", ignore=shutil.ignore_patterns("__pycache__", "venv"))
    shutil.copy(ROOT / "Makefile", project_copy / "Makefile")
    (project_copy / ".github").mkdir()
    shutil.copy(ROOT / ".github" / "stacks.py", project_copy / ".github" / "stacks.py")
    return project_copy


def _make_dry_run(root: Path, *args: str) -> str:
    """What ``make ARGS`` would run in ``root`` (outside any make that runs these tests)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    make = ["make", "--no-print-directory", "-n", "-o", "venv/.installed", *args]
    return subprocess.run(make, cwd=root, env=env, capture_output=True, text=True, check=True, timeout=60).stdout


def _matrix(root: Path, *args: str) -> list[dict[str, Any]]:
    """The matrix the workflows' `stacks` job emits for ``root``."""
    result = subprocess.run(
        [sys.executable, str(root / ".github" / "stacks.py"), "--root", str(root), *args],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    outputs = dict(line.split("=", 1) for line in result.stdout.splitlines())
    return list(json.loads(outputs["matrix"])["include"])


def test_a_new_stack_file_previews_with_the_default_policy_config_and_joins_the_workflows(
    project_with_tooling: Path, tmp_path: Path
) -> None:
    """Pulumi.staging.yaml copied from dev with other choices: it previews offline without a
    policy/config.staging.json (the pack's defaults), `make previews` includes it, and the
    workflows' preview and promote matrices list it."""
    root = project_with_tooling
    staging = (root / "Pulumi.dev.yaml").read_text()
    staging = staging.replace("efs-platform:azCount: 2", "efs-platform:azCount: 3")
    staging = staging.replace("efs-platform:natStrategy: none", "efs-platform:natStrategy: single")
    staging = staging.replace("efs-platform:albWaf: false", "efs-platform:albWaf: true")
    (root / "Pulumi.staging.yaml").write_text(staging)
    assert not (root / "policy" / "config.staging.json").exists()

    out = tmp_path / "staging.json"
    result = preview_cli("--stack", "staging", "--program", root, "--policy-pack", root / "policy", "--json", out)
    assert result.returncode == 0, result.stderr
    assert "passed (0 mandatory, 1 advisory) with the pack's defaults" in result.stdout
    doc = read_json(out)
    assert len(doc["outputs"]["privateSubnetIds"]) == 3
    assert [v["policy"] for v in doc["policyViolations"]] == ["efs-platform-lb-https"]

    previews = _make_dry_run(root, "previews")
    assert "for s in dev staging;" in previews and "--policy-config" not in previews
    assert _make_dry_run(root, "preview", "STACK=staging").split() == [
        "venv/bin/python", "-m", "offline", "preview", "--stack", "staging",
    ]  # fmt: skip

    previews = {e["stack"]: json.loads(e["runs-on"]) for e in _matrix(root, "--group", "efs-platform-preview")}
    assert previews == {"dev": "ubuntu-latest", "staging": "ubuntu-latest"}
    (root / "Pulumi.staging.yaml").write_text(staging + "  efs-platform:eks.enabled: true\n")
    promoted = {e["stack"]: json.loads(e["runs-on"]) for e in _matrix(root, "--group", "g", "--exclude", "dev")}
    assert promoted == {"staging": {"group": "g", "labels": ["efs-platform-staging"]}}


def test_the_stack_lister_refuses_a_file_name_that_is_not_a_stack_name(project_with_tooling: Path) -> None:
    (project_with_tooling / "Pulumi.$(id).yaml").write_text("config: {}\n")
    with pytest.raises(subprocess.CalledProcessError) as raised:
        _matrix(project_with_tooling, "--group", "g")
    assert "is not a stack name" in raised.value.stderr


def test_the_default_policy_config_is_the_stacks_own(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({PRIVATE_IP: "advisory"}))
    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "policy", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    assert preview_cli("--stack", "test", "--program", LEGACY, "--policy-pack", pack).returncode == 1
    shutil.copy(config, pack / "config.test.json")
    result = preview_cli("--stack", "test", "--program", LEGACY, "--policy-pack", pack, "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"passed (0 mandatory, 1 advisory) with {pack / 'config.test.json'}" in result.stdout


# -- readable output ------------------------------------------------------------------------------


def test_quiet_prints_the_verdict_and_counts_in_a_few_lines() -> None:
    result = preview_cli("--stack", "test", "--program", LEGACY, "--quiet")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "offline preview: project legacy-vpc, stack test",
        "Resources: 11 to create",
        "Policies: efs-platform@v0.1.0: FAILED (1 mandatory, 0 advisory) with the pack's defaults",
        f"    [mandatory] {PRIVATE_IP}  (aws:ec2:Subnet app)",
        "        Private subnets (no route to an internet gateway) must not map public IPs on launch "
        "(map_public_ip_on_launch=False). Security Hub EC2.15; checkov CKV_AWS_130.",
        "        aws:ec2:Subnet 'app' has no route to an internet gateway (a private subnet) but sets "
        "mapPublicIpOnLaunch; set map_public_ip_on_launch=False.",
    ]


@STACK_PREVIEWS
def test_types_are_spelled_as_the_pulumi_cli_shows_them_and_in_full_in_the_json(stack_preview: StackPreviews) -> None:
    preview = stack_preview("dev")
    assert "aws:ec2/securityGroup:SecurityGroup" not in preview.result.stdout + preview.summary
    assert re.search(r"─ aws:ec2:SecurityGroup +platform-endpoints", preview.result.stdout)  # the tree
    assert re.search(r"^ +4  aws:ec2:SecurityGroup$", preview.result.stdout, re.MULTILINE)  # the counts
    assert "(aws:lb:Listener web-http)" in preview.result.stdout  # a violation's resource
    assert "aws:ec2/securityGroup:SecurityGroup" in {r["type"] for r in preview.document["resources"]}


@STACK_PREVIEWS
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_readme_states_the_resource_counts_a_preview_shows(stack: str, stack_preview: StackPreviews) -> None:
    readme = (ROOT / "README.md").read_text()
    stated = re.search(r"dev\s+previews\s+(\d+)\s+resources\s+and\s+prod\s+(\d+)", readme)  # Markdown wraps lines
    assert stated, "README: 'dev previews N resources and prod M'"
    count = {"dev": stated.group(1), "prod": stated.group(2)}[stack]
    assert f"\nResources: {count} to create\n" in stack_preview(stack).result.stdout
    # As `pulumi preview` counts: every resource, the stack and components included.
    assert int(count) == len(stack_preview(stack).document["resources"])


@STACK_PREVIEWS
def test_the_summary_is_markdown_a_reviewer_reads(stack_preview: StackPreviews) -> None:
    summary = stack_preview("dev").summary
    assert summary.startswith("### Offline preview: efs-platform / dev\n")
    assert "**Policies: efs-platform@v0.1.0: passed (0 mandatory, 2 advisory) with policy/config.dev.json**" in summary
    assert "| advisory | `efs-platform-lb-https` | `aws:lb:Listener web-http` | Load balancer listeners" in summary
    created = len(stack_preview("dev").document["resources"])
    assert f"<details><summary>Resources: {created} to create</summary>" in summary
    assert "| `aws:ec2:SecurityGroup` | 4 |" in summary
    assert "### Offline preview: efs-platform / prod (new stack: unknowns)" in stack_preview("prod", True).summary


def test_the_summary_lists_each_violation_and_appends(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    for mode in ([], ["--unknowns"]):
        preview_cli("--stack", "test", "--program", LEGACY, "--quiet", "--summary", summary, *mode)
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert text.count("### Offline preview: legacy-vpc / test") == 2
    assert "**Policies: efs-platform@v0.1.0: FAILED (1 mandatory, 0 advisory) with the pack's defaults**" in text
    row = f"| mandatory | `{PRIVATE_IP}` | `aws:ec2:Subnet app` | Private subnets"
    assert text.count(row) == 2


def test_make_preview_runs_the_command_as_a_process() -> None:
    """``make preview`` (the README's first command) runs ``python -m offline preview`` in a
    process of its own: its output and exit status reach the shell (the other tests call the
    same entry point in-process)."""
    result = preview_process("--stack", "dev", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "offline preview: project efs-platform, stack dev"
    assert "Policies: efs-platform@v0.1.0: passed (0 mandatory" in result.stdout
    assert result.stderr == ""
