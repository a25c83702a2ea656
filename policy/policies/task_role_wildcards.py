"""IAM policies of ECS task roles grant no ``*`` actions (advisory).

A task role is the application's identity; ``*`` or ``service:*`` actions give a compromised
container everything. Policies are read wherever they are attached: ``inline_policies`` and
``managed_policy_arns`` on the role, ``aws.iam.RolePolicy``, ``aws.iam.RolePolicyAttachment``
of a policy in the stack, or of an AWS managed policy by ARN (``AdministratorAccess``,
``PowerUserAccess`` and the ``…FullAccess`` policies grant ``*`` or ``service:*``). A customer
managed policy or a role outside the stack cannot be verified. Security Hub IAM.21; checkov
CKV_AWS_290 (CKV_AWS_63 for ``*``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, Stack, as_list, label, statements
from ._iam import role_documents
from ._rule import ADVISORY, Unverifiable, stack_rule

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
#: AWS managed policies whose documents allow ``*`` or ``service:*`` actions.
AWS_WILDCARD_POLICIES = ("AdministratorAccess", "PowerUserAccess")


def _wildcards(document: Any) -> list[str]:
    found = []
    for s in statements(document):
        if s.get("Effect") == "Allow":
            found += [a for a in as_list(s.get("Action")) if isinstance(a, str) and (a == "*" or a.endswith(":*"))]
            if "NotAction" in s:
                found.append("NotAction " + ", ".join(map(str, as_list(s.get("NotAction")))))
    return found


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    roles: dict[str, Res] = {}
    for td in stack.of_type(TASK_DEFINITION):
        found = stack.refs(td, "taskRoleArn", (ROLE,), optional=True)
        roles.update((r.urn, r) for r in found.found)
        for arn in found.outside:
            yield Unverifiable(f"cannot verify the task role {arn} of {label(td)}: it is not in this stack"), td.urn
        if found.unplaced:
            yield Unverifiable(f"cannot verify the task role of {label(td)}: it is not known in this preview"), td.urn
    for role in roles.values():
        for holder, document in role_documents(stack, role):
            if document is UNKNOWN:
                yield Unverifiable(f"cannot verify {label(holder)} of task role {label(role)}"), holder.urn
                continue
            if isinstance(document, str):  # the ARN of a managed policy outside the stack
                name = document.rsplit("/", 1)[-1]
                if ":iam::aws:policy/" in document:
                    if name in AWS_WILDCARD_POLICIES or name.endswith("FullAccess"):
                        yield (
                            f"{label(holder)} attaches the AWS managed policy {name} to task role {label(role)}: it "
                            "allows '*' or 'service:*' actions; name the actions the application needs.",
                            holder.urn,
                        )
                else:
                    yield (
                        Unverifiable(
                            f"cannot verify the policy {document} of task role {label(role)}: it is not in this stack"
                        ),
                        holder.urn,
                    )
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
