"""Kubernetes objects applied through a private-only EKS API that nothing admits (advisory).

A program that creates Kubernetes objects talks to the cluster's API endpoint from wherever
``pulumi up`` runs. With the public endpoint off, "your cluster's Kubernetes API server can only
receive requests from within the cluster VPC", and "your Amazon EKS control plane security group
[must contain] rules to allow ingress traffic on port 443 from your connected network" or bastion
(https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html, "Accessing a private
only API server"). EKS's own rule on the cluster security group admits only members of that
group (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html), so a deployer
elsewhere in the VPC, in a peered network or on a hosted CI runner times out at the first object.

The rule follows each Kubernetes object to its provider and the provider's ``kubeconfig`` to the
EKS cluster it was built from. When that cluster's public endpoint is off and no ingress rule of
the program (inline, ``SecurityGroupRule``, ``vpc.SecurityGroupIngressRule``; any source) admits
TCP 443 to the cluster security group or the cluster's additional security groups, it reports
the cluster. A kubeconfig built from something other than a cluster of this stack (another
stack, a remote component) is "cannot verify"; one typed into config, or the ambient kubeconfig
of a default provider, names no cluster of the program and is not checked. Advisory: a deployer
that runs inside the cluster security group (a runner pod or node) needs no rule.

Security Hub: none; checkov: none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import EKS, SG_TYPES, UNKNOWN, Invalid, Res, Stack, flag, ingress_of, label
from ._rule import ADVISORY, Unverifiable, stack_rule

HTTPS = 443


def _reachable(stack: Stack, cluster: Res) -> Any:
    """True (public endpoint on, or some rule admits 443), False, or an unverifiable message."""
    public = flag(cluster.get("vpcConfig", "endpointPublicAccess"), default=True)
    if public is UNKNOWN or isinstance(public, Invalid):
        return Unverifiable(f"cannot verify whether the API endpoint of {label(cluster)} is public")
    if public is True:
        return True
    extra = stack.refs(cluster, ("vpcConfig", "securityGroupIds"), SG_TYPES, optional=True)
    groups: list[Res | str] = [cluster, *extra.found, *extra.outside]  # the cluster stands for its group
    undecided = extra.unplaced or bool(extra.outside)
    for group in groups:
        opened = ingress_of(stack, group)
        for rule, exact in opened.rules:
            covers = rule.covers(HTTPS)
            if covers is True and exact:
                return True
            if covers is not False:
                undecided = True
        if any(rule.covers(HTTPS) is not False for rule in opened.unplaced):
            undecided = True
    if undecided:
        return Unverifiable(
            f"cannot verify that anything is admitted on TCP 443 to the security groups of {label(cluster)}"
        )
    return False


def _clusters_of(stack: Stack, obj: Res) -> tuple[list[Res], Res | None]:
    """(the EKS clusters ``obj``'s provider was built from, the provider when its kubeconfig comes
    from something else of this stack)."""
    provider = getattr(obj.source, "provider", None)
    found = stack.by_urn.get(provider.urn) if provider is not None else None
    if found is None:
        return [], None
    deps = found.deps.get("kubeconfig", ())
    clusters = [d for d in deps if d.type == EKS]
    return clusters, (found if deps and not clusters else None)


def _check(stack: Stack, config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    first: dict[str, Res] = {}
    elsewhere: dict[str, tuple[Res, Res]] = {}
    by_urn: dict[str, Res] = {}
    for obj in stack.resources:
        if not obj.type.startswith("kubernetes:"):
            continue
        clusters, other = _clusters_of(stack, obj)
        for cluster in clusters:
            first.setdefault(cluster.urn, obj)
            by_urn[cluster.urn] = cluster
        if other is not None:
            elsewhere.setdefault(other.urn, (other, obj))
    for provider, obj in elsewhere.values():
        yield (
            Unverifiable(
                f"cannot verify that {label(obj)} can reach its API: the kubeconfig of {label(provider)} is not built "
                "from an EKS cluster of this stack"
            ),
            obj.urn,
        )
    for urn, obj in first.items():
        cluster = by_urn[urn]
        verdict = _reachable(stack, cluster)
        if isinstance(verdict, Unverifiable):
            yield verdict, cluster.urn
        elif verdict is False:
            yield (
                f"{label(obj)} and the other Kubernetes objects are applied through the API of {label(cluster)}, whose "
                "public endpoint is off, and nothing is admitted on TCP 443 to its security groups: pulumi up times "
                "out at the first object unless it runs inside the cluster security group. Admit the deployer's "
                "network or security group (eks.apiAccessCidrs / eks.apiAccessSecurityGroupIds), or list its egress "
                "CIDRs in the public endpoint's public_access_cidrs.",
                cluster.urn,
            )


eks_api_reachable = stack_rule(
    "efs-platform-eks-api-reachable",
    "A stack that applies Kubernetes objects to an EKS cluster whose public endpoint is off should "
    "admit its deployer on TCP 443 to the cluster's security groups (the private endpoint admits "
    "only what they allow). Security Hub: none; checkov: none.",
    _check,
    level=ADVISORY,
)
