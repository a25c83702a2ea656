"""The stack as the rules read it: one index, one way to follow a reference, unknowns kept.

A program can name another resource in many forms: ``vpc.id``, ``role.arn``, ``role.name``, an
id typed into config, an inline block (``ingress=[{"security_groups": [app.id]}]``) or a rule
resource, a value read from an ``aws.vpc`` rule or from a local component's output. Every rule
resolves all of them through :meth:`Stack.refs`, which answers with :class:`Refs`:

* a known value is looked up in an index built once per stack (by type and by every identifier a
  resource answers to: ``id``, ``arn``, ``name``, a task definition's family...); a known value
  that names nothing in the stack is **outside** it (subnets from config, a data source, another
  stack), and a rule that needs what it names says it cannot verify it;
* a value not known in this preview (a new stack: ids and ARNs are unknown) is resolved through
  the property dependencies the engine records for the top-level property that holds it. When
  several candidates could fill the unknown slots, the answer is not **exact**, and rules report a
  violation only when every candidate would be one;
* an unknown value that depends on nothing of the asked types is **unplaced**: cannot verify.

Properties are read once per stack as plain data (:data:`UNKNOWN` for unknown values), so a rule
costs what it reads, and reverse look-ups (the rules of a group, the mount targets of a file
system) come from indexes built on first use: every rule is near-linear in the stack's size.

Values are read as the provider reads them (:func:`flag`, :func:`number`): the Terraform bridge
hands strings to Terraform, whose type conversion (go-cty ``convert``: only ``"true"``/``"1"`` and
``"false"``/``"0"`` become booleans; a decimal string becomes a number) decides, so
``assign_public_ip="true"`` is a public IP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

# -- values ----------------------------------------------------------------------------------


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
"""A value not known in this preview."""

_SENTINELS = frozenset(
    (
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    )
)


@dataclass(frozen=True)
class Invalid:
    """A value the provider refuses for the property (``"yes"`` for a boolean): the deploy fails."""

    raw: Any

    def __str__(self) -> str:
        return repr(self.raw)


_PROXIES = ("_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy")
_TEXT, _MAP, _SEQ, _PROXY_MAP, _PROXY_SEQ, _OTHER = range(6)
_KINDS: dict[type, int] = {}


def _kind(t: type) -> int:
    """What :func:`plain` does with a value of type ``t`` (decided once per type: a property
    tree holds a handful of types, and ``isinstance`` on the ABCs is slow)."""
    kind = _KINDS.get(t)
    if kind is None:
        proxy = t.__name__ in _PROXIES
        if issubclass(t, str):
            kind = _TEXT
        elif issubclass(t, Mapping):
            kind = _PROXY_MAP if proxy else _MAP
        elif issubclass(t, Sequence) and not issubclass(t, (bytes, bytearray)):
            kind = _PROXY_SEQ if proxy else _SEQ
        else:
            kind = _OTHER
        _KINDS[t] = kind
    return kind


def plain(v: Any) -> Any:
    """pulumi-policy's property proxies as plain dicts and lists, unknowns as :data:`UNKNOWN`."""
    kind = _kind(type(v))
    if kind == _TEXT:
        return UNKNOWN if v in _SENTINELS else v
    if kind == _OTHER:
        return v
    target = v["__target"] if kind in (_PROXY_MAP, _PROXY_SEQ) else v
    if kind in (_MAP, _PROXY_MAP):
        return {k: plain(target[k]) for k in target}
    return [plain(x) for x in target]


def value(props: Any, *path: str | int, default: Any = None) -> Any:
    """``props[path[0]][path[1]]...``: ``default`` when absent or null, :data:`UNKNOWN` when a
    value on the way is unknown. Containers are returned as they are (they may hold unknowns)."""
    current = props
    for key in path:
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if not isinstance(current, list) or key >= len(current):
                return default
            current = current[key]
        else:
            if not isinstance(current, dict) or key not in current:
                return default
            current = current[key]
        if current is None:
            return default
    return current


