"""EFS CSI PersistentVolumes and StorageClasses never turn off encryption in transit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, as_list, has_unknown
from ._rule import Unverifiable, resource_rule

EFS = "aws:efs/fileSystem:FileSystem"
PV = "kubernetes:core/v1:PersistentVolume"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
EFS_CSI = "efs.csi.aws.com"


def _k8s_efs_transit(res: Res, config: dict[str, Any]) -> Iterator[str]:
    if res.type == PV:
        driver = res.get("spec", "csi", "driver")
        if driver is UNKNOWN:
            yield Unverifiable("cannot verify: spec.csi.driver is not known in this preview.")
            return
        if driver != EFS_CSI:
            return
        setting = res.get("spec", "csi", "volumeAttributes", "encryptInTransit")
        options = res.get("spec", "mountOptions", default=[])
    else:
        provisioner = res.get("provisioner")
        if provisioner != EFS_CSI:
            if provisioner is UNKNOWN:
                yield Unverifiable("cannot verify: provisioner is not known in this preview.")
            return
        setting = res.get("parameters", "encryptInTransit")
        options = res.get("mountOptions", default=[])
    if setting is UNKNOWN or has_unknown(options):
        yield Unverifiable("cannot verify: encryptInTransit or mountOptions is not known in this preview.")
        return
    if isinstance(setting, str) and setting.lower() == "false":
        yield 'encryptInTransit is "false"; remove it (the EFS CSI driver mounts with TLS by default).'
    if any(str(o).lower() == "notls" for o in as_list(options)):
        yield 'mountOptions contains "notls"; remove it.'


k8s_efs_transit_encryption = resource_rule(
    "efs-platform-k8s-efs-transit-encryption",
    "EFS CSI PersistentVolumes and StorageClasses must not turn off encryption in transit "
    '(encryptInTransit "false" or the notls mount option). Security Hub: none; checkov: none.',
    (PV, STORAGE_CLASS),
    _k8s_efs_transit,
)
