"""Container definitions of ECS task definitions, read from the JSON the program serialised.

The provider decodes ``containerDefinitions`` strictly into the ECS API's types
(terraform-provider-aws ``expandContainerDefinitions``: ``tfjson.DecodeFromString`` into
``[]awstypes.ContainerDefinition``), so a boolean written as ``"true"`` is refused there, not
coerced: :func:`json_flag` reads it as :class:`Invalid`.
"""

from __future__ import annotations

from typing import Any

from ._graph import UNKNOWN, Invalid, Res, as_list, has_unknown, json_text

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def containers(res: Res) -> Any:
    """The container definitions (dicts), or UNKNOWN."""
    raw = res.get("containerDefinitions")
    if raw is None:
        return []
    if has_unknown(raw):
        return UNKNOWN
    parsed = json_text(raw)
    return [c for c in as_list(parsed) if isinstance(c, dict)]


def json_flag(v: Any, default: Any = False) -> Any:
    """A boolean field of a container definition: True/False, ``default`` when absent, or
    :class:`Invalid` for anything but a JSON boolean (the provider refuses it)."""
    if v is None:
        return default
    return v if isinstance(v, bool) else Invalid(v)


def name_of(container: dict[str, Any]) -> str:
    return repr(container.get("name"))
