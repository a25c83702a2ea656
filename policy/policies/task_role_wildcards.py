"""IAM policies of ECS task roles grant no ``*`` actions (advisory).

A task role is the application's identity; ``*`` or ``service:*`` actions give a compromised
container everything. Security Hub IAM.21; checkov CKV_AWS_290 (CKV_AWS_63 for ``*``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource

from ._graph import UNKNOWN, Stack, as_list, json_text, json_value, label, setting, statements, value
from ._rule import ADVISORY, Unverifiable, stack_rule

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"


def _wildcards(document: Any) -> list[str]:
    found = []
    for s in statements(document):
        if s.get("Effect") == "Allow":
            found += [a for a in as_list(s.get("Action")) if isinstance(a, str) and (a == "*" or a.endswith(":*"))]
    return found


def _documents(stack: Stack, role: PolicyResource) -> Iterator[tuple[PolicyResource, Any]]:
    inline_policies = setting(role, "inlinePolicies", default=[], shallow=True)
    if inline_policies is UNKNOWN:
        yield role, UNKNOWN
    else:
        for i in range(len(inline_policies)):
            yield role, _inline(role, i)
    for inline in stack.of_type(ROLE_POLICY):
        owners = stack.refs(inline, "role", (ROLE,), id_prop="name")
        if owners is UNKNOWN or role in owners:
            yield inline, UNKNOWN if owners is UNKNOWN else json_value(inline, "policy")
    for attachment in stack.of_type(ATTACHMENT):
        owners = stack.refs(attachment, "role", (ROLE,), id_prop="name")
        if owners is UNKNOWN or role in owners:
            policies = stack.refs(attachment, "policyArn", (POLICY,), id_prop="arn")
            if policies is UNKNOWN:
                yield attachment, UNKNOWN
                continue
            for policy in policies:
                yield policy, json_value(policy, "policy")


def _inline(role: PolicyResource, index: int) -> Any:
    policy = value(role.props, "inlinePolicies", index, "policy")
    return UNKNOWN if policy is UNKNOWN else json_text(policy)


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    roles: list[PolicyResource] = []
    for td in stack.of_type(TASK_DEFINITION):
        found = stack.refs(td, "taskRoleArn", (ROLE,), id_prop="arn")
        roles += [] if found is UNKNOWN else [r for r in found if r not in roles]
    for role in roles:
        for holder, document in _documents(stack, role):
            if document is UNKNOWN:
                yield Unverifiable(f"cannot verify {label(holder)} of task role {label(role)}"), holder.urn
                continue
            wild = _wildcards(document)
            if wild:
                yield (
                    f"{label(holder)} grants task role {label(role)} the actions {', '.join(sorted(set(wild)))}; "
                    "name the actions the application needs.",
                    holder.urn,
                )


iam_task_role_no_wildcard_actions = stack_rule(
    "efs-platform-iam-task-role-no-wildcard-actions",
    "IAM policies of ECS task roles must not allow '*' or 'service:*' actions. Security Hub IAM.21; "
    "checkov CKV_AWS_290, CKV_AWS_63.",
    _check,
    level=ADVISORY,
)
