"""Container definitions of ECS task definitions, read from the JSON the program serialised."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._graph import UNKNOWN, as_list, json_text, value

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def containers(args: ResourceValidationArgs) -> Any:
    """The container definitions (dicts), or UNKNOWN."""
    raw = value(args.props, "containerDefinitions")
    if raw is UNKNOWN:
        return UNKNOWN
    parsed = json_text(raw) if raw is not None else []
    return [c for c in as_list(parsed) if isinstance(c, Mapping)]
