"""Can a non-root container write its writable paths? What a Dockerfile says about it.

Under a read-only root file system, ``writablePaths`` are ECS bind-mount volumes. On Fargate
(platform 1.4.0+) such a volume is created empty, "By default, the volume permissions are set to
0755 and the owner as root", unless the image declares a ``VOLUME`` at the same absolute path as
the ``containerPath``: then the data, owner and permissions of that path in the image are copied
to the volume ("You can customize these permissions in the Dockerfile")
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html, considerations;
aws/containers-roadmap#863 and #938). A container running as a non-root user therefore needs,
for each writable path, a ``VOLUME`` in its image and the path given to that user before the
``VOLUME`` line (Docker discards changes made to a volume path after it is declared).

The Dockerfile is parsed with ``dockerfile`` (Docker's own Go parser). Only the final stage
counts, as that is the image that runs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from pathlib import Path

import dockerfile

ROOT_USERS = {"0", "root"}


def runs_as_root(user: str | None) -> bool | None:
    """Whether ``user`` (``uid[:gid]`` or a name) is root; ``None`` when the image decides."""
    if user is None or user == "":
        return None
    return user.split(":", 1)[0] in ROOT_USERS


def _final_stage(commands: Sequence[dockerfile.Command]) -> list[dockerfile.Command]:
    starts = [i for i, c in enumerate(commands) if c.cmd.upper() == "FROM"]
    return list(commands[starts[-1] :]) if starts else list(commands)


def _gives_to_user(command: dockerfile.Command, path: str) -> bool:
    """A ``RUN`` that changes the owner of ``path`` (chown, or install/mkdir with an owner)."""
    if command.cmd.upper() != "RUN":
        return False
    text = " ".join(command.value)
    path = posixpath.normpath(path)
    mentions = re.search(rf"(?<![\w/.-]){re.escape(path)}/?(?![\w/.-])", text) is not None
    return mentions and re.search(r"\bchown\b|\binstall\b[^;&|]*\s-o\b", text) is not None


def writable_path_problems(dockerfile_path: Path, writable_paths: Sequence[str], user: str | None) -> list[str]:
    """What keeps ``user`` from writing each of ``writable_paths`` in the image built from
    ``dockerfile_path``; empty when nothing does (or the container runs as root)."""
    if runs_as_root(user) is True or not writable_paths:
        return []
    try:
        commands = _final_stage(dockerfile.parse_file(str(dockerfile_path)))
    except dockerfile.GoIOError:
        return [f"{dockerfile_path} does not exist or cannot be read"]
    except dockerfile.GoParseError as e:
        return [f"{dockerfile_path} cannot be parsed: {e}"]
    if user is None:
        # The container definition sets no user: the image's last USER runs (root without one).
        users = [c.value[0] for c in commands if c.cmd.upper() == "USER" and c.value]
        user = users[-1] if users else None
        if user is None or runs_as_root(user):
            return []
    volumes: dict[str, int] = {}
    for i, c in enumerate(commands):
        if c.cmd.upper() == "VOLUME":
            for raw in c.value:
                for path in raw.split():
                    volumes.setdefault(posixpath.normpath(path), i)
    problems = []
    who = f"user {user}" if user else "the image's user"
    for path in writable_paths:
        at = volumes.get(posixpath.normpath(path))
        if at is None:
            problems.append(
                f"{dockerfile_path} declares no VOLUME {path}: ECS mounts an empty, root-owned (0755) "
                f"directory there, which {who} cannot write; give the path to {who} and declare "
                f'VOLUME ["{path}"] after that'
            )
        elif not any(_gives_to_user(c, path) for c in commands[:at]):
            problems.append(
                f"{dockerfile_path} declares VOLUME {path} but never gives the path to {who} before it "
                f"(e.g. RUN chown {user or '<uid>:<gid>'} {path}); ECS would copy a root-owned directory"
            )
    return problems
