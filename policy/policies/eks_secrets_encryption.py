"""EKS clusters envelope-encrypt Kubernetes secrets with KMS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, as_list
from ._rule import Unverifiable, resource_rule

EKS = "aws:eks/cluster:Cluster"


def _eks_secrets(res: Res, config: dict[str, Any]) -> Iterator[str]:
    resources = res.get("encryptionConfig", "resources", default=[])
    if isinstance(resources, list) and UNKNOWN in resources:
        resources = UNKNOWN
    # An unknown key ARN is still a key: only its presence matters here.
    key = res.get("encryptionConfig", "provider", "keyArn")
    if resources is UNKNOWN:
        yield Unverifiable("cannot verify: encryptionConfig is not known in this preview.")
    elif "secrets" not in as_list(resources) or key in (None, ""):
        yield (
            "Kubernetes secrets are not envelope-encrypted; set encryption_config={resources: ['secrets'], "
            "provider: {key_arn: ...}}."
        )


eks_secrets_encryption = resource_rule(
    "efs-platform-eks-secrets-encryption",
    "EKS clusters must envelope-encrypt Kubernetes secrets with a KMS key. Security Hub EKS.3; checkov CKV_AWS_58.",
    (EKS,),
    _eks_secrets,
)
