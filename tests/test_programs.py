"""Typical public-style Pulumi programs (API Gateway, Lambda, S3, Step Functions, RDS, EC2, ECS on EC2,
EFS, Kubernetes, stack references, awsx) run through ``python -m offline preview`` in its three modes.

This is the spec of what a correct offline engine does with programs it was not written for: every
program previews in every mode (no crash, no unanswered invoke, no hang), prints its resources, exports
no null where the program exported a computed value (a real preview shows a value or "unknown", never
None), and the identifiers it makes up have the format AWS gives them.

Each program is previewed once per mode in a module-scoped fixture (42 runs), in-process through
the CLI's own entry point (``offline.cli.main``: the arguments, the run, the report, the JSON and
the exit status a subprocess would give, without paying the imports 42 times); each run has a
deadline, so a hang fails its program instead of the suite. The process boundary itself (a
subprocess, its output and exit status) is tested in test_offline_cli and below.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from offline import cli
from tests.conftest import FIXTURES, preview_cli, read_json

# Left out by `make check` (the corpus of foreign programs, whole); `make test` runs them, in one
# worker, since they share one module fixture of 42 previews.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("programs")]

PROGRAMS_DIR = FIXTURES / "programs"
ACCOUNT = r"\d{12}"
REGION = "us-west-2"
UNKNOWN = "[unknown]"

# What each program exports: every key must be in the report, and none of them may be null.
EXPORTS: dict[str, set[str]] = {
    "apigw_lambda": {"url", "function_name", "function_arn", "api_execution_arn", "dry_run"},
    "rest_api": {"invoke_url", "items_url", "execution_arn", "rest_api_host", "function_arn"},
    "s3_site": {"bucket_name", "bucket_arn", "bucket_name_upper", "website_url"},
    "step_functions": {"state_machine_arn", "hello_arn", "world_arn", "hello_name"},
    "rds": {"endpoint", "address", "connection_url", "db_instance_id"},
    "ec2_ami": {"ami_id", "public_ip", "public_dns", "fqdn", "url"},
    "k8s_guestbook": {"redis_leader_service", "frontend_deployment", "frontend_address"},
    "k8s_nginx_namespace": {"namespace", "deployment", "config_map", "service"},
    "stack_reference": {"vpc_id", "service_prefix", "first_subnet", "service_name"},
    "awsx_vpc": {"vpc_id", "private_subnet_ids", "public_subnet_ids", "web_sg_id"},
    "awsx_fargate": {"url", "dns_name", "repository_url", "image_uri"},
    "ecs_ec2": {"listener_arn", "alb_arn", "alb_url", "cluster_name"},
    "efs_ec2": {"file_system_id", "file_system_dns", "mount_target_ips", "worker_private_ip", "mount_command"},
    "resource_as_input": {
        "function_name",
        "function_arn",
        "role_name",
        "attached_role",
        "instance_profile_arn",
        "queue_url",
        "file_system_id",
    },
    "events_queues": {
        "queue_name",
        "topic_name",
        "topic_arn",
        "rule_arn",
        "alarm_arn",
        "cache_arn",
        "cache_subnet_group_arn",
        "user_pool_arn",
        "user_pool_id",
        "certificate_arn",
        "node_group_arn",
        "node_group_id",
    },
    "awsx_vpc_custom": {"vpc_id", "isolated_subnet_ids", "private_subnet_ids"},
    "reads": {"role_id", "role_arn", "role_name", "bucket_id", "bucket_arn", "vpc_id", "namespace", "app_sg_vpc"},
}
MODES: dict[str, tuple[str, ...]] = {"default": (), "unknowns": ("--unknowns",), "no-policy": ("--no-policy",)}


@dataclass
class Preview:
    program: str
    mode: str
    returncode: int | None  # None: the preview did not finish (hung until preview_cli's timeout)
    stdout: str
    stderr: str
    document: dict[str, Any] | None

    def failure(self) -> str:
        """What went wrong, in one line: the error the CLI printed, or the hang."""
        if self.returncode is None:
            return f"{self.program} [{self.mode}]: the preview hung (no exit before the timeout)"
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return f"{self.program} [{self.mode}]: exit {self.returncode}: {lines[-1] if lines else '(no stderr)'}"

    def resources(self, token: str) -> list[dict[str, Any]]:
        assert self.document is not None, self.failure()
        return [r for r in self.document["resources"] if r["type"] == token]

    def only(self, token: str) -> dict[str, Any]:
        matches = self.resources(token)
        assert len(matches) == 1, f"expected one {token}, got {[r['name'] for r in matches]}"
        return matches[0]

    def outputs(self) -> dict[str, Any]:
        assert self.document is not None, self.failure()
        return self.document["outputs"]


DEADLINE = 120.0  # seconds; the slowest program previews in under one


def _preview(program: str, mode: str, out_dir: Path) -> Preview:
    """``python -m offline preview --stack test --program PROGRAM --json ... --quiet [MODE]``."""
    out = out_dir / f"{program}.{mode}.json"
    argv = ["preview", "--stack", "test", "--program", str(PROGRAMS_DIR / program), "--json", str(out), "--quiet"]
    stdout, stderr = io.StringIO(), io.StringIO()
    status: list[int] = []

    def main() -> None:
        status.append(cli.main([*argv, *MODES[mode]]))

    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        runner = threading.Thread(target=main, daemon=True, name=f"preview-{program}-{mode}")
        runner.start()
        runner.join(DEADLINE)
    if runner.is_alive() or not status:
        return Preview(program, mode, None, stdout.getvalue(), stderr.getvalue(), None)
    document = read_json(out) if out.exists() else None
    return Preview(program, mode, status[0], stdout.getvalue(), stderr.getvalue(), document)


@pytest.fixture(scope="module")
def previews(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Preview]:
    out_dir = tmp_path_factory.mktemp("programs")
    done: dict[tuple[str, str], Preview] = {}
    hung = ""
    for program in EXPORTS:
        for mode in MODES:
            if hung:
                # The hung run still holds the engine: a run after it would mean nothing.
                done[(program, mode)] = Preview(program, mode, None, "", f"not run after {hung} hung", None)
                continue
            done[(program, mode)] = _preview(program, mode, out_dir)
            if done[(program, mode)].returncode is None:
                hung = f"{program} [{mode}]"
    return done


def _cases(programs: list[str] | dict[str, Any], modes: list[str] | dict[str, Any]) -> list[Any]:
    return [pytest.param(p, m, id=f"{p}-{m}") for p in programs for m in modes]


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


# -- every program, every mode --------------------------------------------------------------------


@pytest.mark.parametrize(("program", "mode"), _cases(EXPORTS, MODES))
def test_program_previews(previews: dict[tuple[str, str], Preview], program: str, mode: str) -> None:
    """No crash, no unanswered invoke, no policy crash, no hang: exit 0 or 1, never 2."""
    p = previews[(program, mode)]
    assert p.returncode is not None, p.failure()
    assert p.returncode != 2, p.failure()
    assert "Traceback" not in p.stderr, p.failure()  # an uncaught exception also exits 1
    assert "Resources:" in p.stdout, p.failure()
    if p.returncode == 1:
        assert re.search(r"^Policies: .*: FAILED \([1-9]\d* mandatory", p.stdout, re.M), p.failure()
    if mode == "no-policy":
        assert p.returncode == 0, p.failure()


@pytest.mark.parametrize(("program", "mode"), _cases(EXPORTS, MODES))
def test_exports_are_never_null(previews: dict[tuple[str, str], Preview], program: str, mode: str) -> None:
    """A preview shows a computed output as a value or as unknown, never as null (nor a string
    formatted from None, such as "postgresql://user@None:None/db")."""
    p = previews[(program, mode)]
    assert p.document is not None, p.failure()
    outputs = p.outputs()
    assert set(outputs) == EXPORTS[program], f"missing exports: {sorted(EXPORTS[program] - set(outputs))}"
    nulls = [path for path, value in _leaves(outputs, "outputs") if value is None]
    assert not nulls, f"null exports: {nulls}"
    formatted_none = [
        f"{path} = {value!r}"
        for path, value in _leaves(outputs, "outputs")
        if isinstance(value, str) and re.search(r"\bNone\b", value)
    ]
    assert not formatted_none, f"exports formatted from None: {formatted_none}"


@pytest.mark.parametrize("mode", list(MODES))
def test_is_dry_run_in_every_mode(previews: dict[tuple[str, str], Preview], mode: str) -> None:
    """`pulumi preview` is always a dry run, whatever the stack's state."""
    p = previews[("apigw_lambda", mode)]
    assert p.document is not None, p.failure()
    assert p.outputs()["dry_run"] is True


