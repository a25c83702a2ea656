"""EFS CSI PersistentVolumes and StorageClasses never turn off encryption in transit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._graph import UNKNOWN, Res, as_list, has_unknown
from ._rule import Unverifiable, resource_rule

EFS = "aws:efs/fileSystem:FileSystem"
PV = "kubernetes:core/v1:PersistentVolume"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
EFS_CSI = "efs.csi.aws.com"
# The driver reads a PV's volume attributes with case-insensitive keys and parses encryptInTransit
# with Go's strconv.ParseBool, so "0", "f" and "F" turn TLS off as "false" does
# (kubernetes-sigs/aws-efs-csi-driver pkg/driver/node.go, NodePublishVolume).
PARSE_BOOL_FALSE = ("0", "f", "F", "false", "FALSE", "False")


def volume_attribute(attributes: Any, key: str) -> Any:
    """``attributes[key]`` matched case-insensitively, as the driver matches volume context keys."""
    if attributes is UNKNOWN:
        return UNKNOWN
    if not isinstance(attributes, Mapping):
        return None
    return next((v for k, v in attributes.items() if str(k).lower() == key.lower()), None)


def _k8s_efs_transit(res: Res, config: dict[str, Any]) -> Iterator[str]:
    if res.type == PV:
        driver = res.get("spec", "csi", "driver")
        if driver is UNKNOWN:
            yield Unverifiable("cannot verify: spec.csi.driver is not known in this preview.")
            return
        if driver != EFS_CSI:
            return
        setting = volume_attribute(res.get("spec", "csi", "volumeAttributes"), "encryptInTransit")
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
    if isinstance(setting, str) and setting in PARSE_BOOL_FALSE:
        yield (
            f'encryptInTransit is "{setting}", which turns TLS off; remove it '
            "(the EFS CSI driver mounts with TLS by default)."
        )
    if any(str(o).lower() == "notls" for o in as_list(options)):
        yield 'mountOptions contains "notls"; remove it.'


k8s_efs_transit_encryption = resource_rule(
    "efs-platform-k8s-efs-transit-encryption",
    "EFS CSI PersistentVolumes and StorageClasses must not turn off encryption in transit "
    '(encryptInTransit "false" or the notls mount option). Security Hub: none; checkov: none.',
    (PV, STORAGE_CLASS),
    _k8s_efs_transit,
)
