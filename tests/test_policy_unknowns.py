"""No rule crashes on an unknown value, and no verdict is lost silently.

For every fixture program below and every resource in it, each input property is made unknown in
turn (as a preview of a new stack shows a value computed from another resource's output: unknown,
with a property dependency on that resource). The pack must then:

* not raise (a crash is a defect of the rule, whatever the program);
* keep every verdict it reached with the value known, or say that it cannot verify it: the same
  rule reports an advisory "can't run policy ... during preview". A verdict that disappears
  without one is a silent pass.

The mutated graph is analyzed as the CLI would: the changed resource's inputs by the resource
policies (the others' answers cannot change), the whole graph by the stack policies. The stack
policies run through :class:`Incremental`, pulumi-policy's AnalyzeStack without rebuilding the
unchanged resources for every policy and every mutation; a sample of the mutations is also
analyzed by the SDK itself, and the verdicts must be the same.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from offline import analysis, engine, project
from offline.analysis import LoadedPack, Providers, Violation
from offline.engine import STACK_TYPE, Graph, Resource, collector_paused, engine_view
from offline.project import StackConfig
from tests import test_policy_eks, test_policy_lb, test_policy_network, test_policy_resources, test_policy_stack
from tests.conftest import FIXTURES, REGION, ROOT, preview_process, run

# Left out by `make check` (each input of each fixture made unknown in turn: the longest tests).
pytestmark = pytest.mark.slow

OPAQUE = "test:index:Opaque"


def _programs() -> dict[str, Callable[[], Graph]]:
    """Fixture graphs: compliant baselines and variants that each carry violations to lose."""
    stack_cases = {
        "stack-baseline": test_policy_stack.BASELINE,
        "stack-violations": replace(
            test_policy_stack.BASELINE,
            assign_public_ip=True,
            mount_target_zones=(0,),
            extra_efs_sg_port=22,
            nfs_cidr="0.0.0.0/0",
            task_role_wildcard=True,
            platform_version="1.3.0",
            endpoints=("ecr.api",),
        ),
        "stack-policy-gaps": replace(test_policy_stack.BASELINE, file_system_policy="tls-only", dns_hostnames=False),
        "eks-baseline": test_policy_eks.BASELINE,
        "eks-violations": replace(
            test_policy_eks.BASELINE, nfs_from_cluster=False, anonymous_grant=False, dynamic_class=True
        ),
        "eks-api-baseline": test_policy_eks.API_BASELINE,
        "eks-api-violations": replace(test_policy_eks.API_BASELINE, api_port=22),
        "k8s-image-violations": test_policy_resources.workload(
            "cron-job", image="busybox:1.37", init_image="busybox:latest"
        ),
        "network-violations": replace(
            test_policy_network.BASELINE, private_maps_ip=True, dns_hostnames=False, rule_on_default_sg=True
        ),
    }
    programs: dict[str, Callable[[], Graph]] = {
        name: (lambda p=program: run(p).graph) for name, program in stack_cases.items()
    }
    for name, alb in {"lb-baseline": test_policy_lb.BASELINE, "lb-violations": test_policy_lb.NO_LOGS_NO_WAF}.items():
        programs[name] = lambda a=alb: run(lambda: test_policy_lb.program(a)).graph
    for fixture in sorted(p.name for p in FIXTURES.iterdir() if (p / "Pulumi.test.yaml").is_file()):
        programs[f"fixture-{fixture}"] = lambda f=fixture: engine.run(project.load(FIXTURES / f, "test"))
    # Programs in other styles, each with the defect of one of its modes (the compliant modes are
    # the same programs with fewer verdicts to lose); scale_like repeats one unit twenty times.
    styles = FIXTURES / "styles"
    for program in sorted(p.name for p in styles.iterdir() if p.name != "scale_like"):
        for stack_file in sorted((styles / program).glob("Pulumi.*.yaml")):
            stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
            if stack not in ("test", "lookup-invoke"):
                programs[f"style-{program}-{stack}"] = lambda p=program, s=stack: engine.run(
                    project.load(styles / p, s)
                )
    return programs


PROGRAMS = _programs()


@pytest.fixture(scope="module")
def stack_config() -> StackConfig:
    return StackConfig("test", "test", ROOT, ROOT / "__main__.py", {"aws:region": REGION})


Path_ = tuple[str | int, ...]


def _unknown(struct: struct_pb2.Struct, path: Path_) -> struct_pb2.Struct:
    """A copy of ``struct`` with the value at ``path`` unknown (unchanged where it is absent)."""
    copy = struct_pb2.Struct()
    copy.CopyFrom(struct)
    value: Any = copy.fields.get(path[0]) if path[0] in copy.fields else None
    for step in path[1:]:
        if value is None:
            break
        kind = value.WhichOneof("kind")
        if isinstance(step, int) and kind == "list_value" and step < len(value.list_value.values):
            value = value.list_value.values[step]
        elif isinstance(step, str) and kind == "struct_value" and step in value.struct_value.fields:
            value = value.struct_value.fields[step]
        else:
            value = None
    if value is not None:
        value.string_value = rpc.UNKNOWN
    return copy


def _paths(value: struct_pb2.Value, prefix: Path_, depth: int) -> list[Path_]:
    """``prefix`` and the values inside it, down to ``depth`` levels (a list's first element)."""
    found = [prefix]
    if depth == 0:
        return found
    kind = value.WhichOneof("kind")
    if kind == "list_value" and value.list_value.values:
        found += _paths(value.list_value.values[0], (*prefix, 0), depth - 1)
    elif kind == "struct_value":
        for key in sorted(value.struct_value.fields):
            if not key.startswith("4dabf18193072939515e22adb298388d"):
                found += _paths(value.struct_value.fields[key], (*prefix, key), depth - 1)
    return found


def _mutations(graph: Graph) -> list[tuple[Resource, Path_]]:
    """Each input property of each resource, and (three levels down) the values inside it: an
    unknown element of a known list (``cidr_blocks=[eip.public_ip...]``) is as common as an
    unknown property."""
    return [
        (r, path)
        for r in graph.resources
        if r.custom and r.type != STACK_TYPE and not r.type.startswith("pulumi:providers:")
        for key in sorted(r.inputs.fields)
        if not key.startswith("__")
        for path in _paths(r.inputs.fields[key], (key,), 3)
    ]


class Incremental:
    """pulumi-policy's ``AnalyzeStack`` (the pinned 1.21) for graphs that differ from one graph in
    one resource's properties and property dependencies.

    The SDK converts every resource of the request into a ``PolicyResource`` once per stack
    policy, so each of the thousands of mutations below would convert the whole graph a dozen
    times. Here each resource is converted once, with the SDK's own functions (its conversion,
    its unknown-checking proxy, its options and provider readers) and wired to its parent and
    dependencies as the SDK wires them; a mutation replaces the changed resource's properties
    and property dependencies in place, and the stack policies then run as the SDK runs them
    (enforcement level, config, report, a "can't run" advisory for an unknown value).
    """

    def __init__(self, pack: LoadedPack, graph: Graph, providers: Providers) -> None:
        self.pack = pack
        self.servicer = pack.servicer
        request = analysis.stack_request(graph, providers)
        self.by_urn: dict[str, Any] = {}
        links = []
        for r in request.resources:
            resource = sdk.PolicyResource(
                r.type,
                self._props(r.properties),
                r.urn,
                r.name,
                self.servicer._get_resource_options(r),
                self.servicer._get_provider_resource(r),
                None,
                [],
                {},
            )
            self.by_urn[r.urn] = resource
            links.append((resource, r))
        for resource, r in links:
            resource.parent = self.by_urn.get(r.parent) if r.parent else None
            resource.dependencies = [self.by_urn[d] for d in r.dependencies if d in self.by_urn]
            resource.property_dependencies = {
                k: [self.by_urn[d] for d in v.urns if d in self.by_urn] for k, v in r.propertyDependencies.items()
            }
        self.resources = [resource for resource, _ in links]

    @staticmethod
    def _props(properties: struct_pb2.Struct) -> Any:
        return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(properties)))

    def analyze(self, changed: Resource | None = None) -> list[Violation]:
        """The stack policies' violations, with ``changed`` in place of the resource of its URN."""
        with collector_paused():
            return self._apply(changed)

    def _apply(self, changed: Resource | None) -> list[Violation]:
        if changed is None:
            return self._run()
        resource = self.by_urn[changed.urn]
        saved = resource.props, resource.property_dependencies
        resource.props = self._props(engine_view(changed.outputs))
        resource.property_dependencies = {
            k: [self.by_urn[d] for d in urns if d in self.by_urn] for k, urns in changed.property_dependencies.items()
        }
        try:
            return self._run()
        finally:
            resource.props, resource.property_dependencies = saved

    def _run(self) -> list[Violation]:
        servicer, response = self.servicer, analyzer_pb2.AnalyzeResponse()
        name = servicer._PolicyAnalyzerServicer__policy_pack_name
        version = servicer._PolicyAnalyzerServicer__policy_pack_version
        for policy in servicer._PolicyAnalyzerServicer__policies:
            level = servicer._get_enforcement_level(policy)
            if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if level == sdk.EnforcementLevel.REMEDIATE:
                level = sdk.EnforcementLevel.MANDATORY
            report = servicer._create_report_violation(
                response, policy.name, policy.description, level, policy.severity
            )
            args = sdk.StackValidationArgs(
                self.resources,
                servicer._get_policy_config(policy.name),
                servicer._PolicyAnalyzerServicer__stack_tags,
            )
            try:
                result = policy.validate(args, report)
                if inspect.isawaitable(result):  # an async policy, run as the SDK runs it
                    loop = asyncio.new_event_loop()
                    try:
                        loop.run_until_complete(asyncio.ensure_future(result, loop=loop))
                    finally:
                        loop.close()
            except UnknownValueError as e:
                response.diagnostics.append(
                    analyzer_pb2.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=name,
                        policyPackVersion=version,
                        message=f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' "
                        f"during preview: {e.message}",
                        urn="",
                        description=policy.description,
                        enforcementLevel=servicer._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                    )
                )
            except sdk._NotApplicableError as e:
                response.not_applicable.append(
                    analyzer_pb2.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
                )
        return analysis.violations_of(self.pack, response, "")