# -- identifiers in AWS's formats (default mode: outputs known) -----------------------------------

S3_BUCKET_ARN = re.compile(r"^arn:aws:s3:::[a-z0-9.-]+$")
LAMBDA_ARN = re.compile(rf"^arn:aws:lambda:{REGION}:{ACCOUNT}:function:[A-Za-z0-9_-]+$")
ALB_ARN = re.compile(rf"^arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/(app/[^/]+/[0-9a-f]+)$")
LISTENER_ARN = re.compile(
    rf"^arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/(app/[^/]+/[0-9a-f]+)/[0-9a-f]+$"
)


def test_s3_bucket_arn_has_no_region_and_no_bucket_prefix(previews: dict[tuple[str, str], Preview]) -> None:
    p = previews[("s3_site", "default")]
    bucket = p.only("aws:s3/bucket:Bucket")
    arn = bucket["outputs"]["arn"]
    assert isinstance(arn, str) and S3_BUCKET_ARN.match(arn), f"S3 bucket ARN {arn!r}"
    assert p.outputs()["bucket_arn"] == arn


@pytest.mark.parametrize("mode", ["default", "unknowns"])
def test_s3_bucket_auto_name_is_known(previews: dict[tuple[str, str], Preview], mode: str) -> None:
    """The provider auto-names the bucket at check time (<name>-<7 hex>), so even a preview of a new
    stack knows `bucket`; with known outputs the ARN is arn:aws:s3:::<bucket>."""
    p = previews[("s3_site", mode)]
    bucket = p.only("aws:s3/bucket:Bucket")
    name = bucket["outputs"].get("bucket")
    assert isinstance(name, str) and re.fullmatch(r"site-bucket-[0-9a-f]{7}", name), f"bucket name {name!r}"
    assert p.outputs()["bucket_name"] == name
    assert p.outputs()["bucket_name_upper"] == name.upper()
    if mode == "default":
        assert bucket["outputs"]["arn"] == f"arn:aws:s3:::{name}"


