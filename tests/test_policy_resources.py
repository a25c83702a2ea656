"""Resource rules: for each, a compliant baseline resource and failing cases that each change one
property, through the analyzer path of the offline preview, with known outputs and as a preview
of a new stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime.proto.analyzer_pb2 import POLICY_TYPE_RESOURCE

from offline.analysis import LoadedPack
from tests.conftest import MODES, violations

KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def found(pack: LoadedPack, program: Callable[[], object], unknowns: bool, config: dict | None = None) -> set:
    """(rule, level) of the resource rules' violations (the stack rules have their own tests)."""
    resource_rules = {p.name for p in pack.info.policies if p.policy_type == POLICY_TYPE_RESOURCE}
    return {
        (v.policy.removeprefix("efs-platform-"), v.level)
        for v in violations(pack, program, unknowns, config)
        if v.policy in resource_rules
    }


# Each baseline builds one compliant resource; a case passes keyword changes to it.


def efs(**change: Any) -> Callable[[], object]:
    props = {"encrypted": True, "kms_key_id": KEY, **change}
    opts = pulumi.ResourceOptions(protect=change.pop("protect", True))
    props.pop("protect", None)
    return lambda: aws.efs.FileSystem("fs", **props, opts=opts)


def efs_volume(**change: Any) -> dict[str, Any]:
    auth = {"access_point_id": "fsap-0123456789abcdef0", "iam": "ENABLED", **change.pop("auth", {})}
    return {
        "file_system_id": "fs-0123456789abcdef0",
        "transit_encryption": "ENABLED",
        "authorization_config": auth,
        **change,
    }


def container(**change: Any) -> dict[str, Any]:
    return {
        "name": "app",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1",
        "essential": True,
        "readonlyRootFilesystem": True,
        "user": "1000:1000",
        "environment": [{"name": "MODE", "value": "production"}],
        **change,
    }


def task(volume: dict[str, Any] | None = None, **container_change: Any) -> Callable[[], object]:
    def program() -> None:
        aws.ecs.TaskDefinition(
            "task",
            family="app",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu="256",
            memory="512",
            container_definitions=json.dumps([container(**container_change)]),
            volumes=[{"name": "data", "efs_volume_configuration": volume or efs_volume()}],
        )

    return program


def listener(**change: Any) -> Callable[[], object]:
    def program() -> None:
        lb = aws.lb.LoadBalancer(
            "alb", load_balancer_type="application", internal=True, subnets=["subnet-1", "subnet-2"]
        )
        props = {
            "protocol": "HTTPS",
            "port": 443,
            "certificate_arn": CERT,
            "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "default_actions": [
                {"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "status_code": "200"}}
            ],
        }
        props.update(change)
        aws.lb.Listener("listener", load_balancer_arn=lb.arn, **{k: v for k, v in props.items() if v is not None})

    return program


def eks(**vpc_change: Any) -> Callable[[], object]:
    def program() -> None:
        key = aws.kms.Key("eks", enable_key_rotation=True)
        vpc_config = {
            "subnet_ids": ["subnet-1", "subnet-2"],
            "endpoint_private_access": True,
            "endpoint_public_access": False,
            **vpc_change,
        }
        encryption = vpc_config.pop("encryption", {"resources": ["secrets"], "provider": {"key_arn": key.arn}})
        log_types = vpc_config.pop("log_types", ["api", "audit", "authenticator"])
        aws.eks.Cluster(
            "eks",
            role_arn="arn:aws:iam::123456789012:role/eks",
            vpc_config=vpc_config,
            encryption_config=encryption,
            enabled_cluster_log_types=log_types,
        )

    return program


def pv(**change: Any) -> Callable[[], object]:
    csi = {
        "driver": "efs.csi.aws.com",
        "volume_handle": "fs-0123456789abcdef0::fsap-0123456789abcdef0",
        **change.pop("csi", {}),
    }
    spec = {
        "capacity": {"storage": "5Gi"},
        "access_modes": ["ReadWriteMany"],
        "persistent_volume_reclaim_policy": "Retain",
        "storage_class_name": "efs-sc",
        "csi": csi,
        **change,
    }
    return lambda: k8s.core.v1.PersistentVolume("pv", metadata={"name": "efs-pv"}, spec=spec)


