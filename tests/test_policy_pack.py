"""The pack as a whole: every rule registered with its default level and compliance mapping,
and the shipped per-stack policy config accepted."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from offline.analysis import LoadedPack, PolicyPackError, effective_config
from tests.conftest import ROOT

ADVISORY_BY_DEFAULT = {
    "efs-platform-lb-https",
    "efs-platform-stateful-resources-protected",
    "efs-platform-data-keys-protected",
    "efs-platform-k8s-pv-retained",
    "efs-platform-iam-task-role-no-wildcard-actions",
    "efs-platform-ecs-readonly-root-filesystem",
    "efs-platform-ecs-non-root-user",
    *("efs-platform-lb-access-logs", "efs-platform-lb-waf"),
    "efs-platform-eks-api-reachable",
    "efs-platform-eks-audit-logging",
    "efs-platform-k8s-image-digest",
}


def test_every_rule_is_mandatory_unless_the_issue_says_advisory(pack: LoadedPack) -> None:
    levels = {p.name: p.enforcementLevel for p in pack.info.policies}
    assert len(levels) == 34
    assert {name for name, level in levels.items() if level == 0} == ADVISORY_BY_DEFAULT  # 0: ADVISORY
    assert all(level == 1 for name, level in levels.items() if name not in ADVISORY_BY_DEFAULT)  # 1: MANDATORY


def test_every_rule_names_its_security_hub_control_and_checkov_check(pack: LoadedPack) -> None:
    for policy in pack.info.policies:
        assert policy.name.startswith("efs-platform-")
        assert "Security Hub" in policy.description, policy.name
        assert "checkov" in policy.description, policy.name


def test_one_rule_per_module() -> None:
    modules = [p for p in (ROOT / "policy" / "policies").glob("*.py") if not p.name.startswith("_")]
    for module in modules:
        tree = ast.parse(module.read_text())
        rules = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", "") in ("resource_rule", "stack_rule")
        ]
        assert len(rules) == 1, module.name


@pytest.mark.parametrize("config_file", sorted((ROOT / "policy").glob("config.*.json")), ids=lambda p: p.stem)
def test_every_shipped_policy_config_is_valid_and_keeps_mount_readiness_mandatory(
    pack: LoadedPack, config_file: Path
) -> None:
    levels = {name: level for name, (level, _) in effective_config(pack, json.loads(config_file.read_text())).items()}
    assert levels["efs-platform-efs-mount-readiness"] == "mandatory"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_prod_protects_its_data_by_mandate(pack: LoadedPack, stack: str) -> None:
    config = json.loads((ROOT / "policy" / f"config.{stack}.json").read_text())
    levels = {name: level for name, (level, _) in effective_config(pack, config).items()}
    assert levels["efs-platform-stateful-resources-protected"] == ("mandatory" if stack == "prod" else "advisory")
    assert levels["efs-platform-data-keys-protected"] == ("mandatory" if stack == "prod" else "advisory")


def test_schema_defaults_apply_and_config_overrides_them(pack: LoadedPack) -> None:
    assert effective_config(pack, None)["efs-platform-efs-encrypted"][1] == {"requireCustomerManagedKey": True}
    config = {"efs-platform-efs-encrypted": {"requireCustomerManagedKey": False}}
    assert effective_config(pack, config)["efs-platform-efs-encrypted"][1] == {"requireCustomerManagedKey": False}


def test_unknown_rule_property_is_refused(pack: LoadedPack) -> None:
    with pytest.raises(PolicyPackError, match="unknown properties requireCmk"):
        effective_config(pack, {"efs-platform-efs-encrypted": {"requireCmk": True}})