@pytest.mark.parametrize("program", ["apigw_lambda", "rest_api", "step_functions", "resource_as_input"])
def test_lambda_function_arn_names_the_function(previews: dict[tuple[str, str], Preview], program: str) -> None:
    p = previews[(program, "default")]
    functions = p.resources("aws:lambda/function:Function")
    assert functions
    for fn in functions:
        arn, name = fn["outputs"]["arn"], fn["outputs"]["name"]
        assert isinstance(arn, str) and LAMBDA_ARN.match(arn), f"{fn['name']}: Lambda ARN {arn!r}"
        assert arn.endswith(f":function:{name}"), f"{fn['name']}: ARN {arn!r} does not end with its name {name!r}"


def test_listener_arn_carries_its_load_balancer(previews: dict[tuple[str, str], Preview]) -> None:
    p = previews[("ecs_ec2", "default")]
    alb_arn = p.only("aws:lb/loadBalancer:LoadBalancer")["outputs"]["arn"]
    listener_arn = p.only("aws:lb/listener:Listener")["outputs"]["arn"]
    alb = ALB_ARN.match(alb_arn)
    listener = LISTENER_ARN.match(listener_arn)
    assert alb, f"load balancer ARN {alb_arn!r}"
    assert listener, f"listener ARN {listener_arn!r}"
    assert listener.group(1) == alb.group(1), f"listener {listener_arn!r} is not on load balancer {alb_arn!r}"
    assert p.outputs()["listener_arn"] == listener_arn
    assert p.only("aws:lb/listenerRule:ListenerRule")["inputs"]["listenerArn"] == listener_arn


def test_rds_instance_id_is_not_an_ec2_instance_id(previews: dict[tuple[str, str], Preview]) -> None:
    p = previews[("rds", "default")]
    db_id = p.only("aws:rds/instance:Instance")["outputs"]["id"]
    assert isinstance(db_id, str) and not db_id.startswith("i-"), f"RDS instance id {db_id!r}"
    assert p.outputs()["db_instance_id"] == db_id


