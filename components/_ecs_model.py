"""Container definitions checked against AWS's own ECS service model (from botocore) before they
reach a resource: shape, required members, types and enum values. A misspelt key or a bad enum
fails the preview naming the field, instead of failing the deploy minutes later."""

from __future__ import annotations

import functools
from typing import Any

from botocore.model import Shape, StructureShape
from botocore.validate import ParamValidator

from ._aws import botocore_session
from ._validation import ArgumentError


@functools.cache
def _shape(name: str) -> Shape:
    return botocore_session().get_service_model("ecs").shape_for(name)


def _enum_errors(value: Any, shape: Shape, path: str) -> list[str]:
    errors = []
    if shape.type_name == "string" and shape.enum and isinstance(value, str) and value not in shape.enum:
        errors.append(f"Invalid value for {path}: {value!r}, valid values: {', '.join(shape.enum)}")
    elif shape.type_name == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        for key, item in value.items():
            if key in shape.members:
                errors += _enum_errors(item, shape.members[key], f"{path}.{key}" if path else key)
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            errors += _enum_errors(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            errors += _enum_errors(item, shape.value, f"{path}.{key}")
    return errors


def validate(shape_name: str, value: dict[str, Any], where: str) -> None:
    """Raise :class:`ArgumentError` listing every problem of ``value`` as an ECS ``shape_name``."""
    shape = _shape(shape_name)
    report = ParamValidator().validate(value, shape).generate_report()
    problems = [
        line.strip() for line in report.splitlines() if line.strip() and not line.startswith("Parameter validation")
    ]
    problems += _enum_errors(value, shape, "")
    if problems:
        raise ArgumentError(
            where, value.get("name", shape_name), f"not a valid ECS {shape_name}: " + "; ".join(problems)
        )
