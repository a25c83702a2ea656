"""Config values set with ``pulumi config set --secret`` stay secret wherever they land.

The stack settings are read as plain values (they are validated and turned into Args), which
strips the secret bit Pulumi keeps on ``Config.get_secret``. :class:`SecretValues` puts it back:
registered as a stack transformation, it marks as secret every resource input that carries one
of the values (a plain string that contains it, or an output that resolves to something that
does: a container definition JSON with a secret environment value), and :meth:`guard` does the
same for a stack output. Pulumi then encrypts those inputs and outputs in the state and shows
them as ``[secret]`` in previews and diffs
(https://www.pulumi.com/docs/iac/concepts/secrets/#how-secrets-relate-to-outputs).

Values are matched by content: a string of eight characters or more anywhere inside another
string; a shorter value (a port, a flag) only as the whole value, so "80" does not make every
string with an 80 in it secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulumi
from pulumi import _types

_MIN_SUBSTRING = 8


class SecretValues:
    def __init__(self, values: Iterable[str]) -> None:
        self._values = tuple(sorted({v for v in values if v}))

    def __bool__(self) -> bool:
        return bool(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValues) and self._values == other._values

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"SecretValues({len(self._values)} values)"  # never the values themselves

    def carries(self, value: Any) -> bool:
        """Whether a plain value (nested lists and dicts too) holds one of the secret values."""
        if isinstance(value, str):
            return any(value == s or (len(s) >= _MIN_SUBSTRING and s in value) for s in self._values)
        if isinstance(value, bool):
            return str(value).lower() in self._values
        if isinstance(value, (int, float)):
            return str(value) in self._values
        if isinstance(value, dict):
            return any(self.carries(k) or self.carries(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return any(self.carries(v) for v in value)
        if _types.is_input_type(type(value)):
            return self.carries(vars(value))
        return False

    def guard(self, value: Any) -> Any:
        """``value`` with every part that carries a secret value marked secret; the rest untouched
        (its structure, known parts and dependencies stay as they are)."""
        if not self._values:
            return value
        if isinstance(value, pulumi.Output):
            return value.apply(lambda v: pulumi.Output.secret(v) if self.carries(v) else v)
        if isinstance(value, dict):
            return {k: self.guard(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.guard(v) for v in value]
        if _types.is_input_type(type(value)):
            # An Args class: rebuilt from its guarded fields, as Output.from_input rebuilds one.
            return type(value)(**{k: self.guard(v) for k, v in vars(value).items()})
        if isinstance(value, (str, int, float)) and self.carries(value):
            return pulumi.Output.secret(value)
        return value

    def transformation(self, args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not self._values:
            return None
        return pulumi.ResourceTransformationResult(self.guard(dict(args.props)), args.opts)

    def register(self) -> None:
        """Guard every resource the program registers from now on (components' children too)."""
        if self._values:
            pulumi.runtime.register_stack_transformation(self.transformation)
