"""The offline engine skips work of the Pulumi and pulumi-policy SDKs that cannot change what it
records or decides (``offline.engine.sdk_fast_paths``, ``offline.analysis.sdk_fast_paths``).
Proof: the same programs, run and judged with the SDKs as shipped, give the same graph and the
same verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
