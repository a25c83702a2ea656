"""Foreign programs in other people's styles (``tests/fixtures/styles/``): inline rules and rule
resources, ids from config, looked-up subnets, table-driven services, a hand-written VPC, a
program-local component, awsx's VPC and FargateService, a loop of twenty copies. Each reads
``mode``: ``ok`` builds a stack that satisfies every rule of the pack, every other mode
introduces exactly one defect.

Expectations follow what AWS would do with the stack, not what the pack happens to say. They are
the same with known outputs and as a preview of a new stack (``--unknowns``), except where such
a preview truly cannot know a value: a file system policy built from ARNs of resources not
created yet, container definitions that embed a new repository's URL. Those findings must then
be advisory "cannot verify" diagnostics: never absent, never mandatory.

Each (program, mode, unknowns) is previewed once (in-process, as the CLI does); the tests below
read the same result. A case where the pack disagrees with AWS is marked ``xfail(strict=True)`` with the reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pytest

from offline import analysis, engine, project, report
from tests.conftest import FIXTURES, ROOT

# Left out by `make check` (programs in other styles, whole, in every mode); `make test` runs them.
pytestmark = pytest.mark.slow

STYLES = FIXTURES / "styles"
P = "efs-platform-"
MOUNT = P + "efs-mount-readiness"
TLS_POLICY = P + "efs-policy-denies-insecure-transport"
NFS = P + "ec2-nfs-ingress-restricted"
NFS_ONLY = P + "efs-mount-target-sg-nfs-only"
SERVICE_PRIVATE = P + "ecs-service-private"
PLACEMENT = P + "private-placement"
PRIVATE_IP = P + "ec2-private-subnet-no-public-ip"
DEFAULT_SG = P + "ec2-default-security-group-closed"
VPC_DNS = P + "ec2-vpc-dns-enabled"
CREDENTIALS = P + "ecs-no-aws-credentials-in-env"
ORDER = P + "ecs-mount-order"
CONTAINER_RULES = frozenset(
    {CREDENTIALS, P + "ecs-no-privileged-containers", P + "ecs-readonly-root-filesystem", P + "ecs-non-root-user"}
)

#: A file system policy whose document embeds the ARNs of the file system, its access points and
#: task roles is unknown until they exist: in a new stack neither its TLS deny nor its grants
#: can be read.
POLICY_FROM_ARNS = frozenset({TLS_POLICY, MOUNT})
#: The same, for a stack without EFS clients (the grants are not asked).
TLS_FROM_ARNS = frozenset({TLS_POLICY})
#: Where placement is decided by subnets of another stack (ids from config, read by id).
OUTSIDE_SUBNETS = frozenset({SERVICE_PRIVATE, MOUNT, PLACEMENT, VPC_DNS})


@dataclass(frozen=True)
class Case:
    mandatory: frozenset[tuple[str, str]] = frozenset()
    """(policy, "type::name") violations, with known outputs and in a new stack alike."""
    known_only: frozenset[tuple[str, str]] = frozenset()
    """Mandatory with known outputs; in a new stack the deciding value is unknown, so the policy
    must be an advisory "cannot verify" there (listed in ``new_stack`` too)."""
    unverifiable: frozenset[str] = frozenset()
    """Policies that must say "cannot verify" (advisory) in both modes."""
    new_stack: frozenset[str] = frozenset()
    """Policies that must say "cannot verify" (advisory) in a preview of a new stack only."""

    def expected_mandatory(self, unknowns: bool) -> set[tuple[str, str]]:
        return set(self.mandatory) | (set() if unknowns else set(self.known_only))

    def expected_unverifiable(self, unknowns: bool) -> set[str]:
        return set(self.unverifiable) | (set(self.new_stack) if unknowns else set())


def _f(*items: Any) -> frozenset[Any]:
    return frozenset(items)


CASES: dict[tuple[str, str], Case] = {
    # 1. Inline rules on the mount target group.
    ("inline_sg", "ok"): Case(new_stack=POLICY_FROM_ARNS),
    ("inline_sg", "wrong-peer"): Case(
        mandatory=_f((MOUNT, "aws:ecs/service:Service::app")), new_stack=POLICY_FROM_ARNS
    ),
    ("inline_sg", "world"): Case(
        mandatory=_f((NFS, "aws:ec2/securityGroup:SecurityGroup::efs")), new_stack=POLICY_FROM_ARNS
    ),
    # 2. ec2.SecurityGroupRule with string ports, vpc.SecurityGroupIngressRule with protocol "6".
    ("rule_resources_mixed", "ok"): Case(new_stack=POLICY_FROM_ARNS),
    # All traffic from outside the VPC on a mount target group: NFS from outside the VPC, and
    # more than TCP 2049 on a mount target's group.
    ("rule_resources_mixed", "port-range-all"): Case(
        mandatory=_f(
            (NFS, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::peered-all"),
            (NFS_ONLY, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::peered-all"),
        ),
        new_stack=POLICY_FROM_ARNS,
    ),
    # 3. Subnets and the tasks' group as ids from config: placement cannot be verified.
    ("ids_from_config", "ok"): Case(unverifiable=OUTSIDE_SUBNETS, new_stack=TLS_FROM_ARNS),
    ("ids_from_config", "public-ip-string"): Case(
        mandatory=_f((SERVICE_PRIVATE, "aws:ecs/service:Service::reports")),
        unverifiable=OUTSIDE_SUBNETS,
        new_stack=TLS_FROM_ARNS,
    ),
    # 4. Two services, one access point each, one file system policy.
    ("multi_service_access_points", "ok"): Case(new_stack=POLICY_FROM_ARNS),
    ("multi_service_access_points", "wrong-ap"): Case(
        known_only=_f((MOUNT, "aws:ecs/service:Service::jobs")), new_stack=POLICY_FROM_ARNS
    ),
    ("multi_service_access_points", "readonly-grant-for-writer"): Case(
        known_only=_f((MOUNT, "aws:ecs/service:Service::web")), new_stack=POLICY_FROM_ARNS
    ),
    # 5. Private subnets on the VPC's main route table.
    ("hand_vpc_main_table", "ok"): Case(new_stack=TLS_FROM_ARNS),
    # The subnet's flag is the defect; by the pack's definition (a subnet that maps public IPs is
    # not private, whatever its routes) the mount target placed in it is reported too.
    ("hand_vpc_main_table", "private-maps-ip"): Case(
        mandatory=_f(
            (PRIVATE_IP, "aws:ec2/subnet:Subnet::hand-private-b"),
            (PLACEMENT, "aws:efs/mountTarget:MountTarget::hand-efs-b"),
        ),
        new_stack=TLS_FROM_ARNS,
    ),
    # 6. Subnets read by id (aws.ec2.Subnet.get, ids given or from get_subnets): placement cannot
    # be verified.
    ("data_source_subnets", "ok"): Case(unverifiable=OUTSIDE_SUBNETS, new_stack=TLS_FROM_ARNS),
    ("data_source_subnets", "public-ip"): Case(
        mandatory=_f((SERVICE_PRIVATE, "aws:ecs/service:Service::ledger")),
        unverifiable=OUTSIDE_SUBNETS,
        new_stack=TLS_FROM_ARNS,
    ),
    ("data_source_subnets", "lookup-invoke"): Case(unverifiable=OUTSIDE_SUBNETS, new_stack=TLS_FROM_ARNS),
    # 7. Container definitions from Output.json_dumps of a new repository's URL.
    ("task_def_from_repo", "ok"): Case(new_stack=POLICY_FROM_ARNS | CONTAINER_RULES),
    ("task_def_from_repo", "aws-keys-in-env"): Case(
        known_only=_f((CREDENTIALS, "aws:ecs/taskDefinition:TaskDefinition::catalog")),
        new_stack=POLICY_FROM_ARNS | CONTAINER_RULES,
    ),
    # depends_on on a component reaches its children, but names only the mount targets here.
    ("task_def_from_repo", "component-depends-on"): Case(
        mandatory=_f((ORDER, "aws:ecs/service:Service::catalog")),
        new_stack=POLICY_FROM_ARNS | CONTAINER_RULES,
    ),
    # awsx builds the VPC and the service; subnets come from the VPC component's outputs, which a
    # new stack's preview cannot split into public and private (a real preview cannot either).
    ("awsx_service", "ok"): Case(new_stack=OUTSIDE_SUBNETS | POLICY_FROM_ARNS),
    ("awsx_service", "no-efs-policy"): Case(
        known_only=_f((MOUNT, "aws:ecs/service:Service::svc")), new_stack=OUTSIDE_SUBNETS | POLICY_FROM_ARNS
    ),
    # The component's depends_on reaches the service, but names the mount targets only.
    ("awsx_service", "waits-for-targets-only"): Case(
        mandatory=_f((ORDER, "aws:ecs/service:Service::svc")), new_stack=OUTSIDE_SUBNETS | POLICY_FROM_ARNS
    ),
    # 8. Twenty copies of one shape.
    ("scale_like", "ok"): Case(new_stack=TLS_FROM_ARNS),
    ("scale_like", "cell-07-default-sg"): Case(
        mandatory=_f((DEFAULT_SG, "aws:ec2/vpc:Vpc::cell-07")), new_stack=TLS_FROM_ARNS
    ),
}


#: (test, program, mode, unknowns) -> what the pack does wrong.
def _stack(mode: str) -> str:
    return "test" if mode == "ok" else mode


@functools.cache
def preview(program: str, mode: str, unknowns: bool) -> tuple[int, str, dict[str, Any] | None]:
    """(exit status, error output, JSON document) of one preview, shared by every test. It runs
    in-process, as ``python -m offline preview --json`` does (its exit codes and output are
    tested through the command itself in test_offline_cli and test_fixtures)."""
    stack = project.load(STYLES / program, _stack(mode))
    try:
        graph = engine.run(stack, unknowns=unknowns)
    except engine.ProgramError as e:
        return 2, str(e.cause), None
    found = analysis.analyze(_pack(), graph, stack)
    document = report.report_json(graph, found)
    return (1 if any(v.level == "mandatory" for v in found) else 0), "", document


@functools.cache
def _pack() -> analysis.LoadedPack:
    return analysis.load_pack(ROOT / "policy")


def tail(urn: str) -> str:
    """``type::name`` of a URN (without the parent types a component puts before the type)."""
    parts = urn.split("::")
    return f"{parts[2].rsplit('$', 1)[-1]}::{parts[3]}"


def findings(program: str, mode: str, unknowns: bool) -> list[dict[str, Any]]:
    status, output, document = preview(program, mode, unknowns)
    assert document is not None and status in (0, 1), output
    return list(document["policyViolations"])


def mandatory(program: str, mode: str, unknowns: bool) -> set[tuple[str, str]]:
    return {(v["policy"], tail(v["urn"])) for v in findings(program, mode, unknowns) if v["level"] == "mandatory"}


def advisory(program: str, mode: str, unknowns: bool) -> list[dict[str, Any]]:
    return [v for v in findings(program, mode, unknowns) if v["level"] == "advisory"]


def params(only: set[tuple[str, str]] | None = None) -> list[Any]:
    out = []
    for program, mode in CASES:
        if only is not None and (program, mode) not in only:
            continue
        for unknowns in (False, True):
            ident = f"{program}-{mode}-{'unknowns' if unknowns else 'known'}"
            # The tests of one preview run in one worker, so it is run once (``--dist loadgroup``).
            group = pytest.mark.xdist_group(f"style-{program}-{mode}-{unknowns}")
            out.append(pytest.param(program, mode, unknowns, id=ident, marks=group))
    return out


@pytest.mark.parametrize(("program", "mode", "unknowns"), params())
def test_exit_status(program: str, mode: str, unknowns: bool) -> None:
    case = CASES[program, mode]
    status, output, _ = preview(program, mode, unknowns)
    assert status == (1 if case.expected_mandatory(unknowns) else 0), output


@pytest.mark.parametrize(("program", "mode", "unknowns"), params())
def test_mandatory_violations_are_exactly_the_expected(program: str, mode: str, unknowns: bool) -> None:
    assert mandatory(program, mode, unknowns) == CASES[program, mode].expected_mandatory(unknowns)


@pytest.mark.parametrize(("program", "mode", "unknowns"), params())
def test_expected_mandatory_violations_are_reported(program: str, mode: str, unknowns: bool) -> None:
    missing = CASES[program, mode].expected_mandatory(unknowns) - mandatory(program, mode, unknowns)
    assert not missing


@pytest.mark.parametrize(("program", "mode", "unknowns"), params())
def test_what_cannot_be_known_is_an_advisory_cannot_verify(program: str, mode: str, unknowns: bool) -> None:
    said = {v["policy"] for v in advisory(program, mode, unknowns) if "cannot verify" in v["message"]}
    assert CASES[program, mode].expected_unverifiable(unknowns) <= said


@pytest.mark.parametrize(("program", "mode", "unknowns"), params())
def test_no_other_advisory_finding(program: str, mode: str, unknowns: bool) -> None:
    """The compliant parts satisfy the advisory rules too (protection, non-root, read-only root...)."""
    extra = {v["policy"] for v in advisory(program, mode, unknowns)} - CASES[program, mode].expected_unverifiable(
        unknowns
    )
    assert not extra, [v["message"] for v in advisory(program, mode, unknowns) if v["policy"] in extra]


@pytest.mark.parametrize(
    ("program", "mode", "unknowns"),
    params(only={("ids_from_config", "ok"), ("data_source_subnets", "ok")}),
)
def test_dns_of_a_vpc_outside_the_stack_is_not_a_silent_pass(program: str, mode: str, unknowns: bool) -> None:
    said = [v for v in advisory(program, mode, unknowns) if v["policy"] == VPC_DNS]
    assert any("cannot verify" in v["message"] for v in said)
