"""Reading resources and following references, tolerant of unknown values.

In a real ``pulumi preview`` of a new stack, ids and ARNs of new resources are unknown, so a
stack policy cannot match ``subnetId`` against a subnet's ``id``. Every resource carries its
property dependencies, though: the resources each input property was computed from.
:meth:`Stack.refs` resolves a reference by id when the value is known and through the property
dependencies when it is not, and answers :data:`UNKNOWN` only when neither can tell; the rules
then report that they could not verify the resource instead of passing it silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; test `is UNKNOWN` first")


UNKNOWN: Any = _Unknown()


def value(props: Any, *path: str | int, default: Any = None, shallow: bool = False) -> Any:
    """``props[path[0]][path[1]]...``; ``default`` when absent or null, :data:`UNKNOWN` when a
    value on the way is not known yet, or (unless ``shallow``) anything inside the value read."""
    current = props
    try:
        for key in path:
            if isinstance(key, int):
                if not isinstance(current, Sequence) or isinstance(current, str) or key >= len(current):
                    return default
                current = current[key]
            else:
                if not isinstance(current, Mapping) or key not in current:
                    return default
                current = current[key]
            if current is None:
                return default
        # A container read whole must not hide an unknown inside it.
        if not shallow:
            _touch(current)
    except UnknownValueError:
        return UNKNOWN
    return current


def setting(res: PolicyResource, *path: str | int, default: Any = None, shallow: bool = False) -> Any:
    """A property the program may have set, read from a stack policy's view (outputs).

    In a preview, an output the program never set is unknown until the provider computes it;
    such a value has no property dependency, and the provider's default (``default``) applies.
    A value computed from another resource's unknown output has one, and stays :data:`UNKNOWN`.
    """
    v = value(res.props, *path, default=default, shallow=shallow)
    if v is UNKNOWN and not res.property_dependencies.get(str(path[0])):
        return default
    return v


def _touch(v: Any) -> None:
    if isinstance(v, Mapping):
        for k in v:
            _touch(v[k])
    elif isinstance(v, Sequence) and not isinstance(v, str):
        for item in v:
            _touch(item)


def as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)) or (isinstance(v, Sequence) and not isinstance(v, str)):
        return list(v)
    return [v]


def label(r: PolicyResource) -> str:
    return f"{r.resource_type} '{r.name}'"


class Stack:
    """The resources of a stack, indexed by type, with reference resolution."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.resource_type, []).append(r)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for t in types for r in self._by_type.get(t, [])]

    def refs(self, res: PolicyResource, prop: str, types: Sequence[str], id_prop: str = "id") -> Any:
        """The resources of ``types`` that ``res.props[prop]`` (an id or a list of ids) names.

        Known ids are matched against the candidates' ``id_prop``; an unknown value is resolved
        through the property dependencies. Returns ``[]`` when the value names nothing in this
        stack (or is absent), :data:`UNKNOWN` when it cannot be told.
        """
        all_deps = res.property_dependencies.get(prop, [])
        deps = [d for d in all_deps if d.resource_type in types]
        raw = value(res.props, prop)
        if raw is UNKNOWN:
            # Computed from other resources: those of ``types`` among them, if any. Only a value
            # computed from nothing in the stack cannot be placed.
            return _unique(deps) if all_deps else UNKNOWN
        ids = [i for i in as_list(raw) if i is not None]
        if not ids:
            return []
        matched = []
        for candidate in self.of_type(*types):
            candidate_id = value(candidate.props, id_prop)
            if candidate_id is not UNKNOWN and candidate_id in ids:
                matched.append(candidate)
        return _unique(matched or deps)


def _unique(resources: list[PolicyResource]) -> list[PolicyResource]:
    seen: set[str] = set()
    out = []
    for r in resources:
        if r.urn not in seen:
            seen.add(r.urn)
            out.append(r)
    return out
