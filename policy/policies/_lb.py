"""Load balancers as the rules read them: which ones are internet-facing Application Load
Balancers.

The provider's defaults apply to what a program leaves unset (pulumi-aws ``lb.LoadBalancer``:
``load_balancer_type`` defaults to ``application``, ``internal`` to false); ``aws.alb`` is the
same resource under its older name.
"""

from __future__ import annotations

from typing import Any

from ._graph import UNKNOWN, Invalid, Res, flag, label, unclear
from ._rule import Unverifiable

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def internet_facing_alb(lb: Res) -> Any:
    """True or False, or an :class:`Unverifiable` saying why it cannot be told."""
    kind = lb.setting("loadBalancerType", default="application")
    if kind is UNKNOWN or not isinstance(kind, str):
        return Unverifiable(f"cannot verify {label(lb)}: {unclear('loadBalancerType', kind)}")
    if kind.lower() != "application":
        return False
    internal = flag(lb.setting("internal"), default=False)
    if internal is UNKNOWN or isinstance(internal, Invalid):
        return Unverifiable(f"cannot verify {label(lb)}: {unclear('internal', internal)}")
    return internal is False
