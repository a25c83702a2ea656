"""ECS task definition EFS volumes mount with TLS, and with IAM authorization through access points."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, as_list
from ._rule import Unverifiable, resource_rule

EFS = "aws:efs/fileSystem:FileSystem"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def _task_efs_volumes(res: Res, config: dict[str, Any]) -> Iterator[str]:
    volumes = res.get("volumes", default=[])
    if volumes is UNKNOWN:
        yield Unverifiable("cannot verify: the task definition's volumes are not known in this preview.")
        return
    for i in range(len(as_list(volumes))):
        efs = res.get("volumes", i, "efsVolumeConfiguration")
        if efs is None:
            continue
        if efs is UNKNOWN:
            yield Unverifiable(f"cannot verify volume {i}: its EFS configuration is not known in this preview.")
            continue
        name = res.get("volumes", i, "name")
        transit = res.get("volumes", i, "efsVolumeConfiguration", "transitEncryption")
        if transit is UNKNOWN:
            yield Unverifiable(f"cannot verify volume {name!r}: transitEncryption is not known in this preview.")
        elif transit != "ENABLED":
            yield f"volume {name!r} mounts EFS without TLS; set transit_encryption='ENABLED'."
        auth = ("volumes", i, "efsVolumeConfiguration", "authorizationConfig")
        access_point = res.get(*auth, "accessPointId")
        iam = res.get(*auth, "iam")
        if access_point is not None and iam is UNKNOWN:
            yield Unverifiable(f"cannot verify volume {name!r}: authorizationConfig.iam is not known in this preview.")
        elif access_point is not None and iam != "ENABLED":
            yield (
                f"volume {name!r} uses an access point without IAM authorization; set "
                "authorization_config.iam='ENABLED' so the file system policy decides who mounts."
            )


ecs_efs_transit_encryption = resource_rule(
    "efs-platform-ecs-efs-transit-encryption",
    "ECS task definition EFS volumes must use transitEncryption ENABLED, and IAM authorization "
    "when they use an access point. Security Hub: none; checkov CKV_AWS_97.",
    (TASK_DEFINITION,),
    _task_efs_volumes,
)
