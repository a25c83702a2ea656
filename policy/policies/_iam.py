"""Evaluating IAM policy documents the way EFS does for NFS clients.

EFS authorizes an NFS client's ClientMount / ClientWrite / ClientRootAccess from the file
system policy and the client's identity-based policies together: an Allow in *either* grants the
action, an explicit Deny in either refuses it, and without a file system policy every client
that reaches a mount target has full access (the default policy). EFS evaluates four condition
keys for NFS clients: ``aws:SecureTransport``, ``aws:SourceIp`` (public addresses only),
``elasticfilesystem:AccessPointArn`` and ``elasticfilesystem:AccessedViaMountTarget``.
Source: https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html

:func:`allows` answers True, False or UNKNOWN for one request; a statement with a condition key
or operator it cannot evaluate makes the answer UNKNOWN rather than a guess.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._graph import UNKNOWN, Res, Stack, as_list, has_unknown, json_text, json_value, statements

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"

MOUNT = "elasticfilesystem:ClientMount"
WRITE = "elasticfilesystem:ClientWrite"
ROOT = "elasticfilesystem:ClientRootAccess"

#: AWS managed policies a program attaches by ARN, with their documents (AWS managed policy
#: reference, docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html).
AWS_MANAGED_EFS_CLIENT_POLICIES: dict[str, list[str]] = {
    "AmazonElasticFileSystemClientReadOnlyAccess": [MOUNT],
    "AmazonElasticFileSystemClientReadWriteAccess": [MOUNT, WRITE],
    "AmazonElasticFileSystemClientFullAccess": [MOUNT, WRITE, ROOT],
}


def aws_managed_document(arn: str) -> Any:
    """What an AWS managed policy, attached by ARN, allows an EFS client: the documents of the EFS
    client policies and of ``AdministratorAccess``/``PowerUserAccess`` (every action); UNKNOWN
    for other EFS policies; for any other AWS managed policy, nothing (they are scoped to their
    own services). None for an ARN that is not AWS managed."""
    if ":iam::aws:policy/" not in arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    actions = AWS_MANAGED_EFS_CLIENT_POLICIES.get(name)
    if name in ("AdministratorAccess", "PowerUserAccess"):
        actions = ["*"]
    elif actions is None and "ElasticFileSystem" in name:
        return UNKNOWN
    statements = [{"Effect": "Allow", "Action": actions, "Resource": "*"}] if actions else []
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class Request:
    """One NFS client request, as EFS authorizes it."""

    action: str
    resource: str | None
    """The file system's ARN (None when not known: any Resource matches)."""
    principal: str | None
    """The role ARN the client presents; None for an anonymous client (no IAM identity)."""
    context: Mapping[str, Any]
    """Condition keys and their values (a value of UNKNOWN is not known in this preview)."""


def _matches(pattern: Any, text: str, *, case: bool) -> bool:
    if not isinstance(pattern, str):
        return False
    if case:
        return fnmatch.fnmatchcase(text, pattern)
    return fnmatch.fnmatchcase(text.lower(), pattern.lower())


