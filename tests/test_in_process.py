"""Runs in one process behave as the CLI's, where each preview has a language host and an
analyzer process of its own: a program and a policy pack each import their own modules
(``offline.modules.own_modules``), and a pack loaded again judges as it did the first time."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

import components  # noqa: F401 - loaded by this process, as the tests load it
from offline import analysis, engine, project
from offline.report import plain
from tests.conftest import FIXTURES, ROOT


def _who(directory: Path) -> str:
    return str(plain(engine.run(project.load(directory, "dev")).outputs)["who"])


def _program(root: Path, name: str, who: str) -> Path:
    """A project whose program exports ``helper.WHO`` from a module next to it."""
    directory = root / name
    (directory / "lib").mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (directory / "__main__.py").write_text(
        "import pulumi\nimport helper\nfrom lib import kind\npulumi.export('who', helper.WHO + kind.KIND)\n"
    )
    (directory / "helper.py").write_text(f"WHO = {who!r}\n")
    (directory / "lib" / "__init__.py").write_text("")
    (directory / "lib" / "kind.py").write_text(f"KIND = '-{name}'\n")
    return directory


def test_each_program_imports_its_own_modules_as_in_a_process_of_its_own(tmp_path: Path) -> None:
    """Two programs with modules of the same names, run one after the other in one process, each
    see their own (the CLI starts a language host per preview); the modules this test process
    had loaded come back after each run."""
    first, second = _program(tmp_path, "first", "one"), _program(tmp_path, "second", "two")
    components_before = sys.modules["components"]

    assert [_who(first), _who(second), _who(first)] == ["one-first", "two-second", "one-first"]
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "components", copy / "components", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "components" / "__init__.py").write_text("raise ImportError('the copy was imported')\n")
    (copy / "Pulumi.yaml").write_text("name: copy\nruntime: python\n")
    (copy / "__main__.py").write_text("import components\n")
    with pytest.raises(engine.ProgramError, match="the copy was imported"):
        engine.run(project.load(copy, "dev"))
    assert sys.modules["components"] is components_before


def test_a_project_nested_in_another_imports_its_own_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project in a subdirectory of another, both with a ``helper``: each run sees its own,
    whichever ran first."""
    for name in ("helper", "lib", "lib.kind"):  # as in a fresh process: no earlier test's modules
        monkeypatch.delitem(sys.modules, name, raising=False)
    outer = _program(tmp_path, "outer", "out")
    inner = _program(outer, "inner", "in")
    assert [_who(inner), _who(outer), _who(inner)] == ["in-inner", "out-outer", "in-inner"]


def _nested_pack(program: Path) -> Path:
    """A pack inside ``program`` with a ``helper`` of its own, which its policy imports only when
    it runs (as a policy may) and reports as a violation."""
    pack = program / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 1.0.0\n")
    (pack / "helper.py").write_text("WHO = 'pack'\n")
    (pack / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack, StackValidationPolicy\n"
        "def validate(args, report):\n"
        "    import helper\n"
        "    report(helper.WHO)\n"
        "PolicyPack('nested', policies=[StackValidationPolicy(name='who', description='d', validate=validate)])\n"
    )
    return pack


def test_a_pack_inside_the_project_and_the_program_each_import_their_own_helper(tmp_path: Path) -> None:
    program = _program(tmp_path, "proj", "program")
    pack_dir = _nested_pack(program)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "helper.py").write_text("WHO = 'elsewhere'\n")
    spec = importlib.util.spec_from_file_location("helper", tmp_path / "elsewhere" / "helper.py")
    assert spec is not None and spec.loader is not None
    sys.modules["helper"] = elsewhere = importlib.util.module_from_spec(spec)  # loaded before, from elsewhere
    spec.loader.exec_module(elsewhere)
    try:
        pack = analysis.load_pack(pack_dir)  # as the CLI does: the pack first, then the program
        config = project.load(program, "dev")
        graph = engine.run(config)
        verdicts = analysis.analyze(pack, graph, config)
        assert plain(graph.outputs)["who"] == "program-proj"
        assert [v.message.splitlines()[-1] for v in verdicts] == ["pack"]  # after the description
        assert sys.modules["helper"] is elsewhere
    finally:
        sys.modules.pop("helper", None)


def _crashing_pack(directory: Path) -> Path:
    """A pack whose policy, defined in a module of the pack, divides by zero."""
    directory.mkdir()
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 1.0.0\n")
    (directory / "rules.py").write_text(
        "from pulumi_policy import StackValidationPolicy\n"
        "def validate(args, report):\n"
        "    return 1 // 0\n"
        "POLICIES = [StackValidationPolicy(name='divides', description='d', validate=validate)]\n"
    )
    (directory / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack\nfrom rules import POLICIES\nPolicyPack('broken', policies=POLICIES)\n"
    )
    return directory


def test_a_pack_loaded_again_in_the_process_reports_a_crash_as_the_first_time(tmp_path: Path) -> None:
    """Its modules (and so its policy objects) are kept between loads; the crash is named once,
    not wrapped in the previous load's report."""
    pack_dir = _crashing_pack(tmp_path / "broken")
    config = project.load(FIXTURES / "open_nfs", "test")
    graph = engine.run(config)
    messages = []
    for _ in range(3):
        with pytest.raises(analysis.PolicyCrash) as crash:
            analysis.analyze(analysis.load_pack(pack_dir), graph, config)
        messages.append(str(crash.value))
    assert messages == ["policy divides crashed: ZeroDivisionError: integer division or modulo by zero"] * 3


def test_loading_our_pack_again_starts_from_the_sdks_analyzer_class() -> None:
    """policy/__main__.py replaces pulumi-policy's analyzer class for its version, as a process
    does once; each load here subclasses the class as shipped, not the previous load's."""
    first, second = analysis.load_pack(ROOT / "policy"), analysis.load_pack(ROOT / "policy")
    assert type(first.servicer) is not type(second.servicer)
    assert type(first.servicer).__mro__[1:] == type(second.servicer).__mro__[1:]
    assert first.info.version == second.info.version
