"""ECS services are created after what their EFS mounts need.

ECS places tasks as soon as a service exists (or as soon as it is updated). Pulumi creates and
updates a resource only after everything it depends on, directly or through its dependencies'
own; resources with no dependency path between them are worked on in parallel. A service that
does not depend on the file system's mount targets starts tasks while the targets are still
``creating`` (a mount target takes about a minute and a half to become available), so the
first deployment's mounts time out; one that does not depend on the rules admitting NFS from
its tasks races them; one that does not depend on the file system policy may start tasks under
the previous policy on an update that changes both the grant and the access point. With the
deployment circuit breaker the deployment then rolls back, and ``pulumi up`` fails after the
steady-state wait.

Per ECS service whose task definition mounts a file system of the stack, the service must
depend (``depends_on``, an input computed from them, or through a parent that does) on:

* every mount target of that file system;
* every file system policy of it;
* every security group rule resource that admits NFS (TCP 2049) to a mount target's group from
  the service's groups or subnets, and every egress rule resource on the service's groups that
  lets 2049 out to a mount target's group. Inline rules are part of their group, which the
  mount targets (and the service) already depend on.

Dependencies are declared by the program, so they are known in every preview. No Security Hub
control or checkov check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import (
    SG_EGRESS_RULE,
    SG_RULE,
    SG_TYPES,
    SUBNET,
    UNKNOWN,
    Refs,
    Res,
    Stack,
    _unique,
    as_list,
    ingress_of,
    label,
    port_range_covers,
    rule_admits,
)
from ._rule import Unverifiable, stack_rule
from .efs_tls_policy import FS_POLICY, policies_of
from .mount_readiness import (
    MOUNT_TARGET,
    NFS_PORT,
    SERVICE,
    TASK_DEFINITION,
    _ecs_mounts,
    _mount_targets,
    unplaced_mount_targets,
)


def _before(source: Any) -> list[str]:
    """What Pulumi completes before ``source`` registers: its dependencies and its parent. The SDK
    sends a resource only after its parent's URN has resolved, and a parent only after its own
    dependencies have completed (``prepare_resource`` in pulumi/runtime/resource.py: "all our
    dependencies must be finished", "Wait for our parent to resolve"), so a service inside a
    component (awsx's FargateService, a team's own) waits for what the component depends on."""
    parent = getattr(source, "parent", None)
    return [d.urn for d in getattr(source, "dependencies", None) or []] + ([parent.urn] if parent is not None else [])


def depends_on(stack: Stack, res: Res) -> set[str]:
    """The URNs ``res`` depends on, directly or through its dependencies and ancestors (what
    Pulumi completes before it)."""

    def compute() -> set[str]:
        seen: set[str] = set()
        todo = _before(res.source)
        while todo:
            urn = todo.pop()
            if urn in seen:
                continue
            seen.add(urn)
            dep = stack.by_urn.get(urn)
            if dep is not None:
                todo += _before(dep.source)
        return seen

    return stack.memo(("depends-on", res.urn), compute)


def _egress_alternatives(stack: Stack, service_groups: Refs, target_groups: list[Res]) -> list[Res]:
    """Egress rule resources on the service's groups that let TCP 2049 out to a target group;
    empty when a group's inline egress already covers it (it is part of the group)."""
    mine = list(service_groups.found) if service_groups.exact else []
    for group in mine:
        for rule in as_list(group.setting("egress", default=[])):
            if not isinstance(rule, dict):
                return []
            ports = (rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))
            if port_range_covers(*ports, NFS_PORT) is not False:
                return []
    wanted = {g.urn for g in target_groups}
    owners = {g.urn for g in mine}
    fields = (
        (SG_EGRESS_RULE, "ipProtocol", "referencedSecurityGroupId"),
        (SG_RULE, "protocol", "sourceSecurityGroupId"),
    )
    found = []
    for token, protocol, peer in fields:
        for rule in stack.of_type(token):
            if token == SG_RULE and rule.setting("type") != "egress":
                continue
            owner = stack.refs(rule, "securityGroupId", SG_TYPES)
            to = stack.refs(rule, peer, SG_TYPES, optional=True)
            if not (owner.exact and to.exact):
                continue
            if not ({g.urn for g in owner.found} & owners and {g.urn for g in to.found} & wanted):
                continue
            ports = (rule.setting(protocol), rule.setting("fromPort"), rule.setting("toPort"))
            if port_range_covers(*ports, NFS_PORT) is True:
                found.append(rule)
    return found