def storage_class(**change: Any) -> Callable[[], object]:
    props = {
        "provisioner": "efs.csi.aws.com",
        "reclaim_policy": "Retain",
        "parameters": {"provisioningMode": "efs-ap", "fileSystemId": "fs-0123456789abcdef0", "directoryPerms": "700"},
        **change,
    }
    return lambda: k8s.storage.v1.StorageClass("sc", metadata={"name": "efs-dynamic"}, **props)


DIGEST = "sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0"
PINNED = f"docker.io/library/busybox:1.37@{DIGEST}"


def workload(kind: str = "deployment", image: str = PINNED, init_image: str | None = None) -> Callable[[], object]:
    def program() -> None:
        pod: dict[str, Any] = {"containers": [{"name": "app", "image": image}]}
        if init_image is not None:
            pod["init_containers"] = [{"name": "init", "image": init_image}]
        labels = {"app": "w"}
        template = {"metadata": {"labels": labels}, "spec": pod}
        if kind == "pod":
            k8s.core.v1.Pod("w", spec=pod)
        elif kind == "deployment":
            k8s.apps.v1.Deployment("w", spec={"selector": {"match_labels": labels}, "template": template})
        elif kind == "stateful-set":
            k8s.apps.v1.StatefulSet(
                "w", spec={"selector": {"match_labels": labels}, "service_name": "w", "template": template}
            )
        elif kind == "daemon-set":
            k8s.apps.v1.DaemonSet("w", spec={"selector": {"match_labels": labels}, "template": template})
        elif kind == "job":
            k8s.batch.v1.Job("w", spec={"template": {**template, "spec": {**pod, "restart_policy": "Never"}}})
        else:
            k8s.batch.v1.CronJob(
                "w",
                spec={
                    "schedule": "*/5 * * * *",
                    "job_template": {"spec": {"template": {**template, "spec": {**pod, "restart_policy": "Never"}}}},
                },
            )

    return program


WORKLOAD_KINDS = ["pod", "deployment", "stateful-set", "daemon-set", "job", "cron-job"]


