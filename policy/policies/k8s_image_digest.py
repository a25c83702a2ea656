"""Kubernetes workloads run images pinned by digest (advisory).

A tag (``busybox:1.37``, ``app:latest``) is a movable pointer: the registry can serve other
bytes under it tomorrow, so two pods of one Deployment may run different code, and a rollback to
"the same" manifest may not restore the same image. A digest (``…@sha256:<64 hex>``) names the
content (reference grammar: distribution/reference ``reference.go``). Containers, init
containers and ephemeral containers of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets,
Jobs and CronJobs are checked. Security Hub: none; checkov CKV_K8S_43 (image should use digest).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ._graph import UNKNOWN, Res, as_list, value
from ._rule import ADVISORY, Unverifiable, resource_rule

POD = "kubernetes:core/v1:Pod"
TEMPLATED = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
)
CRON_JOB = "kubernetes:batch/v1:CronJob"
# "@" digest-algorithm ":" hex, as the reference grammar defines a digest.
_DIGEST = re.compile(r"@[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_KINDS = ("containers", "initContainers", "ephemeralContainers")


def _pod_spec(res: Res) -> Any:
    if res.type == POD:
        return res.get("spec")
    if res.type == CRON_JOB:
        return res.get("spec", "jobTemplate", "spec", "template", "spec")
    return res.get("spec", "template", "spec")


def _check(res: Res, config: dict[str, Any]) -> Iterator[str]:
    spec = _pod_spec(res)
    if spec is UNKNOWN:
        yield Unverifiable("cannot verify the images: the pod spec is not known in this preview.")
        return
    for kind in _KINDS:
        listed = value(spec, kind, default=[])
        if listed is UNKNOWN:
            yield Unverifiable(f"cannot verify the images: {kind} is not known in this preview.")
            continue
        for i, container in enumerate(as_list(listed)):
            if container is UNKNOWN or not isinstance(container, dict):
                yield Unverifiable(f"cannot verify the image of {kind}[{i}]: it is not known in this preview.")
                continue
            name = container.get("name") if isinstance(container.get("name"), str) else f"{kind}[{i}]"
            image = container.get("image")
            if image is UNKNOWN:
                yield Unverifiable(f"cannot verify the image of container {name!r}: it is not known in this preview.")
            elif isinstance(image, str) and not _DIGEST.search(image):
                yield (
                    f"container {name!r} runs {image!r}, a tag the registry can move: pin it by digest "
                    "(<image>[:tag]@sha256:<64 hex>, e.g. eks.sampleImage for the sample writer)."
                )


k8s_image_digest = resource_rule(
    "efs-platform-k8s-image-digest",
    "Kubernetes Pods and workload templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, "
    "CronJob) should run images pinned by digest. Security Hub: none; checkov CKV_K8S_43.",
    (POD, *TEMPLATED, CRON_JOB),
    _check,
    level=ADVISORY,
)
