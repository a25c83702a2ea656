"""A non-root container under a read-only root must be able to write its writable paths: ECS
bind mounts on Fargate are root-owned 0755 unless the image declares a VOLUME there, owned by
the user (ECS bind-mount docs). Checked on any Dockerfile the stack builds, and on app/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import settings
from components.image_volumes import writable_path_problems
from tests.conftest import ROOT, STACKS, stack_config

GOOD = """
FROM alpine:3.22 AS build
RUN echo build
FROM nginxinc/nginx-unprivileged:1.29-alpine
USER root
RUN mkdir -p /var/cache/app && chown -R 101:101 /tmp /var/cache/app
VOLUME ["/tmp", "/var/cache/app"]
USER 101:101
"""


def _problems(tmp_path: Path, text: str, paths: tuple[str, ...] = ("/tmp",), user: str | None = "101:101") -> list:
    (tmp_path / "Dockerfile").write_text(text)
    return writable_path_problems(tmp_path / "Dockerfile", paths, user)


def test_a_volume_given_to_the_user_is_writable(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD, ("/tmp", "/var/cache/app/")) == []


@pytest.mark.parametrize(
    ("dockerfile", "fragment"),
    [
        (GOOD.replace('VOLUME ["/tmp", "/var/cache/app"]', 'VOLUME ["/var/cache/app"]'), "declares no VOLUME /tmp"),
        (GOOD.replace("chown -R 101:101 /tmp /var/cache/app", "chown -R 101:101 /var/cache/app"), "never gives"),
        # A chown after the VOLUME line is discarded by the build.
        (GOOD.replace("RUN mkdir", "VOLUME /tmp\nRUN mkdir").replace('VOLUME ["/tmp", ', "VOLUME ["), "never gives"),
        # A VOLUME in a build stage is not in the image that runs.
        ("FROM alpine AS b\nRUN chown 101 /tmp\nVOLUME /tmp\nFROM alpine\nUSER 101\n", "declares no VOLUME /tmp"),
        ("FROM alpine\nUSER 101\n", "declares no VOLUME /tmp"),
    ],
    ids=["no-volume", "not-chowned", "chown-after-volume", "volume-in-build-stage", "bare"],
)
def test_each_gap_is_named(tmp_path: Path, dockerfile: str, fragment: str) -> None:
    problems = _problems(tmp_path, dockerfile)
    assert len(problems) == 1 and fragment in problems[0], problems


def test_root_needs_nothing_and_the_image_user_counts_when_the_task_sets_none(tmp_path: Path) -> None:
    assert _problems(tmp_path, "FROM alpine\n", user="0:0") == []
    assert _problems(tmp_path, "FROM alpine\n", user=None) == []  # no USER: root
    assert _problems(tmp_path, "FROM alpine\nUSER 1000\n", user=None) != []


def test_a_missing_dockerfile_is_named(tmp_path: Path) -> None:
    assert "does not exist" in writable_path_problems(tmp_path / "Dockerfile", ("/tmp",), "1000")[0]


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_image_lets_each_stack_write_its_writable_paths(stack: str) -> None:
    """The deploy workflow builds app/ for every stack: its Dockerfile must give each stack's
    writable paths to the stack's container user."""
    s = settings.parse("efs-platform", stack_config(stack))
    built = [spec.args.container for spec in s.services.values() if spec.image is None]
    assert built, "no service runs the image built from app/"
    for container in built:
        assert container.readonly_root_filesystem and container.writable_paths
        assert writable_path_problems(ROOT / "app" / "Dockerfile", container.writable_paths, container.user) == []


def test_a_build_context_whose_image_cannot_write_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM nginxinc/nginx-unprivileged:1.29-alpine\nUSER 101:101\n")
    services = {
        "web": {"port": 8080, "user": "101:101"},
        # Its own image, not the built one: not checked against this Dockerfile.
        "tool": {"image": "example.org/tool:1", "user": "1000", "writablePaths": ["/cache"]},
    }
    config = {
        "aws:region": "eu-west-1",
        "efs-platform:buildContext": str(tmp_path),
        "efs-platform:services": json.dumps(services),
    }
    with pytest.raises(settings.ConfigError) as raised:
        settings.parse("efs-platform", config)
    message = str(raised.value)
    assert "efs-platform:services.web.writablePaths" in message and "declares no VOLUME /tmp" in message
    (tmp_path / "Dockerfile").write_text(GOOD)
    assert settings.parse("efs-platform", config).registry.build_context == str(tmp_path)