SDK_SAMPLE = int(os.environ.get("EFS_PLATFORM_SDK_SAMPLE", "50"))
"""Every SDK_SAMPLE-th mutation (and the unmutated graph) is also analyzed by the SDK's own
``AnalyzeStack``: :class:`Incremental` must reach exactly its verdicts. EFS_PLATFORM_SDK_SAMPLE=1
compares every mutation (18 s instead of 6 s on 2 cores)."""


def _dotted(path: Path_) -> str:
    return ".".join(map(str, path))


def _key(v: Violation) -> tuple[str, str, str]:
    return (v.policy, v.level, v.urn)


def _cannot_run(v: Violation) -> bool:
    return v.level == "advisory" and "can't run policy" in v.message


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_every_unknown_input_keeps_the_verdict_or_says_it_cannot(
    pack: LoadedPack, stack_config: StackConfig, program: str
) -> None:
    graph = PROGRAMS[program]()
    opaque = Resource(
        urn=f"urn:pulumi:{graph.stack}::{graph.project}::{OPAQUE}::opaque",
        type=OPAQUE,
        name="opaque",
        parent=None,
        custom=True,
        inputs=struct_pb2.Struct(),
        dependencies=[],
        property_dependencies={},
        provider="",
        protect=False,
        retain_on_delete=False,
        delete_before_replace=None,
        ignore_changes=[],
        additional_secret_outputs=[],
        aliases=[],
        id="opaque",
    )
    graph = replace(graph, resources=[*graph.resources, opaque])
    analysis.configure(pack)
    providers = Providers(graph, stack_config)
    incremental = Incremental(pack, graph, providers)
    by_resource = {r.urn: analysis.analyze_resource(pack, r, providers) for r in graph.resources}
    baseline_stack = analysis.analyze_stack(pack, graph, providers)
    assert incremental.analyze() == baseline_stack
    verdicts = {_key(v) for vs in by_resource.values() for v in vs} | {_key(v) for v in baseline_stack}
    assert verdicts or program.endswith("baseline"), "a violations fixture must have verdicts to lose"

    lost: list[str] = []
    for index, (resource, path) in enumerate(_mutations(graph)):
        key = str(path[0])
        changed = replace(
            resource,
            inputs=_unknown(resource.inputs, path),
            outputs=_unknown(resource.outputs, path),
            property_dependencies={**resource.property_dependencies, key: [opaque.urn]},
        )
        mutated = replace(graph, resources=[changed if r is resource else r for r in graph.resources])
        try:
            after_resource = analysis.analyze_resource(pack, changed, providers)
            after_stack = incremental.analyze(changed)
            if index % SDK_SAMPLE == 0:
                assert after_stack == analysis.analyze_stack(pack, mutated, providers), (resource.name, path)
        except analysis.PolicyCrash as e:
            pytest.fail(f"{program}: {resource.type} '{resource.name}'.{_dotted(path)} unknown: {e}")
        after = {_key(v) for v in after_resource + after_stack}
        for urn, found in by_resource.items():
            if urn != resource.urn:
                after |= {_key(v) for v in found}
        said = {v.policy for v in after_resource + after_stack if _cannot_run(v)}
        for policy, level, urn in sorted(verdicts - after):
            if policy not in said:
                lost.append(
                    f"{resource.type} '{resource.name}'.{_dotted(path)} unknown: {policy} [{level}] on {urn} lost"
                )
    assert not lost, "\n".join(lost)


def test_a_crashing_policy_exits_2_naming_it(tmp_path: Path) -> None:
    """A rule that raises is a defect of the pack, not a verdict: one line naming it, exit 2."""
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 1.0.0\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack, StackValidationPolicy\n"
        "def validate(args, report):\n"
        "    return 1 // 0\n"
        "PolicyPack('broken', policies=[StackValidationPolicy(name='divides', description='d', validate=validate)])\n"
    )
    result = preview_process(
        "--stack", "test", "--program", FIXTURES / "open_nfs", "--policy-pack", tmp_path, "--quiet"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: policy divides crashed: ZeroDivisionError: integer division or modulo by zero "
        "(run with --traceback for where)"
    ]
