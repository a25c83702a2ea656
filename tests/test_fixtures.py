"""Whole foreign programs with one misconfiguration each: the offline preview must fail them with
a mandatory violation on the right resource, both with known outputs and as a preview of a new
stack, and with nothing else mandatory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, preview_cli, read_json

# Left out by `make check` (whole fixture programs through the CLI in subprocesses); `make test` runs them.
pytestmark = pytest.mark.slow

P = "efs-platform-"
EXPECTED = {
    # seed 002: Fargate tasks in public subnets with public IPs (both facets are reported).
    "seed002_public_fargate": {
        (P + "ecs-service-private", "aws:ecs/service:Service::Service1"),
        (P + "ecs-service-private", "aws:ecs/service:Service::Service2"),
    },
    "open_nfs": {(P + "ec2-nfs-ingress-restricted", "aws:ec2/securityGroup:SecurityGroup::nfs")},
    "efs_transit_off": {(P + "ecs-efs-transit-encryption", "aws:ecs/taskDefinition:TaskDefinition::efs-test")},
    "mount_target_one_az": {(P + "efs-mount-readiness", "aws:ecs/service:Service::api")},
    "legacy_vpc": {(P + "ec2-private-subnet-no-public-ip", "aws:ec2/subnet:Subnet::app")},
}


@pytest.mark.parametrize("mode", [[], ["--unknowns"]], ids=["known", "unknowns"])
@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_fixture_fails_with_a_mandatory_violation_on_the_right_resource(
    fixture: str, mode: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "preview.json"
    result = preview_cli("--stack", "test", "--program", FIXTURES / fixture, "--json", out, "--quiet", *mode)
    assert result.returncode == 1, result.stdout + result.stderr
    mandatory = {
        (v["policy"], v["urn"].split("::", 2)[-1])
        for v in read_json(out)["policyViolations"]
        if v["level"] == "mandatory"
    }
    assert mandatory == EXPECTED[fixture]
