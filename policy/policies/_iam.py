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
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"

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


#: AWS managed policies that deny everything (AWSDenyAll: Deny * on *).
AWS_DENY_ALL = ("AWSDenyAll",)


def aws_managed_document(arn: str) -> Any:
    """What an AWS managed policy, attached by ARN, means for an EFS client: the documents of the
    EFS client policies, of ``AdministratorAccess``/``PowerUserAccess`` (allow every action) and
    of ``AWSDenyAll`` (deny every action); UNKNOWN for other EFS policies and for the quarantine
    policies (which deny lists of actions); for any other AWS managed policy, nothing (they are
    scoped to their own services). None for an ARN that is not AWS managed."""
    if ":iam::aws:policy/" not in arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    if name in AWS_DENY_ALL:
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    if "Quarantine" in name or ("ElasticFileSystem" in name and name not in AWS_MANAGED_EFS_CLIENT_POLICIES):
        return UNKNOWN
    actions = AWS_MANAGED_EFS_CLIENT_POLICIES.get(name)
    if name in ("AdministratorAccess", "PowerUserAccess"):
        actions = ["*"]
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
    bounded: bool = False
    """The role has a permissions boundary."""


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


def resource_applies(s: Mapping[str, Any], resource: str | None) -> Any:
    """True, False, or UNKNOWN when the resource is not known and the statement names some."""
    if "NotResource" in s:
        patterns = as_list(s.get("NotResource"))
        if resource is None:
            return False if "*" in patterns else UNKNOWN
        return not any(_matches(p, resource, case=True) for p in patterns)
    if "Resource" not in s:
        return True  # resource policies may leave Resource to the resource they are attached to
    patterns = as_list(s.get("Resource"))
    if resource is None:
        return True if "*" in patterns else UNKNOWN
    return any(_matches(p, resource, case=True) for p in patterns)


def _account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


def _names(principal: Any) -> list[Any]:
    if principal == "*":
        return ["*"]
    return as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []


def principal_applies(s: Mapping[str, Any], request: Request | None, identity_policy: bool) -> bool:
    """Whether a statement applies to the request's principal (``request`` None: to every
    principal). In a resource policy an account (``arn:…:root`` or the bare id) stands for every
    principal of that account, so a Deny to it applies to the account's roles; an Allow to it only
    delegates to their identity policies (IAM: Principal element), so it grants nothing here. A
    NotPrincipal Deny always applies to a role with a permissions boundary (IAM: permissions
    boundaries)."""
    if identity_policy:
        return True  # an identity policy applies to the identity it is attached to
    deny = s.get("Effect") == "Deny"
    principal = request.principal if request is not None else None
    if "NotPrincipal" in s:
        if request is None:
            return False
        if deny and request.bounded:
            return True
        return not _named(_names(s.get("NotPrincipal")), principal, account_counts=False)
    names = _names(s.get("Principal"))
    if "*" in names:
        return True
    if request is None:
        return False
    return _named(names, principal, account_counts=deny)


def _named(names: list[Any], principal: str | None, *, account_counts: bool) -> bool:
    if "*" in names:
        return True
    if principal is None:
        return False
    if principal in names:
        return True
    account = _account(principal)
    if account_counts and account:
        return any(n == account or (isinstance(n, str) and n.endswith(f":iam::{account}:root")) for n in names)
    return False


def _condition(s: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    """Whether the statement's conditions hold: True, False or UNKNOWN. Condition keys are
    case-insensitive (IAM: Condition element)."""
    conditions = s.get("Condition") or {}
    if not isinstance(conditions, Mapping):
        return UNKNOWN
    lowered = {k.lower(): v for k, v in context.items()}
    result: Any = True
    for operator, tests in conditions.items():
        if not isinstance(tests, Mapping):
            return UNKNOWN
        for key, expected in tests.items():
            verdict = _test(str(operator), str(key).lower(), as_list(expected), lowered)
            if verdict is False:
                return False
            if verdict is UNKNOWN:
                result = UNKNOWN
    return result


#: Operators that match when the key is absent from the request (IAM: condition operators).
_NEGATED = ("StringNot", "ArnNot", "NotIpAddress", "NumericNotEquals", "DateNotEquals")


def _test(operator: str, key: str, expected: list[Any], context: Mapping[str, Any]) -> Any:
    if operator.startswith("ForAllValues:") or operator.startswith("ForAnyValue:"):
        return UNKNOWN
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if key not in context:
        return UNKNOWN  # a key EFS does not give NFS clients, or one this check cannot know
    actual = context[key]
    if actual is UNKNOWN or any(e is UNKNOWN for e in expected):
        return UNKNOWN
    if base == "Null":
        return str(actual is None).lower() in [str(e).lower() for e in expected]
    if actual is None:
        # The key is absent from the request: only ...IfExists and negated operators match.
        return bool(if_exists or base.startswith(_NEGATED))
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
    if base == "StringNotEqualsIgnoreCase":
        return text.lower() not in [str(e).lower() for e in expected]
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
            if not action_applies(s, request.action) or not principal_applies(s, request, identity):
                continue
            applies = resource_applies(s, request.resource)
            holds = _condition(s, request.context) if applies is not False else False
            if holds is False:
                continue
            certain = holds is True and applies is True
            if s.get("Effect") == "Deny":
                denied = True if certain else (UNKNOWN if denied is False else denied)
            elif s.get("Effect") == "Allow":
                allowed = True if certain else (UNKNOWN if allowed is False else allowed)
    return allowed, denied


def _any(*verdicts: Any) -> Any:
    return True if True in verdicts else UNKNOWN if UNKNOWN in verdicts else False


def _all(*verdicts: Any) -> Any:
    return False if False in verdicts else UNKNOWN if UNKNOWN in verdicts else True


def allows(
    resource_policies: list[Any], identity_policies: list[Any], request: Request, boundary: list[Any] | None = None
) -> Any:
    """Whether EFS grants ``request``: True, False or UNKNOWN. ``resource_policies`` are the
    file system's policy documents (empty: the default policy, full access). ``boundary``: the
    role's permissions boundary, which must allow the action too (it limits what a resource policy
    grants to a role ARN as well as identity policies: IAM policy evaluation logic)."""
    if not resource_policies:
        return True
    documents = [(d, False) for d in resource_policies]
    if request.principal is not None:
        documents += [(d, True) for d in identity_policies]
    allowed, denied = _decide(documents, request)
    if boundary is not None:
        within, boundary_denies = _decide([(d, True) for d in boundary], request)
        denied = _any(denied, boundary_denies)
        allowed = _all(allowed, within)
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
    for token, prop in ((ATTACHMENT, "role"), (POLICY_ATTACHMENT, "roles")):
        attachments = stack.referrers((token,), prop, (ROLE,), optional=token == POLICY_ATTACHMENT)
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


def boundary_documents(stack: Stack, role: Res) -> list[Any] | None:
    """The permissions boundary of ``role`` as documents (UNKNOWN where not readable), or None
    when it has none."""
    if role.setting("permissionsBoundary") in (None, ""):
        return None
    documents = []
    for _, document in _managed(stack, role, "permissionsBoundary"):
        if isinstance(document, str):
            managed = aws_managed_document(document)
            # An AWS managed policy not known here may allow the action or not.
            documents.append(UNKNOWN if managed is None or not statements(managed) else managed)
        else:
            documents.append(document)
    return documents
