"""The delivery workflows: linted by actionlint and zizmor, every Pulumi step gated by the policy
pack, AWS reached only through OIDC, actions pinned to commit SHAs, least permissions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True; keep the document's own key.
    text = path.read_text()
    doc = yaml.safe_load(text)
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def run(tool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / tool), *map(str, args)], check=False, capture_output=True, text=True, timeout=120)


def test_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} == {"pull-request.yml", "deploy.yml", "deploy-stack.yml"}


def test_actionlint_passes_and_can_fail(tmp_path: Path) -> None:
    result = run("actionlint", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n"
    )
    assert run("actionlint", bad).returncode != 0


def test_zizmor_passes_and_can_fail(tmp_path: Path) -> None:
    result = run("zizmor", "--offline", "--no-progress", ROOT / ".github" / "workflows")
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / ".github" / "workflows"
    bad.mkdir(parents=True)
    (bad / "bad.yml").write_text(
        "on: push\npermissions: write-all\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.head_commit.message }}\n"
    )
    assert run("zizmor", "--offline", "--no-progress", bad).returncode != 0


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_pulumi_step_runs_the_policy_pack_with_its_stack_config(path: Path) -> None:
    for step in steps(load(path)):
        if step.get("uses", "").startswith("pulumi/actions@"):
            with_ = step["with"]
            assert with_["policyPacks"] == "policy", step
            assert with_["policyPackConfigs"] in (
                "policy/config.${{ matrix.stack }}.json",
                "policy/config.${{ inputs.stack }}.json",
            ), step
            assert with_["command"] in ("preview", "up")


def test_pull_requests_preview_every_stack_with_a_comment() -> None:
    doc = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    assert "pull_request" in doc["on"] and "pull_request_target" not in doc["on"]
    assert doc["jobs"]["checks"]["steps"][-1]["run"] == "make test"
    preview = doc["jobs"]["preview"]
    assert preview["needs"] == "checks"
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    (pulumi,) = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["comment-on-pr"] is True


def test_deploy_goes_dev_then_prod_with_the_commit_sha() -> None:
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["jobs"]["prod"]["needs"] == "dev"
    assert [deploy["jobs"][j]["with"]["stack"] for j in ("dev", "prod")] == ["dev", "prod"]
    stack = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")
    job = stack["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.stack }}"  # prod's reviewers gate it
    (up,) = [s for s in job["steps"] if s.get("name") == "pulumi up with the policy pack"]
    assert "efs-platform:imageTag" in up["with"]["config-map"] and "steps.tag.outputs.tag" in up["with"]["config-map"]
    build = next(s for s in job["steps"] if s.get("name", "").startswith("Build and push"))
    assert "docker push" in build["run"] and build["env"]["TAG"] == "${{ steps.tag.outputs.tag }}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_long_lived_aws_keys(path: Path) -> None:
    text = path.read_text()
    for forbidden in (
        "aws-access-key-id",
        "aws-secret-access-key",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        assert forbidden not in text, forbidden
    doc = load(path)
    for step in steps(doc):
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
            assert step["with"]["role-to-assume"].startswith("${{ vars."), step
            assert set(step["with"]) <= {"role-to-assume", "role-session-name", "aws-region"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_permissions_and_pinned_actions(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {}
    for name, job in doc["jobs"].items():
        permissions = job.get("permissions", {})
        assert set(permissions.values()) <= {"read", "write"}
        assigns_aws = any(
            s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in job.get("steps", [])
        )
        calls_deploy = job.get("uses", "").endswith("deploy-stack.yml")
        assert (permissions.get("id-token") == "write") == (assigns_aws or calls_deploy), name
        if "uses" in job:
            assert job["uses"].startswith("$/.github/workflows/")
    for step in steps(doc):
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), step["uses"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_prod_runs_where_its_private_eks_endpoint_is_reachable() -> None:
    # prod's EKS API endpoint is private: its deploy and preview run on the runner the
    # PROD_RUNNER variable names (one inside the VPC), GitHub-hosted otherwise.
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert deploy["jobs"]["prod"]["with"]["runner"] == "${{ vars.PROD_RUNNER || 'ubuntu-latest' }}"
    assert "runner" not in deploy["jobs"]["dev"]["with"]
    stack = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")
    assert stack["on"]["workflow_call"]["inputs"]["runner"]["default"] == "ubuntu-latest"
    assert stack["jobs"]["deploy"]["runs-on"] == "${{ inputs.runner }}"
    preview = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    assert preview["jobs"]["preview"]["runs-on"] == (
        "${{ matrix.stack == 'prod' && vars.PROD_RUNNER || 'ubuntu-latest' }}"
    )