def has_unknown(v: Any) -> bool:
    """Whether ``v`` is unknown or holds an unknown value anywhere inside."""
    if v is UNKNOWN:
        return True
    if isinstance(v, dict):
        return any(has_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(has_unknown(x) for x in v)
    return False


def as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return list(v)
    return [v]


def flag(v: Any, default: Any = None) -> Any:
    """A boolean property as the provider reads it: ``True``/``False``, :data:`UNKNOWN`,
    ``default`` when absent, or :class:`Invalid`. Strings convert as go-cty converts them
    (``cty/convert/conversion_primitive.go``: ``"true"``/``"1"``, ``"false"``/``"0"``)."""
    if v is None:
        return default
    if v is UNKNOWN or isinstance(v, bool):
        return v
    if isinstance(v, str):
        if v in ("true", "1"):
            return True
        if v in ("false", "0"):
            return False
    return Invalid(v)


def unclear(prop: str, v: Any) -> str:
    """Why a property's value cannot decide a verdict: not known yet, or refused by the provider."""
    if isinstance(v, Invalid):
        return f"{prop} is {v}, which the provider refuses"
    return f"{prop} is not known in this preview"


_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def number(v: Any, default: Any = None) -> Any:
    """A numeric property as the provider reads it: an ``int`` (or ``float``), :data:`UNKNOWN`,
    ``default`` when absent, or :class:`Invalid` (a decimal string converts, as in go-cty)."""
    if v is None:
        return default
    if v is UNKNOWN:
        return v
    if isinstance(v, bool):
        return Invalid(v)
    if isinstance(v, str):
        if not _DECIMAL.fullmatch(v):
            return Invalid(v)
        v = float(v)
    if isinstance(v, (int, float)):
        return int(v) if float(v).is_integer() else float(v)
    return Invalid(v)


def json_text(raw: Any) -> Any:
    """A JSON document given as text (or already parsed); ``None`` when it is not JSON."""
    if isinstance(raw, (dict, list)):
        return raw
    if raw is UNKNOWN:
        return UNKNOWN
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of an IAM policy document (a single statement may be a bare object)."""
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement", [])) if isinstance(s, dict)]


def port_range_covers(protocol: Any, from_port: Any, to_port: Any, port: int) -> Any:
    """Whether a security group rule (protocol, from, to) admits TCP ``port``: True, False or
    UNKNOWN. Protocol ``-1``/``all`` is every port; a TCP rule without a range is every port."""
    if protocol is UNKNOWN:
        return UNKNOWN
    proto = str(protocol).lower()
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    low, high = number(from_port), number(to_port)
    if low is UNKNOWN or high is UNKNOWN:
        return UNKNOWN
    if not isinstance(low, (int, float)) or not isinstance(high, (int, float)):
        return True  # no range given on a TCP rule: every port
    return low <= port <= high


def port_text(protocol: Any, from_port: Any, to_port: Any) -> str:
    """``tcp 2049``, ``tcp 0-65535``, ``all traffic``: a rule's ports as people write them."""
    if str(protocol).lower() in ("-1", "all"):
        return "all traffic"
    low, high = number(from_port), number(to_port)
    shown = f"{low}" if low == high else f"{low}-{high}"
    return f"{protocol} {shown}"


# -- resources -------------------------------------------------------------------------------


class Res:
    """One resource of the stack: its properties as plain data and its property dependencies
    (both read on first use: a rule pays only for the resources it looks at)."""

    __slots__ = ("_by_urn", "_children", "_deps", "_props", "name", "protect", "source", "type", "urn")

    def __init__(
        self,
        source: PolicyResource,
        by_urn: Mapping[str, Res] | None = None,
        children: Mapping[str, list[Res]] | None = None,
    ) -> None:
        self.source = source
        self.urn: str = source.urn
        self.type: str = source.resource_type
        self.name: str = source.name
        self.protect = bool(getattr(source.opts, "protect", False))
        self._by_urn = by_urn if by_urn is not None else {}
        self._children = children if children is not None else {}
        self._props: dict[str, Any] | None = None
        self._deps: dict[str, tuple[Res, ...]] | None = None

    @property
    def props(self) -> dict[str, Any]:
        if self._props is None:
            self._props = plain(self.source.props) if self.source.props is not None else {}
        return self._props

    @property
    def deps(self) -> dict[str, tuple[Res, ...]]:
        """Property dependencies: the resources of the stack each top-level property was
        computed from. A dependency on a component stands for the resources it holds: a program
        names a remote component (awsx) itself, since only its provider knows its children."""
        if self._deps is None:
            given = getattr(self.source, "property_dependencies", None) or {}
            self._deps = {
                key: tuple(_unique(e for d in deps if d.urn in self._by_urn for e in self._expand(self._by_urn[d.urn])))
                for key, deps in given.items()
            }
        return self._deps

    def _expand(self, dep: Res) -> Iterator[Res]:
        """What a dependency on ``dep`` stands for, as the SDK expands it (``_add_dependency`` in
        pulumi/runtime/rpc.py): a custom resource is itself, whatever its children (a VPC its
        subnets are parented to); a component stands for what it holds. The analyzer is not told
        which is which: a type of a provider's schema (``pkg:module/name:Type``) or a provider is
        custom; other types with children are components (a remote one, awsx, is named itself)."""
        kids = self._children.get(dep.urn)
        if not kids or _custom_type(dep.type):
            yield dep
            return
        for kid in kids:
            yield from self._expand(kid)

    def get(self, *path: str | int, default: Any = None) -> Any:
        return value(self.props, *path, default=default)

    def setting(self, *path: str | int, default: Any = None) -> Any:
        """A property the program may have set. In a preview an output the program never set is
        unknown until the provider computes it: such a value has no property dependency, and the
        provider's ``default`` applies. A value computed from another resource keeps
        :data:`UNKNOWN`."""
        v = self.get(*path, default=default)
        if v is UNKNOWN and not self.deps.get(str(path[0])):
            return default
        return v

    def __repr__(self) -> str:
        return f"<{self.type} {self.name}>"


def _custom_type(token: str) -> bool:
    """A custom resource's type token: a provider's (``pulumi:providers:aws``) or one of a
    provider's schema, whose module names its file (``aws:ec2/vpc:Vpc``, ``kubernetes:core/v1:Pod``)."""
    parts = token.split(":")
    return token.startswith("pulumi:providers:") or (len(parts) == 3 and "/" in parts[1])


def label(r: Any) -> str:
    kind = r.type if isinstance(r, Res) else getattr(r, "resource_type", "")
    return f"{kind} '{r.name}'"


# -- references ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refs:
    """What a property names, among the resources of some types."""

    found: tuple[Res, ...] = ()
    """Resources of the stack it names (candidates, when not :attr:`exact`)."""
    outside: tuple[str, ...] = ()
    """Known values that name nothing in this stack (ids from config, data sources...)."""
    unplaced: bool = False
    """Some value is unknown and depends on nothing that could be what it names."""
    exact: bool = True
    """False when some unknown value names one of several candidates in :attr:`found`."""

    @property
    def complete(self) -> bool:
        """Every referent is in the stack, and known exactly."""
        return self.exact and not self.outside and not self.unplaced

    @property
    def keys(self) -> set[str]:
        """Identity of each referent: a URN, or the literal value for one outside the stack."""
        return {r.urn for r in self.found} | set(self.outside)

    def __bool__(self) -> bool:
        return bool(self.found or self.outside or self.unplaced)

    @staticmethod
    def union(parts: Iterable[Refs], exact: bool = True) -> Refs:
        """Everything several references name (``exact`` False: the parts may not all apply)."""
        found: list[Res] = []
        outside: list[str] = []
        unplaced = False
        for part in parts:
            found += part.found
            outside += part.outside
            unplaced = unplaced or part.unplaced
            exact = exact and part.exact
        return Refs(tuple(_unique(found)), tuple(dict.fromkeys(outside)), unplaced, exact)

    def why_not_complete(self, what: str) -> str:
        if self.outside:
            return f"{what} {self.outside[0]} is not in this stack"
        if self.unplaced:
            return f"{what} is not known in this preview"
        return f"{what} is one of {', '.join(label(r) for r in self.found)}"


NO_REFS = Refs()

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_TYPES = (SECURITY_GROUP, DEFAULT_SG)
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
TABLES = (ROUTE_TABLE, DEFAULT_ROUTE_TABLE)
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
EKS = "aws:eks/cluster:Cluster"
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"

#: Objects AWS creates alongside another resource, which a program names through that
#: resource's output: (the kind asked for, the owner's type, the output holding its id). A
#: VPC's default security group and main route table, an EKS cluster's security group.
ALIASES: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    (SG_TYPES, VPC, ("defaultSecurityGroupId",)),
    (SG_TYPES, EKS, ("vpcConfig", "clusterSecurityGroupId")),
    (TABLES, VPC, ("defaultRouteTableId",)),
    (TABLES, VPC, ("mainRouteTableId",)),
)


