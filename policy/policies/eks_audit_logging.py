"""EKS clusters send their audit log to CloudWatch Logs (advisory).

Kubernetes audit logs "provide a record of the individual users, administrators, or system
components that have affected your cluster"; EKS sends none unless the type is enabled
(https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html). Security Hub EKS.8
(EKS clusters should have audit logging enabled); checkov CKV_AWS_37 asks for all five types,
this rule for the one an investigation cannot do without.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, as_list
from ._rule import ADVISORY, Unverifiable, resource_rule

EKS = "aws:eks/cluster:Cluster"


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    types = res.get("enabledClusterLogTypes", default=[])
    if types is UNKNOWN or UNKNOWN in as_list(types):
        yield Unverifiable("cannot verify: enabledClusterLogTypes is not known in this preview.")
    elif "audit" not in as_list(types):
        yield (
            "the cluster sends no audit log: who changed what in the cluster is not recorded. Add 'audit' to "
            "enabled_cluster_log_types (eks.logTypes), with the /aws/eks/<cluster>/cluster log group created first, "
            "encrypted and with a retention."
        )


eks_audit_logging = resource_rule(
    "efs-platform-eks-audit-logging",
    "EKS clusters should send the audit control-plane log to CloudWatch Logs. Security Hub EKS.8; checkov CKV_AWS_37.",
    (EKS,),
    _check,
    level=ADVISORY,
)
