"""data-keys-protected: the KMS key of protected data is protected too. A compliant baseline (an
EFS file system and an ECR repository, both protected, each with its own protected key), then
cases that each change one property, with known outputs and as a preview of a new stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from offline.analysis import LoadedPack
from tests.conftest import MODES, stack_findings, violations

RULE = "data-keys-protected"
OUTSIDE_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def platform(
    *,
    fs_key_protected: bool = True,
    repo_key_protected: bool = True,
    fs_protected: bool = True,
    fs_key_from_config: bool = False,
    shared_key: bool = False,
) -> Callable[[], object]:
    def program() -> None:
        def key(name: str, protected: bool) -> aws.kms.Key:
            opts = pulumi.ResourceOptions(protect=protected, retain_on_delete=protected)
            return aws.kms.Key(name, enable_key_rotation=True, opts=opts)

        fs_key = key("fs-key", fs_key_protected)
        aws.efs.FileSystem(
            "fs",
            encrypted=True,
            kms_key_id=OUTSIDE_KEY if fs_key_from_config else fs_key.arn,
            opts=pulumi.ResourceOptions(protect=fs_protected, retain_on_delete=fs_protected),
        )
        repo_key = fs_key if shared_key else key("repo-key", repo_key_protected)
        aws.ecr.Repository(
            "repo",
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": repo_key.arn}],
            opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True),
        )

    return program


def findings(pack: LoadedPack, program: Callable[[], object], unknowns: bool) -> set[tuple[str, str]]:
    return {(level, name) for rule, level, name in stack_findings(pack, program, unknowns) if rule == RULE}


@pytest.mark.parametrize("unknowns", MODES)
def test_protected_data_with_protected_keys_is_compliant(pack: LoadedPack, unknowns: bool) -> None:
    assert findings(pack, platform(), unknowns) == set()


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"fs_key_protected": False}, {("advisory", "fs-key")}),
        ({"repo_key_protected": False}, {("advisory", "repo-key")}),
        # One unprotected key shared by both: reported once, on the key.
        ({"shared_key": True, "fs_key_protected": False}, {("advisory", "fs-key")}),
        # Unprotected data is the stateful-resources rule's finding, not this one's.
        ({"fs_protected": False, "fs_key_protected": False}, set()),
        # A key outside the stack is not the stack's to delete.
        ({"fs_key_from_config": True, "fs_key_protected": False}, set()),
    ],
    ids=["efs-key", "ecr-key", "shared-key", "data-unprotected", "key-outside"],
)
def test_one_change_one_finding(pack: LoadedPack, change: dict, expected: set, unknowns: bool) -> None:
    assert findings(pack, platform(**change), unknowns) == expected


def test_a_key_that_may_be_either_of_two_is_unverifiable_not_judged(pack: LoadedPack) -> None:
    """A key id computed from two keys (one protected) names one of them: in a preview of a new
    stack the rule cannot tell which, so it says so instead of passing or blaming the wrong key."""

    def program() -> None:
        kept = aws.kms.Key("kept", opts=pulumi.ResourceOptions(protect=True))
        loose = aws.kms.Key("loose")
        either = pulumi.Output.all(kept.arn, loose.arn).apply(lambda arns: arns[0])
        aws.efs.FileSystem("fs", encrypted=True, kms_key_id=either, opts=pulumi.ResourceOptions(protect=True))

    unknown = [v for v in violations(pack, program, True) if v.policy == f"efs-platform-{RULE}"]
    assert [(v.level, "cannot verify aws:efs/fileSystem:FileSystem 'fs'" in v.message) for v in unknown] == [
        ("advisory", True)
    ]
    assert findings(pack, program, False) == set()  # known: the ARN names the protected key


def test_prod_config_makes_it_mandatory() -> None:
    config = json.loads((Path(__file__).parent.parent / "policy" / "config.prod.json").read_text())
    assert config["efs-platform-data-keys-protected"] == "mandatory"