def _identifiers(r: Res) -> Iterator[str]:
    """Every value a reference to ``r`` may hold."""
    for key in ("id", "arn", "name"):
        v = r.props.get(key)
        if isinstance(v, str) and v:
            yield v
    if r.type == TASK_DEFINITION:
        family, revision = r.props.get("family"), r.props.get("revision")
        if isinstance(family, str):
            yield family  # the latest ACTIVE revision
            if isinstance(revision, (int, float)):
                yield f"{family}:{int(revision)}"
        without = r.props.get("arnWithoutRevision")
        if isinstance(without, str):
            yield without


@dataclass
class Referrers:
    """Who refers to what, through one property of some types (see :meth:`Stack.referrers`)."""

    by_key: dict[str, list[tuple[Res, bool]]] = field(default_factory=dict)
    unplaced: list[Res] = field(default_factory=list)
    """Referrers whose target is not known: they may refer to anything."""

    def of(self, target: Res | str) -> list[tuple[Res, bool]]:
        """(referrer, exact) pairs that name ``target`` (a resource, or an outside id)."""
        key = target.urn if isinstance(target, Res) else target
        return self.by_key.get(key, [])


class Stack:
    """The resources of a stack, indexed once: by URN, type and identifier."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.by_urn: dict[str, Res] = {}
        self.children: dict[str, list[Res]] = {}
        self.resources = [Res(r, self.by_urn, self.children) for r in resources]
        self._by_type: dict[str, list[Res]] = {}
        for r in self.resources:
            self.by_urn[r.urn] = r
            self._by_type.setdefault(r.type, []).append(r)
            parent = getattr(r.source, "parent", None)
            if parent is not None:
                self.children.setdefault(parent.urn, []).append(r)
        self._keys: dict[str, dict[str, list[Res]]] = {}
        self._alias_owners: dict[str, set[str]] = {}
        for kinds, owner_type, _ in ALIASES:
            for kind in kinds:
                self._alias_owners.setdefault(kind, set()).add(owner_type)
        self._cache: dict[Any, Any] = {}

    def _keys_of(self, kind: str) -> dict[str, list[Res]]:
        """Identifier -> resources answering to it as a ``kind`` (built on first use)."""
        keys = self._keys.get(kind)
        if keys is None:
            keys = {}
            for r in self._by_type.get(kind, []):
                for key in dict.fromkeys(_identifiers(r)):
                    keys.setdefault(key, []).append(r)
            for kinds, owner_type, path in ALIASES:
                if kind in kinds:
                    for owner in self._by_type.get(owner_type, []):
                        alias = owner.get(*path)
                        if isinstance(alias, str) and alias:
                            keys.setdefault(alias, []).append(owner)
            self._keys[kind] = keys
        return keys

    def of_type(self, *types: str) -> list[Res]:
        return [r for t in types for r in self._by_type.get(t, [])]

    def lookup(self, key: str, types: Sequence[str]) -> list[Res]:
        """The resources of ``types`` that answer to ``key`` (an id, ARN, name...)."""
        found: list[Res] = []
        for t in types:
            found += self._keys_of(t).get(key, [])
        return _unique(self.canonical(r, types) for r in found)

    def _acts_as(self, r: Res, types: Sequence[str]) -> bool:
        return r.type in types or any(r.type in self._alias_owners.get(t, ()) for t in types)

    def canonical(self, r: Res, types: Sequence[str]) -> Res:
        """A VPC named as a security group (route table) is its default group (main route table):
        the ``DefaultSecurityGroup`` (``DefaultRouteTable``) adopting it when the stack has one."""
        if r.type != VPC:
            return r
        for adopter in (DEFAULT_SG, DEFAULT_ROUTE_TABLE):
            if adopter in types:
                return self._adopters().get((adopter, r.urn), r)
        return r

    def _adopters(self) -> dict[tuple[str, str], Res]:
        def compute() -> dict[tuple[str, str], Res]:
            found: dict[tuple[str, str], Res] = {}
            for group in self.of_type(DEFAULT_SG):
                for vpc in self.refs(group, "vpcId", (VPC,)).found:
                    found.setdefault((DEFAULT_SG, vpc.urn), group)
            for table in self.of_type(DEFAULT_ROUTE_TABLE):
                for vpc in self.alias_owner(table, "defaultRouteTableId", VPC).found:
                    found.setdefault((DEFAULT_ROUTE_TABLE, vpc.urn), table)
            return found

        return self.memo("adopters", compute)

    def alias_owner(self, res: Res, path: str, owner_type: str) -> Refs:
        """The resource whose alias output (``defaultRouteTableId``...) ``res.props[path]`` holds."""
        raw = res.get(path)
        if raw is UNKNOWN:
            owners = [d for d in res.deps.get(path, ()) if d.type == owner_type]
            return Refs(tuple(owners), exact=len(owners) == 1) if owners else Refs(unplaced=True)
        if not isinstance(raw, str) or not raw:
            return NO_REFS
        owners = [r for kind in (SG_TYPES + TABLES) for r in self._keys_of(kind).get(raw, []) if r.type == owner_type]
        return Refs(tuple(_unique(owners))) if owners else Refs(outside=(raw,))

    def refs(self, res: Res, path: str | Sequence[str | int], types: Sequence[str], *, optional: bool = False) -> Refs:
        """What ``res.props[path...]`` (an identifier or a list of them) names among ``types``.

        Unknown entries are resolved through the property dependencies of the top-level
        property; see the module docstring for :attr:`Refs.exact`, ``outside`` and ``unplaced``.
        ``optional``: the provider does not require the property, so an unknown top-level value
        that depends on nothing is one the program never set (see :meth:`Res.setting`) and names
        nothing; for a required property it is a value no resource here explains.
        """
        path = (path,) if isinstance(path, str) else tuple(path)
        raw = res.get(*path)
        deps = res.deps.get(str(path[0]), ())
        if optional and len(path) == 1 and raw is UNKNOWN and not deps:
            return NO_REFS
        return self.resolve(raw, deps, types)

    def resolve(self, raw: Any, deps: Sequence[Res], types: Sequence[str]) -> Refs:
        """:meth:`refs` for a value read by the caller, with the dependencies of its property."""
        entries = [UNKNOWN] if raw is UNKNOWN else [e for e in as_list(raw) if e is not None and e != ""]
        found: list[Res] = []
        outside: list[str] = []
        unknown_slots = 0
        exact = True
        for entry in entries:
            if entry is UNKNOWN:
                unknown_slots += 1
                continue
            hits = self.lookup(str(entry), types) if isinstance(entry, (str, int, float)) else []
            if hits:
                found += hits
                exact = exact and len(hits) == 1
            else:
                outside.append(str(entry))
        unplaced = False
        if unknown_slots:
            typed = [d for d in deps if d.type in types]
            candidates = typed or [d for d in deps if self._acts_as(d, types)]
            candidates = [c for c in _unique(self.canonical(d, types) for d in candidates) if c not in found]
            if not candidates:
                unplaced = True
            else:
                found += candidates
                # A whole value computed from several candidates may name any of them (an apply
                # can filter): exact only when there is one. Unknown entries of a known list are
                # filled one candidate each.
                exact = exact and len(candidates) == (1 if raw is UNKNOWN else unknown_slots)
        return Refs(tuple(_unique(found)), tuple(dict.fromkeys(outside)), unplaced, exact)

    def referrers(
        self,
        types: Sequence[str],
        path: str | Sequence[str | int],
        target_types: Sequence[str],
        *,
        optional: bool = False,
    ) -> Referrers:
        """Reverse index, built once: for every resource of ``types``, what its ``path`` names
        among ``target_types``."""
        key = ("referrers", tuple(types), path if isinstance(path, str) else tuple(path), tuple(target_types))
        cached = self._cache.get(key)
        if cached is None:
            cached = Referrers()
            for r in self.of_type(*types):
                refs = self.refs(r, path, target_types, optional=optional)
                for target in refs.found:
                    cached.by_key.setdefault(target.urn, []).append((r, refs.exact))
                for literal in refs.outside:
                    cached.by_key.setdefault(literal, []).append((r, True))
                if refs.unplaced:
                    cached.unplaced.append(r)
            self._cache[key] = cached
        return cached

    def memo(self, key: Any, compute: Any) -> Any:
        """A value computed once per stack (shared by the checks of one rule)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def _unique(resources: Iterable[Res]) -> list[Res]:
    seen: set[str] = set()
    out = []
    for r in resources:
        if r.urn not in seen:
            seen.add(r.urn)
            out.append(r)
    return out


