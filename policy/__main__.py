"""The efs-platform policy pack, run by `pulumi preview --policy-pack policy` and by the offline
preview (`python -m offline preview`). Levels are lowered per stack through policy config
(`--policy-pack-config`), never by editing a rule."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import POLICIES

PolicyPack(
    name="efs-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
