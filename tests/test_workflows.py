"""The delivery workflows: linted by actionlint and zizmor, every Pulumi step gated by the policy
pack, AWS reached only through OIDC, actions pinned to commit SHAs, least permissions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline import project
from tests.conftest import ROOT, STACKS

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
    result = run("zizmor", "--offline", "--no-progress", "--persona", "auditor", ROOT / ".github" / "workflows")
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
            # The stack's own config when it has one (the CLI refuses a missing file).
            assert with_["policyPackConfigs"] == "${{ steps.policy.outputs.file }}", step
            assert with_["command"] in ("preview", "up")


def _policy_step(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if s.get("id") == "policy"]
    return step


@pytest.mark.parametrize(
    ("workflow", "job", "stack"),
    [("pull-request.yml", "preview", "${{ matrix.stack }}"), ("deploy-stack.yml", "deploy", "${{ inputs.stack }}")],
)
def test_the_policy_config_is_the_stacks_own_or_none(workflow: str, job: str, stack: str, tmp_path: Path) -> None:
    """The step that picks the config, run as the runner runs it: policy/config.<stack>.json when
    it exists, else no file (pulumi/actions then passes no --policy-pack-config)."""
    step = _policy_step(load(ROOT / ".github" / "workflows" / workflow)["jobs"][job])
    assert step["env"] == {"STACK": stack}
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "config.prod.json").write_text("{}")
    for name, expected in (("prod", "file=policy/config.prod.json\n"), ("staging", "")):
        output = tmp_path / f"{name}.out"
        env = {"STACK": name, "GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"}
        subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=True, timeout=30)
        assert (output.read_text() if output.exists() else "") == expected


def _stacks_job(workflow: str) -> tuple[dict[str, Any], list[str]]:
    """The workflow's `stacks` job and the arguments its step passes to .github/stacks.py."""
    job = load(ROOT / ".github" / "workflows" / workflow)["jobs"]["stacks"]
    (step,) = [s for s in job["steps"] if s.get("id") == "list"]
    (line,) = [ln for ln in step["run"].splitlines() if "stacks.py" in ln]
    assert line.startswith("python .github/stacks.py ") and line.endswith(' >> "$GITHUB_OUTPUT"')
    return job, line.removeprefix("python .github/stacks.py ").removesuffix(' >> "$GITHUB_OUTPUT"').split()


