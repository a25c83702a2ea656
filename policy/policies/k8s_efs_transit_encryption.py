"""EFS CSI PersistentVolumes and StorageClasses never turn off encryption in transit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._graph import UNKNOWN, as_list, value
from ._rule import Unverifiable, resource_rule

EFS = "aws:efs/fileSystem:FileSystem"
PV = "kubernetes:core/v1:PersistentVolume"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
EFS_CSI = "efs.csi.aws.com"


def _k8s_efs_transit(args: ResourceValidationArgs, config: dict[str, Any]) -> Iterator[str]:
    if args.resource_type == PV:
        driver = value(args.props, "spec", "csi", "driver")
        if driver is UNKNOWN:
            yield Unverifiable("cannot verify: spec.csi.driver is not known in this preview.")
            return
        if driver != EFS_CSI:
            return
        setting = value(args.props, "spec", "csi", "volumeAttributes", "encryptInTransit")
        options = value(args.props, "spec", "mountOptions", default=[])
    else:
        provisioner = value(args.props, "provisioner")
        if provisioner != EFS_CSI:
            if provisioner is UNKNOWN:
                yield Unverifiable("cannot verify: provisioner is not known in this preview.")
            return
        setting = value(args.props, "parameters", "encryptInTransit")
        options = value(args.props, "mountOptions", default=[])
    if setting is UNKNOWN or options is UNKNOWN:
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
