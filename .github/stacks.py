"""The stacks the workflows preview and deploy, as a GitHub Actions matrix: one entry per
``Pulumi.<stack>.yaml``, so adding a stack is adding its file (and its GitHub environments).

    python .github/stacks.py --group efs-platform-preview [--exclude dev] >> "$GITHUB_OUTPUT"

prints ``matrix={"include": [{"stack": ..., "runs-on": ...}, ...]}``. ``runs-on`` is JSON for
``fromJSON``: ``"ubuntu-latest"``, or, for a stack with ``efs-platform:eks.enabled`` (its EKS API
endpoint is private, README "First deploy of a private EKS endpoint"), the self-hosted runner
group ``--group`` with the label ``efs-platform-<stack>``. Needs PyYAML only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Pulumi's stack names (alphanumerics, hyphens, underscores, periods): nothing a shell or an
# expression could read as code when the name reaches a job.
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _enabled(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _eks_default(root: Path) -> bool:
    project = yaml.safe_load((root / "Pulumi.yaml").read_text()) or {}
    declared = (project.get("config") or {}).get("eks.enabled") or {}
    return _enabled(declared.get("default", False)) if isinstance(declared, dict) else _enabled(declared)


def stacks(root: Path, group: str, exclude: set[str]) -> list[dict[str, str]]:
    """One matrix entry per stack file, sorted by name."""
    eks_default = _eks_default(root)
    entries = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        if not STACK_NAME.match(stack):
            raise SystemExit(f"{path.name}: {stack!r} is not a stack name (letters, digits, '-', '_', '.')")
        if stack in exclude:
            continue
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        private_api = _enabled(config.get("efs-platform:eks.enabled", eks_default))
        runs_on: Any = {"group": group, "labels": [f"efs-platform-{stack}"]} if private_api else "ubuntu-latest"
        entries.append({"stack": stack, "runs-on": json.dumps(runs_on)})
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", required=True, help="runner group of the stacks with a private EKS API")
    parser.add_argument("--exclude", action="append", default=[], help="a stack to leave out (repeatable)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project directory (default: this repository)")
    args = parser.parse_args(argv)
    entries = stacks(args.root, args.group, set(args.exclude))
    sys.stdout.write(f"matrix={json.dumps({'include': entries}, separators=(',', ':'))}\n")
    sys.stdout.write(f"count={len(entries)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