OTHER_FORMATS = [
    # (program, export, pattern): checked when the export is known.
    ("step_functions", "state_machine_arn", rf"^arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:[A-Za-z0-9_-]+$"),
    ("apigw_lambda", "api_execution_arn", rf"^arn:aws:execute-api:{REGION}:{ACCOUNT}:[a-z0-9]+$"),
    ("apigw_lambda", "url", rf"^https://[a-z0-9]+\.execute-api\.{REGION}\.amazonaws\.com/hello$"),
    # FIFO queues and topics: AWS requires the name to end in .fifo, the provider's auto-name adds it.
    ("events_queues", "queue_name", r"^orders-[0-9a-f]{7}\.fifo$"),
    ("events_queues", "topic_name", r"^order-events-[0-9a-f]{7}\.fifo$"),
    ("events_queues", "topic_arn", rf"^arn:aws:sns:{REGION}:{ACCOUNT}:order-events-[0-9a-f]{{7}}\.fifo$"),
    ("events_queues", "rule_arn", rf"^arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly-[0-9a-f]{{7}}$"),
    ("events_queues", "alarm_arn", rf"^arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:backlog-[0-9a-f]{{7}}$"),
    ("events_queues", "cache_arn", rf"^arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:[a-z0-9-]+$"),
    (
        "events_queues",
        "cache_subnet_group_arn",
        rf"^arn:aws:elasticache:{REGION}:{ACCOUNT}:subnetgroup:cache-[0-9a-f]{{7}}$",
    ),
    ("events_queues", "user_pool_id", rf"^{REGION}_[A-Za-z0-9]{{9}}$"),
    ("events_queues", "user_pool_arn", rf"^arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_[A-Za-z0-9]{{9}}$"),
    ("events_queues", "certificate_arn", rf"^arn:aws:acm:{REGION}:{ACCOUNT}:certificate/[0-9a-f-]{{36}}$"),
    ("events_queues", "node_group_arn", rf"^arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/orders/workers/[0-9a-f-]{{36}}$"),
    ("events_queues", "node_group_id", r"^orders:workers$"),
    ("rest_api", "execution_arn", rf"^arn:aws:execute-api:{REGION}:{ACCOUNT}:[a-z0-9]+$"),
    ("rest_api", "invoke_url", rf"^https://[a-z0-9]+\.execute-api\.{REGION}\.amazonaws\.com/v1$"),
    ("resource_as_input", "instance_profile_arn", rf"^arn:aws:iam::{ACCOUNT}:instance-profile/worker-[0-9a-f]{{7}}$"),
    ("resource_as_input", "queue_url", rf"^https://sqs\.{REGION}\.amazonaws\.com/{ACCOUNT}/jobs-[0-9a-f]{{7}}$"),
]


@pytest.mark.parametrize(("program", "export", "pattern"), OTHER_FORMATS, ids=[f"{p}-{e}" for p, e, _ in OTHER_FORMATS])
def test_other_known_identifiers_have_aws_formats(
    previews: dict[tuple[str, str], Preview], program: str, export: str, pattern: str
) -> None:
    p = previews[(program, "default")]
    value = p.outputs().get(export)
    if _known(value):
        assert re.match(pattern, value), f"{export} = {value!r}"


def test_identifiers_with_a_format_are_known_in_the_default_mode(previews: dict[tuple[str, str], Preview]) -> None:
    """The formats above are checked on values a default-mode preview knows (auto-names, ids and
    ARNs built from them), so none of them may be unknown there."""
    unknown = [f"{p}.{e}" for p, e, _ in OTHER_FORMATS if not _known(previews[(p, "default")].outputs().get(e))]
    assert not unknown


def test_resource_passed_as_input_reads_back_as_its_id(previews: dict[tuple[str, str], Preview]) -> None:
    """RolePolicyAttachment(role=role): the engine hands the provider the role's id (its name) and
    the provider's state says role = that name, so attachment.role is the string, not the Role."""
    outputs = previews[("resource_as_input", "default")].outputs()
    assert outputs["attached_role"] == outputs["role_name"]
    assert isinstance(outputs["role_name"], str) and outputs["role_name"].startswith("worker-")