def _needs(stack: Stack, service: Res, fs: Res) -> Iterator[list[Res]]:
    """What the service's mounts of ``fs`` need, as lists of alternatives: the service must
    depend on at least one resource of each list."""
    targets, _ = _mount_targets(stack, fs)
    for target in targets:
        yield [target]
    for policy in policies_of(stack, fs)[0]:
        yield [policy]
    peers = stack.refs(service, ("networkConfiguration", "securityGroups"), SG_TYPES)
    subnets = stack.refs(service, ("networkConfiguration", "subnets"), (SUBNET,))
    cidrs = [s.get("cidrBlock") for s in subnets.found] if subnets.exact and not subnets.outside else []
    cidrs = [] if any(c is UNKNOWN or not isinstance(c, str) for c in cidrs) else cidrs
    target_groups: list[Res] = []
    for target in targets:
        groups = stack.refs(target, "securityGroups", SG_TYPES, optional=True)
        target_groups += groups.found if groups.exact else []
    wanted = peers.keys if peers.exact else set()
    for group in _unique(target_groups):
        admitting = []
        for rule, exact in ingress_of(stack, group).rules:
            if not exact or rule.covers(NFS_PORT) is not True:
                continue
            if rule_admits(stack, rule, group, wanted, cidrs) is True:
                admitting.append(rule)
        if admitting and all(rule.holder is not group for rule in admitting):
            # Only rule resources admit the tasks (an inline rule is part of the group).
            yield [rule.holder for rule in admitting]
    egress = _egress_alternatives(stack, peers, target_groups)
    if egress:
        yield egress


_KIND = {MOUNT_TARGET: "a mount target", FS_POLICY: "the policy"}


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for service in stack.of_type(SERVICE):
        tds = stack.refs(service, "taskDefinition", (TASK_DEFINITION,))
        if not tds.complete:
            why = tds.why_not_complete("its task definition")
            yield Unverifiable(f"cannot verify what {label(service)} must wait for: {why}"), service.urn
        seen: set[str] = set()
        for td in tds.found:
            mounts = _ecs_mounts(stack, td)
            if mounts is UNKNOWN:
                yield (
                    Unverifiable(f"cannot verify what {label(service)} must wait for: the volumes of {label(td)}"),
                    service.urn,
                )
                continue
            for mount in mounts:
                if not mount.file_systems.complete:
                    why = mount.file_systems.why_not_complete("the file system")
                    yield Unverifiable(f"cannot verify what {label(service)} must wait for: {why}"), service.urn
                for fs in mount.file_systems.found:
                    before = depends_on(stack, service)
                    for alternatives in _needs(stack, service, fs):
                        if any(a.urn in before for a in alternatives) or alternatives[0].urn in seen:
                            continue
                        seen.add(alternatives[0].urn)
                        need = alternatives[0]
                        what = _KIND.get(need.type, "the NFS rule for its tasks")
                        names = " or ".join(label(a) for a in alternatives)
                        message = (
                            f"{label(service)} does not depend on {names}, {what} of {label(fs)}: Pulumi may "
                            "start the service, and its tasks, before it exists or changes, and their mounts fail. "
                            "Add it to the service's depends_on (FargateService.start() does)."
                        )
                        exact = tds.exact and mount.file_systems.exact
                        yield (
                            (message if exact else Unverifiable(f"cannot verify (candidates): {message}")),
                            service.urn,
                        )
                    # A mount target or policy whose file system is not known may be one of fs's.
                    for maybe in _unique([*unplaced_mount_targets(stack, fs), *policies_of(stack, fs)[1]]):
                        if maybe.urn in before or maybe.urn in seen:
                            continue
                        seen.add(maybe.urn)
                        yield (
                            Unverifiable(
                                f"cannot verify whether {label(service)} must wait for {label(maybe)}: its file "
                                "system is not known, and the service does not depend on it"
                            ),
                            service.urn,
                        )


ecs_mount_order = stack_rule(
    "efs-platform-ecs-mount-order",
    "ECS services that mount EFS must depend on the mount targets, the NFS rules admitting their tasks and "
    "the file system policy, so no task starts before its mounts can succeed. No Security Hub control or "
    "checkov check covers it.",
    _check,
)
