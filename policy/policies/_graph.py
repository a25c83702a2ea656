"""Reading resources and following references, tolerant of unknown values.

In a real ``pulumi preview`` of a new stack, ids and ARNs of new resources are unknown, so a
stack policy cannot match ``subnetId`` against a subnet's ``id``. Every resource carries its
property dependencies, though: the resources each input property was computed from.
:meth:`Stack.refs` resolves a reference by id when the value is known and through the property
dependencies when it is not, and answers :data:`UNKNOWN` only when neither can tell; the rules
then report that they could not verify the resource instead of passing it silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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

    def refs(self, res: PolicyResource | NestedView, prop: str, types: Sequence[str], id_prop: str = "id") -> Any:
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


def json_value(res: PolicyResource, prop: str) -> Any:
    """A property holding a JSON document (IAM policy, container definitions) as parsed data;
    :data:`UNKNOWN` when it is not known yet, ``None`` when absent or not JSON."""
    raw = value(res.props, prop)
    if raw is UNKNOWN or raw is None:
        return raw
    return json_text(raw)


def json_text(raw: Any) -> Any:
    """A JSON document given as text (or already parsed); ``None`` when it is not JSON."""
    if isinstance(raw, (Mapping, Sequence)) and not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of an IAM policy document (a single statement may be a bare object)."""
    if not isinstance(document, Mapping):
        return []
    found = document.get("Statement", [])
    return [s for s in as_list(found) if isinstance(s, Mapping)]


def port_range_covers(protocol: Any, from_port: Any, to_port: Any, port: int) -> bool:
    """Whether a security group rule (protocol, from, to) admits TCP ``port``."""
    proto = str(protocol).lower()
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    try:
        low, high = int(from_port), int(to_port)
    except (TypeError, ValueError):
        return True  # no range given on a TCP rule: treat as every port
    return low <= port <= high


@dataclass
class IngressRule:
    """One ingress permission on a security group, wherever it was declared."""

    holder: PolicyResource
    """The resource that declares it (the group for inline rules, else the rule resource)."""

    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: list[Any] = field(default_factory=list)
    """IPv4 and IPv6 CIDRs (entries may be :data:`UNKNOWN`)."""

    peers: Any = field(default_factory=list)
    """Security groups it admits: groups in the stack, ids of groups outside it, the resources
    that compute an outside group's id when it is not known yet, or :data:`UNKNOWN`."""

    prefix_lists: list[Any] = field(default_factory=list)
    self_reference: bool = False
    unknown: bool = False
    """Part of the rule could not be read in this preview."""

    def covers(self, port: int) -> bool:
        return port_range_covers(self.protocol, self.from_port, self.to_port, port)


SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_TYPES = (SECURITY_GROUP, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
# Rule resources and where each keeps (protocol, IPv4 CIDRs, IPv6 CIDRs, source group, prefix lists).
_RULE_FIELDS = {
    SG_RULE: ("protocol", "cidrBlocks", "ipv6CidrBlocks", "sourceSecurityGroupId", "prefixListIds"),
    SG_INGRESS_RULE: ("ipProtocol", "cidrIpv4", "cidrIpv6", "referencedSecurityGroupId", "prefixListId"),
}


def ingress_rules(stack: Stack, group: PolicyResource) -> list[IngressRule]:
    """Every ingress rule of ``group``: inline, ``aws.ec2.SecurityGroupRule`` and
    ``aws.vpc.SecurityGroupIngressRule`` resources that target it."""
    rules: list[IngressRule] = []
    inline = setting(group, "ingress", default=[], shallow=True)
    if inline is UNKNOWN:
        rules.append(IngressRule(group, "-1", None, None, unknown=True))
    else:
        for i in range(len(as_list(inline))):
            rule = value(group.props, "ingress", i, shallow=True)
            if rule is UNKNOWN or not isinstance(rule, Mapping):
                rules.append(IngressRule(group, "-1", None, None, unknown=True))
                continue
            get = lambda key, i=i: value(group.props, "ingress", i, key)  # noqa: E731
            peers = get("securityGroups")
            rules.append(
                IngressRule(
                    group,
                    get("protocol"),
                    get("fromPort"),
                    get("toPort"),
                    cidrs=_cidrs(get("cidrBlocks")) + _cidrs(get("ipv6CidrBlocks")),
                    peers=UNKNOWN if peers is UNKNOWN else as_list(peers),
                    prefix_lists=as_list(get("prefixListIds")),
                    self_reference=get("self") is True,
                    unknown=any(get(k) is UNKNOWN for k in ("protocol", "fromPort", "toPort")),
                )
            )
    for token, (protocol, ipv4, ipv6, source_prop, prefix_lists) in _RULE_FIELDS.items():
        for rule in stack.of_type(token):
            if (token == SG_RULE and setting(rule, "type") != "ingress") or group not in _targets(stack, rule):
                continue
            source = stack.refs(rule, source_prop, SG_TYPES)
            source_id = setting(rule, source_prop)
            if source is UNKNOWN or source:
                peers = source
            elif source_id is UNKNOWN:
                # A group this stack does not create, computed by another resource (an EKS
                # cluster's security group): the peer is that resource.
                peers = list(rule.property_dependencies.get(source_prop, [])) or UNKNOWN
            else:
                peers = [] if source_id in (None, "") else [source_id]
            rules.append(
                IngressRule(
                    rule,
                    setting(rule, protocol),
                    setting(rule, "fromPort"),
                    setting(rule, "toPort"),
                    cidrs=_cidrs(setting(rule, ipv4)) + _cidrs(setting(rule, ipv6)),
                    peers=peers,
                    prefix_lists=as_list(setting(rule, prefix_lists)),
                    self_reference=setting(rule, "self") is True,
                )
            )
    return rules


def _targets(stack: Stack, rule: PolicyResource) -> list[PolicyResource]:
    found = stack.refs(rule, "securityGroupId", SG_TYPES)
    return [] if found is UNKNOWN else found


def _cidrs(v: Any) -> list[Any]:
    if v is UNKNOWN:
        return [UNKNOWN]
    return [c for c in as_list(v) if c]


class NestedView:
    """A nested object of a resource (``networkConfiguration``, ``vpcConfig``) read like a
    resource, so :meth:`Stack.refs` can resolve its references: they inherit the property
    dependencies of the top-level property that holds them."""

    def __init__(self, res: PolicyResource, prop: str, props: Any) -> None:
        self.urn = res.urn
        self.name = res.name
        self.resource_type = res.resource_type
        self.props = props
        deps = res.property_dependencies.get(prop, [])
        self.property_dependencies = {key: deps for key in (props if isinstance(props, Mapping) else {})}