# -- security group rules --------------------------------------------------------------------


@dataclass
class Ingress:
    """One ingress permission, wherever it was declared."""

    holder: Res
    """The resource that declares it (the group for inline rules, else the rule resource)."""
    groups: Refs
    """The security groups it opens."""
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: list[Any]
    """IPv4 and IPv6 CIDRs (entries may be :data:`UNKNOWN`)."""
    peers: Refs
    """Security groups it admits."""
    prefix_lists: Refs = field(default_factory=Refs)
    """Managed prefix lists it admits."""
    self_reference: Any = False
    inline_index: int | None = None

    def covers(self, port: int) -> Any:
        return port_range_covers(self.protocol, self.from_port, self.to_port, port)

    @property
    def ports(self) -> str:
        return port_text(self.protocol, self.from_port, self.to_port)


# Rule resources and where each keeps (protocol, IPv4 CIDRs, IPv6 CIDRs, source group, prefix lists).
_RULE_FIELDS = {
    SG_RULE: ("protocol", "cidrBlocks", "ipv6CidrBlocks", "sourceSecurityGroupId", "prefixListIds"),
    SG_INGRESS_RULE: ("ipProtocol", "cidrIpv4", "cidrIpv6", "referencedSecurityGroupId", "prefixListId"),
}


def _cidrs(v: Any) -> list[Any]:
    if v is UNKNOWN:
        return [UNKNOWN]
    return [c for c in as_list(v) if c is UNKNOWN or c]


