"""Validation shared by every component's Args.

Args validate themselves in ``__post_init__`` and raise :class:`ArgumentError`, which names the
Args field, the bad value and what is allowed. ``settings.py`` maps the field back to the stack
config key, so a user who wrote the config sees the key they wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ArgumentError(ValueError):
    """A component argument is invalid.

    ``fields`` are the Args fields involved (the first is the one to fix), ``value`` the value
    given and ``allowed`` a short statement of what is accepted.
    """

    def __init__(self, fields: str | tuple[str, ...], value: Any, allowed: str) -> None:
        self.fields = (fields,) if isinstance(fields, str) else fields
        self.value = value
        self.allowed = allowed
        super().__init__(f"{self.fields[0]}={value!r}: {allowed}")


def require_int_range(field: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(field, value, f"must be an integer from {low} to {high}")
    if not low <= value <= high:
        raise ArgumentError(field, value, f"must be from {low} to {high}")


def require_one_of(field: str, value: Any, allowed: Iterable[Any]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ArgumentError(field, value, "must be one of " + ", ".join(map(str, allowed)))
