"""Kubernetes volumes keep their data when claims go away (advisory).

A PersistentVolume with reclaim policy Delete, or an EFS CSI StorageClass that provisions them
(its default), deletes the access point and its directory with the claim. Security Hub: none;
checkov: none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res
from ._rule import ADVISORY, Unverifiable, resource_rule

PV = "kubernetes:core/v1:PersistentVolume"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    if res.type == PV:
        # A static PersistentVolume defaults to Retain; a StorageClass's volumes to Delete.
        policy = res.get("spec", "persistentVolumeReclaimPolicy", default="Retain")
    else:
        provisioner = res.get("provisioner")
        if provisioner is UNKNOWN:
            yield Unverifiable("cannot verify: the provisioner is not known in this preview.")
            return
        if provisioner != "efs.csi.aws.com":
            return
        policy = res.get("reclaimPolicy", default="Delete")
    if policy is UNKNOWN:
        yield Unverifiable("cannot verify: the reclaim policy is not known in this preview.")
    elif policy != "Retain":
        yield f"reclaim policy {policy}: the data goes with the claim; set it to Retain."


k8s_pv_retained = resource_rule(
    "efs-platform-k8s-pv-retained",
    "PersistentVolumes and EFS CSI StorageClasses must retain volumes (reclaim policy Retain). "
    "Security Hub: none; checkov: none.",
    (PV, STORAGE_CLASS),
    _check,
    level=ADVISORY,
)