def _matrix(args: list[str]) -> list[dict[str, Any]]:
    """What the `stacks` job emits for this repository, as its step runs the lister."""
    result = subprocess.run(
        [sys.executable, str(ROOT / ".github" / "stacks.py"), *args],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    outputs = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert set(outputs) == {"matrix", "count"}
    include = json.loads(outputs["matrix"])["include"]
    assert int(outputs["count"]) == len(include)
    return list(include)


def test_pull_requests_preview_every_stack_file_with_a_comment() -> None:
    doc = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    assert "pull_request" in doc["on"] and "pull_request_target" not in doc["on"]
    runs = [step["run"] for step in doc["jobs"]["checks"]["steps"] if "run" in step]
    assert runs == ["make test", 'make previews SUMMARY="$GITHUB_STEP_SUMMARY"']
    stacks, args = _stacks_job("pull-request.yml")
    assert stacks["outputs"]["matrix"] == "${{ steps.list.outputs.matrix }}"
    preview = doc["jobs"]["preview"]
    assert preview["needs"] == ["checks", "stacks"]
    assert preview["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
    assert [m["stack"] for m in _matrix(args)] == STACKS
    (pulumi,) = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"


def test_deploy_goes_dev_first_then_every_other_stack_file_with_the_commit_sha() -> None:
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["jobs"]["dev"]["with"]["stack"] == "dev"
    stacks, args = _stacks_job("deploy.yml")
    assert stacks["outputs"]["count"] == "${{ steps.list.outputs.count }}"
    promote = deploy["jobs"]["promote"]
    assert promote["needs"] == ["stacks", "dev"]
    assert promote["strategy"] == {"fail-fast": False, "matrix": "${{ fromJSON(needs.stacks.outputs.matrix) }}"}
    assert promote["if"].endswith(" && needs.stacks.outputs.count != '0'")  # dev alone: nothing to promote
    assert promote["with"]["stack"] == "${{ matrix.stack }}"
    assert [m["stack"] for m in _matrix(args)] == [s for s in STACKS if s != "dev"]
    stack = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")
    job = stack["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.stack }}"  # prod's reviewers gate it
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


def _eks(stack: str) -> bool:
    return project.load(ROOT, stack).config["efs-platform:eks.enabled"] == "true"


def test_stacks_with_eks_run_where_their_private_endpoint_is_reachable() -> None:
    # A stack with EKS (prod) has a private API endpoint: its deploy and preview run on
    # self-hosted runners in its VPC (label efs-platform-<stack>); the others on GitHub's.
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert "runs-on" not in deploy["jobs"]["dev"]["with"] and not _eks("dev")
    assert deploy["jobs"]["promote"]["with"]["runs-on"] == "${{ matrix.runs-on }}"
    stack = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")
    assert stack["on"]["workflow_call"]["inputs"]["runs-on"]["default"] == '"ubuntu-latest"'
    assert stack["jobs"]["deploy"]["runs-on"] == "${{ fromJSON(inputs.runs-on) }}"
    preview = load(ROOT / ".github" / "workflows" / "pull-request.yml")["jobs"]["preview"]
    assert preview["runs-on"] == "${{ fromJSON(matrix.runs-on) }}"
    for workflow, group in (("pull-request.yml", PREVIEW_GROUP), ("deploy.yml", DEPLOY_GROUP)):
        for entry in _matrix(_stacks_job(workflow)[1]):
            name = entry["stack"]
            expected = {"group": group, "labels": [f"efs-platform-{name}"]} if _eks(name) else "ubuntu-latest"
            assert _runs_on(entry["runs-on"]) == expected, (workflow, name)
    assert _eks("prod")


# -- delivery security: no path from a pull request to production credentials ------------------

DEPLOY_GROUP = "efs-platform-deploy"
PREVIEW_GROUP = "efs-platform-preview"


def _runs_on(value: str) -> Any:
    """A runs-on value as the workflows pass it to fromJSON: a JSON label or runner group."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def test_previews_and_deploys_run_on_separate_runner_groups() -> None:
    deploys = {m["stack"]: _runs_on(m["runs-on"]) for m in _matrix(_stacks_job("deploy.yml")[1])}
    assert deploys["prod"] == {"group": DEPLOY_GROUP, "labels": ["efs-platform-prod"]}
    assert all(g == "ubuntu-latest" or g["group"] == DEPLOY_GROUP for g in deploys.values())
    pr_text = (ROOT / ".github" / "workflows" / "pull-request.yml").read_text()
    assert DEPLOY_GROUP not in pr_text
    _, args = _stacks_job("pull-request.yml")
    assert args == ["--group", PREVIEW_GROUP]
    groups = [_runs_on(m["runs-on"]) for m in _matrix(args)]
    assert {"group": PREVIEW_GROUP, "labels": ["efs-platform-prod"]} in groups
    assert all(g == "ubuntu-latest" or g["group"] == PREVIEW_GROUP for g in groups)
    readme = (ROOT / "README.md").read_text()
    assert "--ephemeral" in readme and f"{DEPLOY_GROUP}" in readme and "Selected workflows" in readme


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_are_read_only_in_jobs_bound_to_an_environment(path: Path) -> None:
    """Environment secrets reach only jobs that name the environment; no secret is passed
    between workflows (a repository secret would be readable by any same-repository PR)."""
    doc = load(path)
    for name, job in doc["jobs"].items():
        text = yaml.safe_dump(job)
        if "secrets." in text:
            assert "environment" in job, f"{path.name}:{name} reads secrets outside an environment"
        assert "secrets" not in job, f"{path.name}:{name} passes secrets to a called workflow"
    if "workflow_call" in doc["on"]:
        assert "secrets" not in doc["on"]["workflow_call"]


def test_previews_use_their_own_environments_and_read_only_roles() -> None:
    preview = load(ROOT / ".github" / "workflows" / "pull-request.yml")["jobs"]["preview"]
    assert preview["environment"] == "${{ matrix.stack }}-preview"
    (aws,) = [s for s in preview["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    text = (ROOT / ".github" / "workflows" / "pull-request.yml").read_text()
    assert "AWS_DEPLOY_ROLE_ARN" not in text and "command: up" not in text


def test_deploys_run_only_from_main() -> None:
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")
    for name, job in deploy["jobs"].items():
        main_only = "github.ref == 'refs/heads/main'"
        assert job["if"] == main_only or job["if"].startswith(f"{main_only} && "), name
        assert "||" not in job["if"], name
    stack = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")
    assert stack["jobs"]["deploy"]["if"] == "github.ref == 'refs/heads/main'"


def test_other_stacks_run_the_image_dev_built_by_digest_and_never_rebuild() -> None:
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")
    # Every stack after dev (prod among them) gets dev's image by digest.
    assert deploy["jobs"]["promote"]["with"]["promote-from"] == "${{ needs.dev.outputs.image }}"
    assert "promote-from" not in deploy["jobs"]["dev"]["with"]
    assert {name for name, job in deploy["jobs"].items() if "uses" in job} == {"dev", "promote"}
    job = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")["jobs"]["deploy"]
    build = next(s for s in job["steps"] if "docker build" in s.get("run", ""))
    assert build["if"] == "inputs.promote-from == ''"
    promote = next(s for s in job["steps"] if "imagetools create" in s.get("run", ""))
    assert promote["if"] == "inputs.promote-from != ''"
    # A single-platform image copied without --prefer-index=false is wrapped in a new index: a new digest.
    assert "imagetools create --prefer-index=false" in promote["run"]
    (up,) = [s for s in job["steps"] if s.get("name") == "pulumi up with the policy pack"]
    assert "efs-platform:image" in up["with"]["config-map"] and "steps.digest.outputs.image" in up["with"]["config-map"]
    assert job["outputs"]["image"] == "${{ steps.digest.outputs.image }}"


def test_the_base_image_is_pinned_by_digest() -> None:
    import dockerfile  # noqa: PLC0415

    froms = [c for c in dockerfile.parse_file(str(ROOT / "app" / "Dockerfile")) if c.cmd.upper() == "FROM"]
    assert froms and all(re.search(r"@sha256:[0-9a-f]{64}$", c.value[0]) for c in froms)


def test_readme_trust_policies_bind_workflow_environment_and_ref() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "include_claim_keys[]=job_workflow_ref" in readme
    subjects = re.findall(r'"token\.actions\.githubusercontent\.com:sub": "([^"]+)"', readme)
    assert subjects == [
        "repo:ORG/REPO:environment:prod:job_workflow_ref:ORG/REPO/.github/workflows/deploy-stack.yml@refs/heads/main",
        "repo:ORG/REPO:environment:prod-preview:job_workflow_ref:"
        "ORG/REPO/.github/workflows/pull-request.yml@refs/pull/*/merge",
    ]


def test_zizmor_auditor_findings_are_never_suppressed_without_a_reason() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--persona auditor" in makefile
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "zizmor: ignore" in line:
                assert re.search(r"zizmor: ignore\[[\w-]+\]\s*[-—:]\s*\S.{10,}", line), f"{path.name}: {line.strip()}"


def test_a_rolled_back_deployment_fails_the_deploy() -> None:
    """pulumi up succeeds when the ECS circuit breaker rolls a deployment back; the job then
    checks each service's PRIMARY deployment against the task definitions the update deployed."""
    job = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")["jobs"]["deploy"]
    names = [s.get("id") or s.get("name") for s in job["steps"]]
    check = job["steps"][-1]
    assert names.index("up") == len(names) - 2
    assert check["env"]["DEPLOYMENTS"] == "${{ steps.up.outputs.ecsDeployments }}"
    assert check["env"]["CLUSTER"] == "${{ steps.up.outputs.clusterName }}"
    assert "PRIMARY" in check["run"] and "COMPLETED" in check["run"] and 'exit "$status"' in check["run"]


@pytest.mark.parametrize(
    ("deployed", "fails"),
    [({"web": "td/web:2", "worker": "td/worker:1"}, False), ({"web": "td/web:2", "worker": "td/worker:2"}, True)],
    ids=["running-what-was-deployed", "worker-rolled-back"],
)
def test_the_rollback_check_fails_when_a_service_runs_another_task_definition(
    tmp_path: Path, deployed: dict[str, str], fails: bool
) -> None:
    """The step's own script, run with an `aws` that answers as ECS does after the worker's
    deployment was rolled back to revision 1 (web runs revision 2)."""
    import os  # noqa: PLC0415

    job = load(ROOT / ".github" / "workflows" / "deploy-stack.yml")["jobs"]["deploy"]
    script = job["steps"][-1]["run"]
    aws = tmp_path / "aws"
    aws.write_text(
        '#!/bin/sh\ncase "$*" in *"--services web "*) printf "td/web:2\\tCOMPLETED\\n";; '
        '*) printf "td/worker:1\\tCOMPLETED\\n";; esac\n'
    )
    aws.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "CLUSTER": "c"}
    env["DEPLOYMENTS"] = json.dumps(deployed)
    result = subprocess.run(
        ["bash", "-e", "-c", script], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode != 0) is fails, result.stdout + result.stderr
    assert ("::error::worker runs td/worker:1" in result.stdout) is fails