def source_cidrs(stack: Stack, rule: Ingress) -> list[Any]:
    """The CIDRs a permission admits: its own, and those of the managed prefix lists it names
    (entries inline or as ``ManagedPrefixListEntry`` resources). :data:`UNKNOWN` stands for what
    cannot be read here: an unknown value, or a prefix list outside the stack (AWS's own lists,
    such as S3's, hold public ranges)."""
    cidrs = list(rule.cidrs)
    if rule.prefix_lists.outside or rule.prefix_lists.unplaced:
        cidrs.append(UNKNOWN)
    entries = stack.referrers((PREFIX_LIST_ENTRY,), "prefixListId", (PREFIX_LIST,))
    for prefix_list in rule.prefix_lists.found:
        inline = prefix_list.setting("entries", default=[])
        if inline is UNKNOWN:
            cidrs.append(UNKNOWN)
        else:
            cidrs += [value(e, "cidr") if isinstance(e, dict) else UNKNOWN for e in inline]
        cidrs += [entry.get("cidr", default=UNKNOWN) for entry, _ in entries.of(prefix_list)]
        if entries.unplaced:
            cidrs.append(UNKNOWN)
    return [c for c in cidrs if c is UNKNOWN or c]


def all_ingress(stack: Stack) -> list[Ingress]:
    """Every ingress permission of the stack: inline on ``aws.ec2.SecurityGroup``, and
    ``aws.ec2.SecurityGroupRule`` / ``aws.vpc.SecurityGroupIngressRule`` resources."""
    return stack.memo("ingress", lambda: list(_collect_ingress(stack)))


