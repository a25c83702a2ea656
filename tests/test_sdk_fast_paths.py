"""The offline engine skips work of the Pulumi and pulumi-policy SDKs that cannot change what it
records or decides (``offline.engine.sdk_fast_paths``, ``offline.analysis.sdk_fast_paths``).
Proof: the same programs, run and judged with the SDKs as shipped, give the same graph and the
same verdicts."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import components  # noqa: F401 - loaded by this process, as the tests load it
from offline import analysis, engine, project
from offline.report import plain
from tests.conftest import FIXTURES, MODES, ROOT

PROGRAMS = [
    pytest.param(ROOT, "prod", id="prod"),
    pytest.param(FIXTURES / "styles" / "multi_service_access_points", "wrong-ap", id="style-wrong-ap"),
    pytest.param(FIXTURES / "styles" / "task_def_from_repo", "aws-keys-in-env", id="style-keys-in-env"),
]


def _graph(graph: engine.Graph) -> list[dict[str, Any]]:
    return [
        {
            "urn": r.urn,
            "id": r.id,
            "inputs": plain(r.inputs),
            "outputs": plain(r.outputs),
            "dependencies": sorted(r.dependencies),
            "property_dependencies": {k: sorted(v) for k, v in r.property_dependencies.items()},
            "provider": r.provider,
        }
        for r in graph.resources
    ]


@pytest.fixture
def as_shipped() -> Iterator[None]:
    engine.sdk_fast_paths(on=False)
    analysis.sdk_fast_paths(on=False)
    try:
        yield
    finally:
        engine.sdk_fast_paths()
        analysis.sdk_fast_paths()


def _preview(pack: analysis.LoadedPack, program: Any, stack: str, unknowns: bool) -> tuple[Any, Any]:
    config = project.load(program, stack)
    graph = engine.run(config, unknowns=unknowns)
    return _graph(graph), sorted(analysis.analyze(pack, graph, config), key=repr)


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize(("program", "stack"), PROGRAMS)
def test_the_sdk_shortcuts_change_neither_the_graph_nor_a_verdict(
    pack: analysis.LoadedPack, program: Any, stack: str, unknowns: bool, request: pytest.FixtureRequest
) -> None:
    fast = _preview(pack, program, stack, unknowns)
    request.getfixturevalue("as_shipped")
    shipped = _preview(pack, program, stack, unknowns)
    assert fast[1], "the program must have verdicts to compare"
    assert fast == shipped


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

    def who(directory: Path) -> str:
        return str(plain(engine.run(project.load(directory, "dev")).outputs)["who"])

    assert [who(first), who(second), who(first)] == ["one-first", "two-second", "one-first"]
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "components", copy / "components", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "components" / "__init__.py").write_text("raise ImportError('the copy was imported')\n")
    (copy / "Pulumi.yaml").write_text("name: copy\nruntime: python\n")
    (copy / "__main__.py").write_text("import components\n")
    with pytest.raises(engine.ProgramError, match="the copy was imported"):
        engine.run(project.load(copy, "dev"))
    assert sys.modules["components"] is components_before
