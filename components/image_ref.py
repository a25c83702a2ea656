"""Container image references: their syntax, and whether a registry is reachable from a stack.

The grammar is the distribution reference grammar Docker, ECS and Kubernetes parse
(github.com/distribution/reference ``reference.go``): ``[host[:port]/]path[:tag][@digest]`` with
lower-case path components. ECR's registry host is ``<account>.dkr.ecr.<region>.amazonaws.com``
(``.amazonaws.com.cn`` in China; https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html),
the only registry a private subnet without NAT reaches (through the ecr.api/ecr.dkr endpoints
and the S3 gateway endpoint; ECR pull-through cache rules also serve from that host).
"""

from __future__ import annotations

import re

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"^(?:(?P<host>[a-zA-Z0-9.-]+(?::[0-9]+)?)/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)
ECR_HOST = re.compile(r"^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


def is_valid(reference: str) -> bool:
    return IMAGE_REFERENCE.match(reference) is not None and len(reference) <= 255 + 72


def is_pinned(reference: str) -> bool:
    """A valid reference that names its image by digest (a tag beside it is for people)."""
    return is_valid(reference) and re.search(r"@sha256:[0-9a-f]{64}$", reference) is not None


def registry(reference: str) -> str:
    """The registry host a reference pulls from (Docker Hub when the first part is no host)."""
    first, _, rest = reference.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def is_ecr(reference: str) -> bool:
    return ECR_HOST.match(registry(reference)) is not None