def _collect_ingress(stack: Stack) -> Iterator[Ingress]:
    for group in stack.of_type(SECURITY_GROUP):
        own = Refs((group,))
        inline = group.setting("ingress", default=[])
        if inline is UNKNOWN:
            yield Ingress(group, own, UNKNOWN, UNKNOWN, UNKNOWN, [UNKNOWN], Refs(unplaced=True), inline_index=-1)
            continue
        for i in range(len(as_list(inline))):
            rule = value(inline, i)
            if not isinstance(rule, dict):
                yield Ingress(group, own, UNKNOWN, UNKNOWN, UNKNOWN, [UNKNOWN], Refs(unplaced=True), inline_index=i)
                continue
            yield Ingress(
                group,
                own,
                rule.get("protocol"),
                rule.get("fromPort"),
                rule.get("toPort"),
                _cidrs(rule.get("cidrBlocks")) + _cidrs(rule.get("ipv6CidrBlocks")),
                stack.refs(group, ("ingress", i, "securityGroups"), SG_TYPES),
                stack.refs(group, ("ingress", i, "prefixListIds"), (PREFIX_LIST,)),
                flag(rule.get("self"), default=False),
                inline_index=i,
            )
    for token, (protocol, ipv4, ipv6, source, prefix_lists) in _RULE_FIELDS.items():
        for rule in stack.of_type(token):
            kind = rule.setting("type")
            if token == SG_RULE and kind != "ingress":
                if kind is UNKNOWN:
                    yield Ingress(rule, Refs(unplaced=True), UNKNOWN, UNKNOWN, UNKNOWN, [UNKNOWN], Refs(unplaced=True))
                continue
            yield Ingress(
                rule,
                stack.refs(rule, "securityGroupId", SG_TYPES),
                rule.setting(protocol),
                rule.setting("fromPort"),
                rule.setting("toPort"),
                _cidrs(rule.setting(ipv4)) + _cidrs(rule.setting(ipv6)),
                stack.refs(rule, source, SG_TYPES, optional=True),
                stack.refs(rule, prefix_lists, (PREFIX_LIST,), optional=True),
                flag(rule.setting("self"), default=False),
            )


