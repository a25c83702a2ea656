"""Shared test helpers: run code on the offline engine and read back what reached the engine.

Component and policy tests use the same recording engine as ``python -m offline preview``
(``offline.engine.run_callable``), one fresh runtime per call.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime.proto.analyzer_pb2 import POLICY_TYPE_STACK

from offline import analysis, cli, engine
from offline.project import StackConfig
from offline.report import plain

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGION = "eu-west-1"
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))
"""The shipped stacks: every ``Pulumi.<stack>.yaml`` (adding a stack file adds it to the tests)."""


@dataclass
class Res:
    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    custom_timeouts: dict[str, str]


class Recorded:
    """The resources a program registered, with their inputs and mock outputs as plain data."""

    def __init__(self, graph: engine.Graph) -> None:
        self.graph = graph
        self.resources = [
            Res(
                r.urn,
                r.type,
                r.name,
                r.parent,
                plain(r.inputs),
                plain(r.outputs),
                r.id,
                r.dependencies,
                r.property_dependencies,
                r.protect,
                r.custom_timeouts,
            )
            for r in graph.resources
        ]
        self.by_urn = {r.urn: r for r in self.resources}
        self.outputs = plain(graph.outputs)

    def of_type(self, token: str) -> list[Res]:
        return [r for r in self.resources if r.type == token]

    def only(self, token: str) -> Res:
        """The one resource of ``token``."""
        matches = self.of_type(token)
        assert len(matches) == 1, f"expected one {token}, got {[r.name for r in matches]}"
        return matches[0]

    def one(self, token: str, name: str) -> Res:
        matches = [r for r in self.of_type(token) if r.name == name]
        assert len(matches) == 1, f"expected one {token} named {name}, got {[r.name for r in self.of_type(token)]}"
        return matches[0]

    def by_id(self, token: str, rid: str) -> Res:
        matches = [r for r in self.of_type(token) if r.id == rid]
        assert len(matches) == 1, f"no {token} with id {rid}"
        return matches[0]


def run(program: Callable[[], object], config: dict[str, str] | None = None, unknowns: bool = False) -> Recorded:
    """Run ``program`` in a fresh stack on the offline engine."""
    graph = engine.run_callable(
        program,
        project="test",
        stack="test",
        config={"aws:region": REGION, **(config or {})},
        unknowns=unknowns,
    )
    return Recorded(graph)


MODES = [pytest.param(False, id="known"), pytest.param(True, id="unknowns")]
"""Policy tests run with known outputs and as a preview of a new stack (unknown ids and ARNs)."""


@pytest.fixture(scope="session")
def pack() -> analysis.LoadedPack:
    return analysis.load_pack(ROOT / "policy")


def violations(
    pack: analysis.LoadedPack,
    program: Callable[[], object],
    unknowns: bool = False,
    policy_config: dict[str, Any] | None = None,
) -> list[analysis.Violation]:
    """Run ``program`` and the efs-platform policy pack on it, as the offline preview does."""
    recorded = run(program, unknowns=unknowns)
    stack = StackConfig("test", "test", ROOT, ROOT / "__main__.py", {"aws:region": REGION})
    return analysis.analyze(pack, recorded.graph, stack, policy_config)


def stack_findings(
    pack: analysis.LoadedPack, program: Callable[[], object], unknowns: bool
) -> set[tuple[str, str, str]]:
    """(rule without the pack prefix, level, resource name or 'stack') of the stack rules'
    violations."""
    stack_rules = {p.name for p in pack.info.policies if p.policy_type == POLICY_TYPE_STACK}
    return {
        (v.policy.removeprefix("efs-platform-"), v.level, v.urn.rsplit("::", 1)[-1] if v.urn else "stack")
        for v in violations(pack, program, unknowns)
        if v.policy in stack_rules
    }


def preview_cli(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m offline preview ARGS`` in ``cwd``, through the command's own entry point
    (``offline.cli.main``) in this process: the same parsing, run, report, files and exit status
    (a usage error's ``SystemExit`` included), without paying the imports once per call. The
    module's ``__main__`` adds only ``os._exit(status)``; :func:`preview_process` runs the command
    as a process for the tests of that boundary."""
    argv = ["preview", *map(str, args)]
    stdout, stderr = io.StringIO(), io.StringIO()
    saved = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                status = cli.main(argv)
            except SystemExit as e:
                status = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
                if not isinstance(e.code, int | None):  # as the interpreter does on its way out
                    print(e.code, file=sys.stderr)
    finally:
        os.chdir(saved)
    return subprocess.CompletedProcess(argv, status, stdout.getvalue(), stderr.getvalue())


def preview_process(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m offline preview ARGS`` as a user would: a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "offline", "preview", *map(str, args)],
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


@dataclass(frozen=True)
class StackPreview:
    """``python -m offline preview --stack STACK [--unknowns] --json --out --summary`` of a shipped
    stack, with its default policy config, as ``make preview`` runs it."""

    result: subprocess.CompletedProcess[str]
    document: dict[str, Any]
    out: Path
    summary: str


class StackPreviews:
    """Each shipped stack's CLI preview, run once per test process and shared by every test that
    reads it (``xdist_group("stack-previews")`` keeps those tests in one process)."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._done: dict[tuple[str, bool], StackPreview] = {}

    def __call__(self, stack: str, unknowns: bool = False) -> StackPreview:
        key = (stack, unknowns)
        if key not in self._done:
            out = self._tmp / f"{stack}-{'unknowns' if unknowns else 'known'}"
            summary = out.with_suffix(".md")
            mode = ["--unknowns"] if unknowns else []
            result = preview_cli("--stack", stack, *mode, "--out", out, "--summary", summary)
            assert result.returncode == 0, result.stdout + result.stderr
            self._done[key] = StackPreview(result, read_json(out / "preview.json"), out, summary.read_text())
        return self._done[key]


@pytest.fixture(scope="session")
def stack_preview(tmp_path_factory: pytest.TempPathFactory) -> StackPreviews:
    return StackPreviews(tmp_path_factory.mktemp("stack-previews"))


def run_platform(config: dict[str, str] | None = None, unknowns: bool = False) -> Recorded:
    """Run this project's own program (``__main__.py``) with the dev stack's config plus
    ``config`` (keys without the project namespace)."""
    import yaml  # noqa: PLC0415 - only the platform tests need it

    stack_config = {k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v).lower()
                    if isinstance(v, bool) else str(v)
                    for k, v in yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"].items()}  # fmt: skip
    stack_config.update({f"efs-platform:{k}": v for k, v in (config or {}).items()})
    stack = StackConfig("efs-platform", "dev", ROOT, ROOT / "__main__.py", stack_config)
    return Recorded(engine.run(stack, unknowns=unknowns))


def stack_config(stack: str) -> dict[str, str]:
    """A shipped stack's config as the CLI passes it to a program: lists and maps as JSON,
    booleans lower-case, the rest as text."""
    doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {
        k: json.dumps(v) if isinstance(v, (list, dict)) else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in doc.items()
    }


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules the tests imported live to the end: keep them out of every collection."""
    gc.freeze()
