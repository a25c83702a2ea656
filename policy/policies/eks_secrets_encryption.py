"""EKS clusters envelope-encrypt Kubernetes secrets with KMS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._graph import UNKNOWN, as_list, value
from ._rule import Unverifiable, resource_rule

EKS = "aws:eks/cluster:Cluster"


def _eks_secrets(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    resources = value(args.props, "encryptionConfig", "resources", default=[])
    # An unknown key ARN is still a key: only its presence matters here.
    key = value(args.props, "encryptionConfig", "provider", "keyArn")
    if resources is UNKNOWN:
        yield Unverifiable("cannot verify: encryptionConfig is not known in this preview.")
    elif "secrets" not in as_list(resources) or key is None:
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