@dataclass
class GroupIngress:
    """The ingress permissions that open one group."""

    rules: list[tuple[Ingress, bool]]
    """(permission, exact): not exact when the permission may open another group instead."""
    unplaced: list[Ingress]
    """Permissions whose group is not known: they may open this one."""


def ingress_of(stack: Stack, group: Res | str) -> GroupIngress:
    """The permissions that open ``group`` (a resource, or the id of a group outside the stack)."""
    index = stack.memo("ingress-by-group", lambda: _index_ingress(stack))
    by_key, unplaced = index
    key = group.urn if isinstance(group, Res) else group
    return GroupIngress(by_key.get(key, []), unplaced)


def _index_ingress(stack: Stack) -> tuple[dict[str, list[tuple[Ingress, bool]]], list[Ingress]]:
    by_key: dict[str, list[tuple[Ingress, bool]]] = {}
    unplaced: list[Ingress] = []
    for rule in all_ingress(stack):
        for key in rule.groups.keys:
            by_key.setdefault(key, []).append((rule, rule.groups.exact))
        if rule.groups.unplaced:
            unplaced.append(rule)
    return by_key, unplaced


def admits(stack: Stack, group: Res | str, peers: Refs, cidrs: Sequence[str], port: int) -> Any:
    """Whether ``group`` admits TCP ``port`` from ``peers`` (the workload's security groups), or
    from every CIDR in ``cidrs`` (the workload's subnets): True, False or UNKNOWN. When ``peers``
    are candidates (not exact), each must be admitted. Memoized: many workloads share groups."""
    key = (
        "admits",
        group.urn if isinstance(group, Res) else group,
        frozenset(peers.keys),
        peers.exact,
        peers.unplaced,
        tuple(cidrs),
        port,
    )
    return stack.memo(key, lambda: _admits_any(stack, group, peers, cidrs, port))