# -- reads (Resource.get) --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(MODES))
def test_a_read_resource_is_the_object_its_id_names(previews: dict[tuple[str, str], Preview], mode: str) -> None:
    """``Role.get("deployer", "platform-deployer")`` reads the role named platform-deployer: its id
    is known in a preview (new stack too) and its name and ARN are that role's, never an auto-name
    made from the resource name."""
    outputs = previews[("reads", mode)].outputs()
    assert outputs["role_id"] == "platform-deployer"
    assert outputs["role_name"] == "platform-deployer"
    assert outputs["bucket_id"] == "acme-central-logs-us-west-2"
    assert outputs["vpc_id"] == "vpc-0a1b2c3d4e5f60718"
    assert outputs["app_sg_vpc"] == "vpc-0a1b2c3d4e5f60718"
    assert outputs["namespace"] == "monitoring"
    if mode != "unknowns":
        assert re.fullmatch(rf"arn:aws:iam::{ACCOUNT}:role/platform-deployer", outputs["role_arn"])
        assert outputs["bucket_arn"] == "arn:aws:s3:::acme-central-logs-us-west-2"


def test_reads_are_recorded_as_external(previews: dict[tuple[str, str], Preview]) -> None:
    p = previews[("reads", "default")]
    assert p.document is not None, p.failure()
    external = {r["name"] for r in p.document["resources"] if r["external"]}
    assert external == {"deployer", "central-logs", "shared", "monitoring"}


# -- Kubernetes auto-names --------------------------------------------------------------------------


@pytest.mark.parametrize(("program", "mode"), _cases(["k8s_guestbook", "k8s_nginx_namespace"], ["default", "unknowns"]))
def test_kubernetes_objects_without_metadata_are_auto_named(
    previews: dict[tuple[str, str], Preview], program: str, mode: str
) -> None:
    """pulumi-kubernetes names an object without metadata.name <resource name>-<8 characters> at
    check time, so a preview (new stack too) knows the name."""
    p = previews[(program, mode)]
    assert p.document is not None, p.failure()
    objects = [r for r in p.document["resources"] if r["type"].startswith("kubernetes:")]
    assert objects
    for obj in objects:
        name = (obj["outputs"].get("metadata") or {}).get("name")
        assert isinstance(name, str) and re.fullmatch(rf"{re.escape(obj['name'])}-[a-z0-9]{{8}}", name), (
            f"{obj['type']} {obj['name']}: metadata.name {name!r}"
        )


# -- stack references -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(MODES))
def test_stack_reference_is_in_the_graph(previews: dict[tuple[str, str], Preview], mode: str) -> None:
    p = previews[("stack_reference", mode)]
    refs = p.resources("pulumi:pulumi:StackReference")
    assert [r["name"] for r in refs] == ["acme/network/prod"]


# -- awsx components --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["default", "unknowns"])
def test_awsx_vpc_registers_its_children(previews: dict[tuple[str, str], Preview], mode: str) -> None:
    """awsx.ec2.Vpc with two zones and a single NAT gateway: one VPC, a public and a private subnet
    per zone, one NAT gateway, parented by the component."""
    p = previews[("awsx_vpc", mode)]
    component = p.only("awsx:ec2:Vpc")
    vpcs = p.resources("aws:ec2/vpc:Vpc")
    subnets = p.resources("aws:ec2/subnet:Subnet")
    assert len(vpcs) == 1 and len(subnets) == 4, f"{len(vpcs)} VPCs, {len(subnets)} subnets"
    assert len(p.resources("aws:ec2/natGateway:NatGateway")) == 1
    assert vpcs[0]["parent"] == component["urn"]


@pytest.mark.parametrize("mode", list(MODES))
def test_awsx_layouts_it_approximates_are_reported(previews: dict[tuple[str, str], Preview], mode: str) -> None:
    """A custom subnet layout or endpoint specs are built approximately: the report says so per
    component instead of passing as exact; the default layout is exact and says nothing."""
    custom = previews[("awsx_vpc_custom", mode)]
    assert custom.document is not None, custom.failure()
    notes = custom.document["notVerifiedOffline"]
    assert any("'data'" in n and "subnetSpecs" in n for n in notes), notes
    assert any("'data'" in n and "vpcEndpointSpecs" in n for n in notes), notes
    assert "subnetSpecs are approximated" in custom.stdout
    default = previews[("awsx_vpc", mode)]
    assert default.document is not None and default.document["notVerifiedOffline"] == []
    assert len(custom.resources("aws:ec2/subnet:Subnet")) == 9