BASELINES = {
    "efs": efs(),
    "task": task(),
    "listener": listener(),
    "eks": eks(),
    "pv": pv(),
    "pv-encrypt-in-transit-T": pv(csi={"volume_attributes": {"encryptInTransit": "T"}}),  # ParseBool: true
    "storage-class": storage_class(),
    **{f"workload-{kind}": workload(kind) for kind in WORKLOAD_KINDS},
    "ecr": lambda: aws.ecr.Repository(
        "repo",
        encryption_configurations=[{"encryption_type": "KMS", "kms_key": KEY}],
        opts=pulumi.ResourceOptions(protect=True),
    ),
    "log-group": lambda: aws.cloudwatch.LogGroup("logs", kms_key_id=KEY, retention_in_days=30),
    "kms-key": lambda: aws.kms.Key("key", enable_key_rotation=True),
    "mount-target": lambda: aws.efs.MountTarget(
        "mt", file_system_id="fs-0123456789abcdef0", subnet_id="subnet-1", security_groups=["sg-0123456789abcdef0"]
    ),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("name", list(BASELINES))
def test_baseline_is_compliant(pack: LoadedPack, name: str, unknowns: bool) -> None:
    assert found(pack, BASELINES[name], unknowns) == set()


CASES = {
    "efs-unencrypted": (efs(encrypted=False, kms_key_id=None), {("efs-encrypted", "mandatory")}),
    "efs-aws-managed-key": (efs(kms_key_id=None), {("efs-encrypted", "mandatory")}),
    "efs-unprotected": (efs(protect=False), {("stateful-resources-protected", "advisory")}),
    "task-transit-disabled": (
        task(efs_volume(transit_encryption="DISABLED")),
        {("ecs-efs-transit-encryption", "mandatory")},
    ),
    "task-transit-unset": (task(efs_volume(transit_encryption=None)), {("ecs-efs-transit-encryption", "mandatory")}),
    "task-access-point-without-iam": (
        task(efs_volume(auth={"iam": "DISABLED"})),
        {("ecs-efs-transit-encryption", "mandatory")},
    ),
    "task-aws-key-in-env": (
        task(environment=[{"name": "AWS_SECRET_ACCESS_KEY", "value": "x"}]),
        {("ecs-no-aws-credentials-in-env", "mandatory")},
    ),
    "task-access-key-value": (
        task(environment=[{"name": "TOKEN", "value": "AKIAABCDEFGHIJKLMNOP"}]),
        {("ecs-no-aws-credentials-in-env", "mandatory")},
    ),
    "task-privileged": (task(privileged=True), {("ecs-no-privileged-containers", "mandatory")}),
    "task-writable-root": (task(readonlyRootFilesystem=False), {("ecs-readonly-root-filesystem", "advisory")}),
    "task-root-user": (task(user="0:0"), {("ecs-non-root-user", "advisory")}),
    "task-image-user": (task(user=None), {("ecs-non-root-user", "advisory")}),
    "listener-http-forward": (
        listener(protocol="HTTP", port=80, certificate_arn=None, ssl_policy=None),
        {("lb-https", "advisory")},
    ),
    "listener-old-tls": (listener(ssl_policy="ELBSecurityPolicy-2016-08"), {("lb-tls-policy", "mandatory")}),
    "listener-default-tls": (listener(ssl_policy=None), {("lb-tls-policy", "mandatory")}),
    "eks-no-secrets-encryption": (eks(encryption=None), {("eks-secrets-encryption", "mandatory")}),
    "eks-encrypts-other-resources": (
        eks(encryption={"resources": ["configmaps"], "provider": {"key_arn": KEY}}),
        {("eks-secrets-encryption", "mandatory")},
    ),
    "eks-public-endpoint-open": (eks(endpoint_public_access=True), {("eks-endpoint-restricted", "mandatory")}),
    "eks-public-endpoint-world": (
        eks(endpoint_public_access=True, public_access_cidrs=["0.0.0.0/0"]),
        {("eks-endpoint-restricted", "mandatory")},
    ),
    "eks-private-endpoint-off": (eks(endpoint_private_access=False), {("eks-endpoint-restricted", "mandatory")}),
    **{
        f"{kind}-image-by-tag": (
            workload(kind, image="docker.io/library/busybox:1.37"),
            {("k8s-image-digest", "advisory")},
        )
        for kind in WORKLOAD_KINDS
    },
    "deployment-init-container-by-tag": (
        workload(init_image="public.ecr.aws/docker/library/busybox:latest"),
        {("k8s-image-digest", "advisory")},
    ),
    "deployment-image-without-tag-or-digest": (workload(image="busybox"), {("k8s-image-digest", "advisory")}),
    "eks-no-control-plane-logs": (eks(log_types=None), {("eks-audit-logging", "advisory")}),
    "eks-logs-without-audit": (
        eks(log_types=["api", "authenticator", "controllerManager", "scheduler"]),
        {("eks-audit-logging", "advisory")},
    ),
    "pv-notls": (pv(mount_options=["notls"]), {("k8s-efs-transit-encryption", "mandatory")}),
    "pv-encrypt-in-transit-false": (
        pv(csi={"volume_attributes": {"encryptInTransit": "false"}}),
        {("k8s-efs-transit-encryption", "mandatory")},
    ),
    # The driver parses the value with Go's strconv.ParseBool and matches the key in any case.
    **{
        f"pv-encrypt-in-transit-{value}": (
            pv(csi={"volume_attributes": {"encryptInTransit": value}}),
            {("k8s-efs-transit-encryption", "mandatory")},
        )
        for value in ("0", "f", "F", "False")
    },
    "pv-encryptintransit-lowercase-key-false": (
        pv(csi={"volume_attributes": {"encryptintransit": "false"}}),
        {("k8s-efs-transit-encryption", "mandatory")},
    ),
    "storage-class-encrypt-in-transit-0": (
        storage_class(
            parameters={"provisioningMode": "efs-ap", "fileSystemId": "fs-0123456789abcdef0", "encryptInTransit": "0"}
        ),
        {("k8s-efs-transit-encryption", "mandatory")},
    ),
    "pv-delete": (pv(persistent_volume_reclaim_policy="Delete"), {("k8s-pv-retained", "advisory")}),
    "storage-class-notls": (storage_class(mount_options=["notls"]), {("k8s-efs-transit-encryption", "mandatory")}),
    "storage-class-deletes": (storage_class(reclaim_policy=None), {("k8s-pv-retained", "advisory")}),
    "ecr-aes256": (
        lambda: aws.ecr.Repository(
            "repo", encryption_configurations=[{"encryption_type": "AES256"}], opts=pulumi.ResourceOptions(protect=True)
        ),
        {("ecr-kms-encrypted", "mandatory")},
    ),
    "ecr-default": (
        lambda: aws.ecr.Repository("repo", opts=pulumi.ResourceOptions(protect=True)),
        {("ecr-kms-encrypted", "mandatory")},
    ),
    "ecr-unprotected": (
        lambda: aws.ecr.Repository("repo", encryption_configurations=[{"encryption_type": "KMS", "kms_key": KEY}]),
        {("stateful-resources-protected", "advisory")},
    ),
    "log-group-unencrypted": (
        lambda: aws.cloudwatch.LogGroup("logs", retention_in_days=30),
        {("cloudwatch-log-group-kms", "mandatory")},
    ),
    "kms-no-rotation": (lambda: aws.kms.Key("key"), {("kms-key-rotation", "mandatory")}),
    "mount-target-no-groups": (
        lambda: aws.efs.MountTarget("mt", file_system_id="fs-0123456789abcdef0", subnet_id="subnet-1"),
        {("efs-mount-target-names-sg", "mandatory")},
    ),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_one_change_one_violation(pack: LoadedPack, case: str, unknowns: bool) -> None:
    program, expected = CASES[case]
    assert found(pack, program, unknowns) == expected


@pytest.mark.parametrize(
    "program",
    [
        pytest.param(
            lambda: aws.kms.Key("signing", key_usage="SIGN_VERIFY", customer_master_key_spec="RSA_2048"),
            id="asymmetric-key",
        ),
        pytest.param(
            listener(
                protocol="HTTP",
                port=80,
                certificate_arn=None,
                ssl_policy=None,
                default_actions=[
                    {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
                ],
            ),
            id="http-redirect",
        ),
        pytest.param(
            eks(endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"]), id="eks-public-to-named-cidrs"
        ),
        pytest.param(task(efs_volume(authorization_config=None)), id="task-without-access-point"),
    ],
)
def test_compliant_variants_pass(pack: LoadedPack, program: Callable[[], object]) -> None:
    assert found(pack, program, unknowns=False) == set()


# Values as the provider reads them: go-cty converts "true"/"1" and "false"/"0" for booleans;
# the provider refuses anything else, and decodes container definitions strictly (no strings for
# JSON booleans), so such values are "cannot verify", never a pass.
COERCED = {
    "efs-encrypted-as-text": (efs(encrypted="true"), set()),
    "efs-unencrypted-as-text": (efs(encrypted="false", kms_key_id=None), {("efs-encrypted", "mandatory")}),
    "efs-encrypted-refused-text": (efs(encrypted="yes"), {("efs-encrypted", "advisory")}),
    "kms-rotation-as-1": (lambda: aws.kms.Key("key", enable_key_rotation="1"), set()),
    "kms-rotation-as-0": (lambda: aws.kms.Key("key", enable_key_rotation="0"), {("kms-key-rotation", "mandatory")}),
    "kms-rotation-capitalised": (
        lambda: aws.kms.Key("key", enable_key_rotation="True"),
        {("kms-key-rotation", "advisory")},
    ),
    "eks-public-endpoint-as-text": (eks(endpoint_public_access="true"), {("eks-endpoint-restricted", "mandatory")}),
    "listener-protocol-lower-case": (listener(protocol="https", ssl_policy=None), {("lb-tls-policy", "mandatory")}),
    "task-privileged-as-json-text": (task(privileged="true"), {("ecs-no-privileged-containers", "advisory")}),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(COERCED))
def test_values_are_read_as_the_provider_reads_them(pack: LoadedPack, case: str, unknowns: bool) -> None:
    program, expected = COERCED[case]
    assert found(pack, program, unknowns) == expected


def test_customer_managed_key_requirement_is_configurable(pack: LoadedPack) -> None:
    config = {"efs-platform-efs-encrypted": {"requireCustomerManagedKey": False}}
    assert found(pack, efs(kms_key_id=None), False, config) == set()
    assert found(pack, efs(encrypted=False, kms_key_id=None), False, config) == {("efs-encrypted", "mandatory")}


def test_unknown_input_is_reported_as_unverifiable_never_passed(pack: LoadedPack) -> None:
    def program() -> None:
        flag = aws.ec2.Vpc("source", cidr_block="10.9.0.0/16").enable_dns_support  # unknown in a preview
        aws.efs.FileSystem("fs", encrypted=flag, kms_key_id=KEY, opts=pulumi.ResourceOptions(protect=True))

    result = violations(pack, program, unknowns=True)
    (v,) = [v for v in result if v.policy == "efs-platform-efs-encrypted"]
    assert v.level == "advisory"
    assert "during preview" in v.message and "encrypted is not known" in v.message
    assert v.urn.endswith("::fs")