def _admits_any(stack: Stack, group: Res | str, peers: Refs, cidrs: Sequence[str], port: int) -> Any:
    if peers.found and not peers.exact:
        verdicts = [_admits(stack, group, Refs((c,)), cidrs, port) for c in peers.found]
        verdict = True if all(v is True for v in verdicts) else False if all(v is False for v in verdicts) else UNKNOWN
    else:
        verdict = _admits(stack, group, peers, cidrs, port)
    return UNKNOWN if verdict is False and peers.unplaced else verdict


def _admits(stack: Stack, group: Res | str, peers: Refs, cidrs: Sequence[str], port: int) -> Any:
    opened = ingress_of(stack, group)
    wanted = peers.keys
    undecided = bool(opened.unplaced)
    slot_rules = False
    for rule, exact in opened.rules:
        covers = rule.covers(port)
        if covers is False:
            continue
        verdict = rule_admits(stack, rule, group, wanted, cidrs)
        if verdict == "slot":
            slot_rules = True
        elif verdict is True and covers is True and exact:
            return True
        elif verdict is not False:
            undecided = True
    if slot_rules:
        # Inline rules whose peers are unknown share the candidates of the group's `ingress`;
        # a candidate fills one of their slots, so it is admitted when every such rule covers
        # the port.
        shared = [
            (r, exact)
            for r, exact in opened.rules
            if r.inline_index is not None and not r.peers.exact and wanted & r.peers.keys
        ]
        if all(exact and r.covers(port) is True for r, exact in shared):
            return True
        undecided = True
    return UNKNOWN if undecided else False


def rule_admits(stack: Stack, rule: Ingress, group: Res | str, wanted: set[str], cidrs: Sequence[str]) -> Any:
    """Whether one permission admits the peers (True, False, UNKNOWN), or "slot": one of the
    peers is among the candidates of an unknown inline peer."""
    import ipaddress  # noqa: PLC0415 - only here and in nfs_ingress are addresses parsed

    verdict: Any = False
    if rule.self_reference is True and isinstance(group, Res) and group.urn in wanted:
        return True
    if rule.self_reference is UNKNOWN:
        verdict = UNKNOWN
    if wanted & rule.peers.keys:
        if rule.peers.exact:
            return True
        verdict = "slot" if rule.inline_index is not None else UNKNOWN
    elif rule.peers.unplaced:
        verdict = UNKNOWN
    networks = []
    for c in source_cidrs(stack, rule):
        if c is UNKNOWN:
            verdict = UNKNOWN if verdict is False else verdict
            continue
        try:
            networks.append(ipaddress.ip_network(str(c), strict=False))
        except ValueError:
            continue
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    if cidrs and all(any(ipaddress.IPv4Network(c, strict=False).subnet_of(n) for n in v4) for c in cidrs):
        return True
    return verdict


# -- JSON documents --------------------------------------------------------------------------


def json_value(res: Res, prop: str) -> Any:
    """A property holding a JSON document (IAM policy, container definitions) as parsed data;
    :data:`UNKNOWN` when it is not known yet (or holds an unknown), ``None`` when absent or
    not JSON."""
    raw = res.get(prop)
    if raw is None:
        return None
    if has_unknown(raw):
        return UNKNOWN
    return json_text(raw)
