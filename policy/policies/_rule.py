"""Builders that keep each rule module down to its check: the check yields messages (resource
rules) or (message, urn) pairs (stack rules); the builders filter by type and report.

A message that is an :class:`Unverifiable` says what could not be decided because a value is
not known in this preview. Definite violations are reported at the rule's level; the
unverifiable ones are reported together, the way pulumi-policy reports any unknown value: one
advisory "can't run policy ... during preview" diagnostic naming them. A real preview of an
existing stack knows these values, so the rule decides there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ._graph import Res, Stack

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


class Unverifiable(str):
    """A message for something that cannot be decided in this preview."""


def _report(findings: Iterable[tuple[str, str | None]], report: ReportViolation) -> None:
    """Report definite violations; raise the unverifiable ones together, as pulumi-policy's own
    unknown-value error (an advisory diagnostic), once each and in order."""
    unverified: list[str] = []
    for message, urn in findings:
        if isinstance(message, Unverifiable):
            unverified.append(str(message))
        else:
            report(message, urn)
    if unverified:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = "; ".join(dict.fromkeys(unverified))
        raise error


def resource_rule(
    name: str,
    description: str,
    types: tuple[str, ...],
    check: Callable[[Res, dict[str, Any]], Iterable[str]],
    *,
    level: EnforcementLevel = MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A rule on each resource of ``types``, reading its inputs (as a :class:`Res`: plain data,
    unknowns as ``UNKNOWN``). ``config`` is the JSON schema of its properties (with defaults)."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type in types:
            resource = Res(args)  # type: ignore[arg-type]  # the same fields as a PolicyResource
            _report(((m, None) for m in check(resource, _config(args.get_config(), config))), report)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        enforcement_level=level,
        validate=validate,
        config_schema=PolicyConfigSchema(properties=config) if config else None,
    )


def stack_rule(
    name: str,
    description: str,
    check: Callable[[Stack, dict[str, Any]], Iterable[tuple[str, str]]],
    *,
    level: EnforcementLevel = MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A rule on the whole graph; the check yields (message, urn of the resource at fault)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        _report(check(Stack(args.resources), _config(args.get_config(), config)), report)

    return StackValidationPolicy(
        name=name,
        description=description,
        enforcement_level=level,
        validate=validate,
        config_schema=PolicyConfigSchema(properties=config) if config else None,
    )


def _config(given: Mapping[str, Any] | None, schema: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """The rule's settings: schema defaults (the CLI applies them, but a pack driven another way
    may not) under what the policy config gives."""
    defaults = {k: v["default"] for k, v in (schema or {}).items() if "default" in v}
    return {**defaults, **(given or {})}