def test_awsx_vpc_subnet_ids_are_subnet_ids(previews: dict[tuple[str, str], Preview]) -> None:
    outputs = previews[("awsx_vpc", "default")].outputs()
    for key in ("private_subnet_ids", "public_subnet_ids"):
        ids = outputs[key]
        assert isinstance(ids, list) and len(ids) == 2, f"{key} = {ids!r}"
        assert all(isinstance(i, str) and i.startswith("subnet-") for i in ids), f"{key} = {ids!r}"
    assert str(outputs["vpc_id"]).startswith("vpc-")


def test_awsx_load_balancer_is_in_the_vpc_of_its_subnets(previews: dict[tuple[str, str], Preview]) -> None:
    """awsx.lb.ApplicationLoadBalancer(subnet_ids=...) takes its VPC from aws.ec2.getSubnet(id=the first
    subnet), so its default security group and target group are in the awsx VPC built here."""
    p = previews[("awsx_fargate", "default")]
    vpc_id = p.only("aws:ec2/vpc:Vpc")["outputs"]["id"]
    lb_children = [
        r
        for r in p.resources("aws:lb/targetGroup:TargetGroup") + p.resources("aws:ec2/securityGroup:SecurityGroup")
        if r["parent"] == p.only("awsx:lb:ApplicationLoadBalancer")["urn"]
    ]
    assert lb_children
    for r in lb_children:
        assert r["inputs"].get("vpcId") == vpc_id, f"{r['type']} {r['name']}: vpcId {r['inputs'].get('vpcId')!r}"


@pytest.mark.parametrize("mode", ["default", "unknowns"])
def test_awsx_fargate_service_with_public_ip_is_a_mandatory_violation(
    previews: dict[tuple[str, str], Preview], mode: str
) -> None:
    """assign_public_ip=True on the awsx FargateService: its aws.ecs.Service must reach the pack."""
    p = previews[("awsx_fargate", mode)]
    assert p.document is not None, p.failure()
    mandatory = [
        v
        for v in p.document["policyViolations"]
        if v["level"] == "mandatory" and v["policy"] == "efs-platform-ecs-service-private"
    ]
    assert mandatory, f"no mandatory ecs-service-private violation; got {p.document['policyViolations']}"
    assert p.returncode == 1


def test_stack_reference_outputs_come_from_the_file_given(tmp_path: Path) -> None:
    """--stack-outputs supplies another stack's outputs; they reach the program and the pack,
    which then sees the subnets as outside the stack (known ids), not as unknown values."""
    outputs = tmp_path / "stacks.yaml"
    outputs.write_text(
        "acme/network/prod:\n"
        "  vpcId: vpc-0a1b2c3d4e5f60718\n"
        "  privateSubnetIds: [subnet-0a1b2c3d4e5f60718, subnet-0a1b2c3d4e5f60719]\n"
        "  vpcCidrBlock: 10.40.0.0/16\n"
        "  environment: prod\n"
    )
    out = tmp_path / "preview.json"
    args = ("--stack", "test", "--program", PROGRAMS_DIR / "stack_reference", "--json", out, "--quiet")
    result = preview_cli(*args, "--stack-outputs", outputs)
    assert result.returncode == 0, result.stdout + result.stderr
    document = read_json(out)
    assert document["outputs"]["vpc_id"] == "vpc-0a1b2c3d4e5f60718"
    reference = [r for r in document["resources"] if r["type"] == "pulumi:pulumi:StackReference"]
    assert reference and reference[0]["external"] is True
    said = " ".join(v["message"] for v in document["policyViolations"])
    assert "subnet-0a1b2c3d4e5f60718 is not in this stack" in said


def test_a_required_stack_output_missing_from_the_file_is_named(tmp_path: Path) -> None:
    """require_output on a key the outputs file lacks fails the preview like the real engine
    (KeyError), and the message names the key and the file it was looked up in."""
    outputs = tmp_path / "stacks.yaml"
    outputs.write_text("acme/network/prod:\n  vpcId: vpc-0a1b2c3d4e5f60718\n  vpcCidrBlock: 10.40.0.0/16\n")
    args = ("--stack", "test", "--program", PROGRAMS_DIR / "stack_reference", "--quiet")
    result = preview_cli(*args, "--stack-outputs", outputs)
    assert result.returncode == 2
    assert "'privateSubnetIds'" in result.stderr
    assert str(outputs) in result.stderr
    assert "Traceback" not in result.stderr
