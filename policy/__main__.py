"""The efs-platform policy pack, run by `pulumi preview --policy-pack policy` and by the offline
preview (`python -m offline preview`). Levels are lowered per stack through policy config
(`--policy-pack-config`), never by editing a rule."""

import re
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack
from pulumi_policy import policy as _sdk

from policies import POLICIES

# The Python SDK builds its analyzer with the version "0.0.1" and writes it into every "can't run
# policy ... during preview" message, while the CLI shows the version of PulumiPolicy.yaml. Give
# the analyzer that version, so every message names the same one (pulumi-policy is pinned to a
# minor version because this class is private).
_MANIFEST = (Path(__file__).resolve().parent / "PulumiPolicy.yaml").read_text()
VERSION = re.search(r"^version:\s*[\"']?([^\s\"']+)", _MANIFEST, re.MULTILINE).group(1)  # type: ignore[union-attr]


class _Analyzer(_sdk._PolicyAnalyzerServicer):
    def __init__(self, name: str, version: str, *args: object) -> None:
        super().__init__(name, VERSION, *args)


_sdk._PolicyAnalyzerServicer = _Analyzer  # type: ignore[misc]

PolicyPack(
    name="efs-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