def action_applies(s: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in s:
        return not any(_matches(p, action, case=False) for p in as_list(s.get("NotAction")))
    return any(_matches(p, action, case=False) for p in as_list(s.get("Action")))


def resource_applies(s: Mapping[str, Any], resource: str | None) -> bool:
    if resource is None:
        return True
    if "NotResource" in s:
        return not any(_matches(p, resource, case=True) for p in as_list(s.get("NotResource")))
    if "Resource" not in s:
        return True  # resource policies may leave Resource to the resource they are attached to
    return any(_matches(p, resource, case=True) for p in as_list(s.get("Resource")))


def principal_applies(s: Mapping[str, Any], principal: str | None, identity_policy: bool) -> bool:
    if identity_policy:
        return True  # an identity policy applies to the identity it is attached to
    given = s.get("Principal")
    if given == "*":
        return True
    if not isinstance(given, Mapping):
        return False
    names = as_list(given.get("AWS"))
    if "*" in names:
        return True
    return principal is not None and principal in names


def _condition(s: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    """Whether the statement's conditions hold: True, False or UNKNOWN."""
    conditions = s.get("Condition") or {}
    if not isinstance(conditions, Mapping):
        return UNKNOWN
    result: Any = True
    for operator, tests in conditions.items():
        if not isinstance(tests, Mapping):
            return UNKNOWN
        for key, expected in tests.items():
            verdict = _test(str(operator), str(key), as_list(expected), context)
            if verdict is False:
                return False
            if verdict is UNKNOWN:
                result = UNKNOWN
    return result


def _test(operator: str, key: str, expected: list[Any], context: Mapping[str, Any]) -> Any:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if key not in context:
        return UNKNOWN  # a key EFS does not give NFS clients, or one this check cannot know
    actual = context[key]
    if actual is UNKNOWN or any(e is UNKNOWN for e in expected):
        return UNKNOWN
    if actual is None:
        # The key is absent from the request: only ...IfExists and negated operators match.
        return bool(if_exists or base.startswith(("StringNot", "ArnNot")))
    if base == "Bool":
        return str(actual).lower() in [str(e).lower() for e in expected]
    text = str(actual)
    if base in ("StringEquals", "ArnEquals"):
        return text in [str(e) for e in expected]
    if base in ("StringLike", "ArnLike"):
        return any(_matches(str(e), text, case=True) for e in expected)
    if base in ("StringNotEquals", "ArnNotEquals"):
        return text not in [str(e) for e in expected]
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(_matches(str(e), text, case=True) for e in expected)
    if base == "StringEqualsIgnoreCase":
        return text.lower() in [str(e).lower() for e in expected]
    return UNKNOWN


def _decide(documents: Iterable[tuple[Any, bool]], request: Request) -> tuple[Any, Any]:
    """(allowed, denied) over documents given as (document, is an identity policy)."""
    allowed: Any = False
    denied: Any = False
    for document, identity in documents:
        if document is UNKNOWN:
            allowed = UNKNOWN if allowed is False else allowed
            denied = UNKNOWN if denied is False else denied
            continue
        for s in statements(document):
            if not action_applies(s, request.action) or not resource_applies(s, request.resource):
                continue
            if not principal_applies(s, request.principal, identity):
                continue
            holds = _condition(s, request.context)
            if holds is False:
                continue
            if s.get("Effect") == "Deny":
                denied = True if holds is True else (UNKNOWN if denied is False else denied)
            elif s.get("Effect") == "Allow":
                allowed = True if holds is True else (UNKNOWN if allowed is False else allowed)
    return allowed, denied


def allows(resource_policies: list[Any], identity_policies: list[Any], request: Request) -> Any:
    """Whether EFS grants ``request``: True, False or UNKNOWN. ``resource_policies`` are the
    file system's policy documents (empty: the default policy, full access)."""
    if not resource_policies:
        return True
    documents = [(d, False) for d in resource_policies]
    if request.principal is not None:
        documents += [(d, True) for d in identity_policies]
    allowed, denied = _decide(documents, request)
    if denied is True:
        return False
    if allowed is True and denied is False:
        return True
    if allowed is False:
        return False
    return UNKNOWN


def _managed(stack: Stack, holder: Res, path: str | tuple[str | int, ...]) -> Iterator[tuple[Res, Any]]:
    """(holder, document) for each managed policy ``holder.props[path]`` names: the document of
    a policy of the stack, the ARN (a string) of one outside it, or UNKNOWN."""
    policies = stack.refs(holder, path, (POLICY,))
    for policy in policies.found:
        yield policy, json_value(policy, "policy")
    for arn in policies.outside:
        yield holder, arn
    if policies.unplaced:
        yield holder, UNKNOWN


def role_documents(stack: Stack, role: Res) -> Iterator[tuple[Res, Any]]:
    """(holder, document) for each policy of ``role``: parsed JSON, UNKNOWN, or the ARN of a
    managed policy outside the stack."""
    inline_policies = role.setting("inlinePolicies", default=[])
    if inline_policies is UNKNOWN:
        yield role, UNKNOWN
    else:
        for i in range(len(as_list(inline_policies))):
            policy = role.get("inlinePolicies", i, "policy")
            yield role, UNKNOWN if has_unknown(policy) else json_text(policy)
    managed = role.setting("managedPolicyArns", default=[])
    if managed is UNKNOWN or as_list(managed):
        yield from _managed(stack, role, "managedPolicyArns")
    role_policies = stack.referrers((ROLE_POLICY,), "role", (ROLE,))
    for inline, _ in role_policies.of(role):
        yield inline, json_value(inline, "policy")
    for inline in role_policies.unplaced:
        yield inline, UNKNOWN
    attachments = stack.referrers((ATTACHMENT,), "role", (ROLE,))
    for attachment, _ in attachments.of(role):
        yield from _managed(stack, attachment, "policyArn")
    for attachment in attachments.unplaced:
        yield attachment, UNKNOWN


def identity_documents(stack: Stack, role: Res) -> list[Any]:
    """The identity-based policy documents of ``role`` for EFS evaluation: managed policies
    outside the stack are known only if they are AWS's EFS client policies (else UNKNOWN)."""
    documents = []
    for _, document in role_documents(stack, role):
        if isinstance(document, str):
            managed = aws_managed_document(document)
            documents.append(UNKNOWN if managed is None else managed)
        else:
            documents.append(document)
    return documents
