"""Stack config validation: every bad value fails with the key named, before any resource."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
import yaml

import settings
from components.network import NetworkArgs
from tests.conftest import STACKS, stack_config

ROOT = Path(__file__).resolve().parent.parent
P = "efs-platform:"


def parse(**values: str) -> settings.PlatformSettings:
    config = {"aws:region": "eu-west-1", **{P + k: v for k, v in values.items()}}
    return settings.parse("efs-platform", config)


def error(**values: str) -> str:
    with pytest.raises(settings.ConfigError) as caught:
        parse(**values)
    return str(caught.value)


def test_defaults_are_the_secure_ones() -> None:
    s = parse()
    assert s.region == "eu-west-1"
    assert s.network == NetworkArgs()
    assert s.network.cidr_block == "10.0.0.0/16"
    assert s.network.az_count == 2
    # Only what the stack uses: image pulls and logs (no secrets, no EKS nodes by default).
    assert s.network.interface_endpoints == ("ecr.api", "ecr.dkr", "logs")


SM = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
SSM = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/token"


@pytest.mark.parametrize(
    ("values", "extra"),
    [
        ({"secrets": json.dumps({"DB": SM})}, ("secretsmanager",)),
        ({"secrets": json.dumps({"TOKEN": SSM})}, ("ssm",)),
        ({"repositoryCredentialsSecretArn": SM}, ("secretsmanager",)),
        ({"eks.enabled": "true"}, ()),  # Fargate pods: no IAM identity, no STS
        ({"eks.enabled": "true", "eks.nodeGroup": "true", "natStrategy": "single"}, ("sts",)),
        ({"eks.enabled": "true", "eks.nodeGroup": "true", "natStrategy": "none"}, ("sts", "ec2")),
        (
            {"eks.enabled": "true", "eks.nodeGroup": "true", "natStrategy": "none", "eks.dynamicProvisioning": "true"},
            ("sts", "ec2", "elasticfilesystem"),
        ),
        ({"interfaceEndpoints": '["auto", "kms"]'}, ("kms",)),
    ],
    ids=["secretsmanager", "ssm", "registry-credentials", "eks-fargate", "irsa", "nodes-no-nat", "dynamic", "added"],
)
def test_interface_endpoints_are_the_ones_the_stack_uses(values: dict[str, str], extra: tuple[str, ...]) -> None:
    assert parse(**values).network.interface_endpoints == ("ecr.api", "ecr.dkr", "logs", *extra)


def test_an_explicit_endpoint_list_is_taken_as_given() -> None:
    s = parse(interfaceEndpoints='["ecr.api", "ecr.dkr"]', secrets=json.dumps({"DB": SM}))
    assert s.network.interface_endpoints == ("ecr.api", "ecr.dkr")


def test_pulumi_yaml_declares_every_key_with_the_same_default() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    # Map-valued keys cannot be declared (the project schema has no object type).
    maps = {"accessPoints", "environment", "secrets"}
    assert set(declared) == set(settings._KEYS) - maps
    assert {
        key for key, (kind, _, _) in settings._KEYS.items() if kind in (settings._MAP, settings._ACCESS_POINTS)
    } == maps
    assert all(spec["description"].strip() and "type" in spec for spec in declared.values())
    # The schema's defaults, passed as the CLI passes config, give the code's defaults.
    as_config = {
        P + key: json.dumps(spec["default"])
        if isinstance(spec["default"], (dict, list))
        else str(spec["default"]).lower()
        if isinstance(spec["default"], bool)
        else str(spec["default"])
        for key, spec in declared.items()
    }
    assert parse(**{k[len(P) :]: v for k, v in as_config.items()}) == parse()


def test_values_are_typed() -> None:
    s = parse(vpcCidr="10.20.0.0/16", azCount="3", natStrategy="per-az", interfaceEndpoints='["ecr.api","logs"]')
    assert s.network.az_count == 3
    assert s.network.nat_strategy == "per-az"
    assert s.network.interface_endpoints == ("ecr.api", "logs")


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"vpcCidr": "10.0.0.300/16"}, "vpcCidr", "CIDR notation"),
        ({"vpcCidr": "10.0.0.1/16"}, "vpcCidr", "no host bits"),
        ({"vpcCidr": "10.0.0.0/8"}, "vpcCidr", "/16 to /28"),
        ({"vpcCidr": "8.8.0.0/16"}, "vpcCidr", "must lie inside 10.0.0.0/8"),
        ({"vpcCidr": "10.0.0.0/26", "azCount": "3", "subnetPrefixLength": "28"}, "vpcCidr", "too small for 3 AZs"),
        ({"vpcCidr": "10.0.0.0/20", "subnetPrefixLength": "20"}, "subnetPrefixLength", "longer than the VPC's /20"),
        ({"azCount": "1"}, "azCount", "from 2 to 6"),
        ({"azCount": "7"}, "azCount", "from 2 to 6"),
        ({"azCount": "two"}, "azCount", "must be an integer"),
        ({"subnetPrefixLength": "29"}, "subnetPrefixLength", "from 16 to 28"),
        ({"natStrategy": "double"}, "natStrategy", "one of none, single, per-az"),
        ({"interfaceEndpoints": "ecr.api"}, "interfaceEndpoints", "list of strings"),
        ({"interfaceEndpoints": '["ecr.api","ecr.api"]'}, "interfaceEndpoints", "must not repeat"),
        ({"interfaceEndpoints": '["s3"]'}, "interfaceEndpoints", "gateway endpoint"),
        ({"interfaceEndpoints": '["ECR API"]'}, "interfaceEndpoints", "service name"),
        ({"flowLogRetentionDays": "10"}, "flowLogRetentionDays", "one of 1, 3, 5"),
        ({"natStrateg": "none"}, "natStrateg", "unknown config key"),
        ({"imageTag": "-bad"}, "imageTag", "Docker tag"),
        ({"ecrKeepTaggedImages": "0"}, "ecrKeepTaggedImages", "from 1 to 1000"),
        ({"efsPerformanceMode": "fast"}, "efsPerformanceMode", "one of generalPurpose, maxIO"),
        ({"efsThroughputMode": "provisioned"}, "efsProvisionedThroughputMibps", "needs its figure"),
        (
            {"efsProvisionedThroughputMibps": "100"},
            "efsProvisionedThroughputMibps",
            "only to throughput_mode provisioned",
        ),
        ({"efsPerformanceMode": "maxIO"}, "efsPerformanceMode", "does not support elastic"),
        ({"efsTransitionToIa": "AFTER_2_DAYS"}, "efsTransitionToIa", "AFTER_30_DAYS"),
        ({"accessPoints": '{"app": {"uid": 0, "gid": 1000, "path": "/app"}}'}, "accessPoints.app.uid", "from 1 to"),
        ({"accessPoints": '{"app": {"uid": 1000, "gid": 1000, "path": "app"}}'}, "accessPoints.app.path", "absolute"),
        (
            {"accessPoints": '{"app": {"uid": 1000, "gid": 1000, "path": "/app", "permissions": "rwx"}}'},
            "accessPoints.app.permissions",
            "octal",
        ),
        ({"accessPoints": '{"app": {"uid": 1000}}'}, "accessPoints.app", "uid, gid, path"),
        ({"efsAccessPoint": "logs"}, "efsAccessPoint", "one of accessPoints: app"),
        ({"efsMountPath": "data"}, "efsMountPath", "absolute"),
        ({"cpu": "300"}, "cpu", "one of 256, 512"),
        ({"cpu": "256", "memory": "4096"}, "memory", "takes memory 512 to 2048"),
        ({"platformVersion": "1.3.0"}, "platformVersion", "1.4.0 or later"),
        ({"platformVersion": "latest"}, "platformVersion", "1.4.0 or later"),
        ({"containerPort": "70000"}, "containerPort", "from 1 to 65535"),
        ({"readonlyRootFilesystem": "yes"}, "readonlyRootFilesystem", "true or false"),
        (
            {"environment": '{"AWS_SECRET_ACCESS_KEY": "x"}'},
            "environment.AWS_SECRET_ACCESS_KEY",
            "never go in the environment",
        ),
        ({"environment": '{"KEY": "AKIAABCDEFGHIJKLMNOP"}'}, "environment.KEY", "never go in the environment"),
        (
            {"secrets": '{"DB": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"}'},
            "secrets.DB",
            "random suffix",
        ),
        (
            {"repositoryCredentialsSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub"},
            "repositoryCredentialsSecretArn",
            "random suffix",
        ),
        ({"minCount": "3", "maxCount": "2"}, "maxCount", "at least min_count"),
        ({"desiredCount": "9"}, "desiredCount", "from 2 to 4"),
        ({"certificateArn": "arn:aws:iam::123456789012:server-certificate/x"}, "certificateArn", "ACM certificate"),
        ({"logRetentionDays": "31"}, "logRetentionDays", "one of 1, 3"),
        ({"eks.enabled": "yes"}, "eks.enabled", "true or false"),
        ({"eks.version": "1.29"}, "eks.version", "one of 1.34, 1.35, 1.36"),
        ({"eks.version": "1.35.2"}, "eks.version", "one of 1.34, 1.35, 1.36"),
        (
            {"eks.publicAccessCidrs": '["0.0.0.0/0"]'},
            "eks.publicAccessCidrs / efs-platform:eks.allowPublicEndpointFromAnywhere",
            "opens the Kubernetes API to the internet",
        ),
        ({"eks.publicAccessCidrs": '["203.0.113.1/24"]'}, "eks.publicAccessCidrs", "CIDR notation"),
        ({"eks.publicAccessCidrs": '["2001:db8::/32"]'}, "eks.publicAccessCidrs", "IPv4"),
        ({"eks.apiAccessCidrs": '["0.0.0.0/0"]'}, "eks.apiAccessCidrs", "must not be 0.0.0.0/0 or ::/0"),
        ({"eks.apiAccessCidrs": '["::/0"]'}, "eks.apiAccessCidrs", "must not be 0.0.0.0/0 or ::/0"),
        ({"eks.apiAccessCidrs": '["10.20.0.1/16"]'}, "eks.apiAccessCidrs", "CIDR notation"),
        ({"eks.apiAccessCidrs": '["runners"]'}, "eks.apiAccessCidrs", "CIDR notation"),
        ({"eks.apiAccessCidrs": "10.20.0.0/16"}, "eks.apiAccessCidrs", "list of strings"),
        ({"eks.apiAccessSecurityGroupIds": '["sg-123"]'}, "eks.apiAccessSecurityGroupIds", "security group ids"),
        ({"eks.apiAccessSecurityGroupIds": '["vpc-0123456789abcdef0"]'}, "eks.apiAccessSecurityGroupIds", "sg-"),
        ({"eks.kubernetesObjects": "later"}, "eks.kubernetesObjects", "true or false"),
        (
            {"eks.logTypes": '["api", "audit", "kubelet"]'},
            "eks.logTypes",
            "one of api, audit, authenticator, controllerManager, scheduler",
        ),
        ({"eks.logTypes": '["api", "authenticator"]'}, "eks.logTypes", "must include audit"),
        ({"eks.logTypes": '["audit", "audit"]'}, "eks.logTypes", "must not repeat"),
        ({"eks.sampleImage": "docker.io/library/busybox:1.37"}, "eks.sampleImage", "must be pinned by digest"),
        ({"eks.sampleImage": "busybox@sha256:1234"}, "eks.sampleImage", "sha256:<64 hex digits>"),
        ({"eks.sampleImage": "Busybox@sha256:" + "a" * 64}, "eks.sampleImage", "must be pinned by digest"),
        ({"eks.namespace": "kube-system"}, "eks.namespace", "not kube-*"),
        ({"eks.namespace": "Efs_App"}, "eks.namespace", "namespace name"),
        ({"eks.logRetentionDays": "45"}, "eks.logRetentionDays", "one of 1, 3"),
        ({"eks.nodeInstanceTypes": '["large"]'}, "eks.nodeInstanceTypes", "EC2 instance types"),
        ({"eks.nodeMinSize": "3", "eks.nodeMaxSize": "2"}, "eks.nodeMaxSize", "from 3 to 100"),
        ({"eks.replicas": "0"}, "eks.replicas", "from 1 to 50"),
        (
            {"eks.dynamicProvisioning": "true"},
            "eks.dynamicProvisioning / efs-platform:eks.nodeGroup",
            "EKS Fargate supports only static provisioning",
        ),
        ({"eks.enabled": "true", "eks.accessPoint": "logs"}, "eks.accessPoint", "one of accessPoints: app"),
        (
            {
                "accessPoints": '{"app": {"uid": 1000, "gid": 1000, "path": "/app"}, '
                '"ro": {"uid": 1001, "gid": 1000, "path": "/app"}}'
            },
            "accessPoints",
            "share the path /app with different uid",
        ),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(values: dict[str, str], key: str, fragment: str) -> None:
    message = error(**values)
    assert f"{P}{key}" in message
    assert fragment in message


def test_error_shows_the_value_given() -> None:
    assert "'double'" in error(natStrategy="double")


def test_unknown_key_lists_the_known_ones() -> None:
    message = error(natStrateg="none")
    assert "natStrategy" in message and "azCount" in message


@pytest.mark.parametrize("region", [None, "", "Europe", "eu_west_1"])
def test_region_is_required_and_well_formed(region: str | None) -> None:
    config = {} if region is None else {"aws:region": region}
    with pytest.raises(settings.ConfigError, match="aws:region"):
        settings.parse("efs-platform", config)


def test_other_namespaces_are_not_ours_to_judge() -> None:
    s = settings.parse("efs-platform", {"aws:region": "eu-west-1", "aws:profile": "x", "kubernetes:context": "y"})
    assert s.region == "eu-west-1"


def test_config_error_is_a_run_error_so_the_cli_shows_no_traceback() -> None:
    assert issubclass(settings.ConfigError, pulumi.RunError)


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_stack_is_valid(stack: str) -> None:
    settings.parse("efs-platform", stack_config(stack))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dev_is_cheap_and_prod_is_resilient(stack: str) -> None:
    s = settings.parse("efs-platform", stack_config(stack))
    assert s.network.az_count == {"dev": 2, "prod": 3}[stack]
    assert s.network.nat_strategy == {"dev": "none", "prod": "per-az"}[stack]
    assert s.service.alb_deletion_protection is (stack == "prod")


def test_eks_is_off_by_default_with_a_private_endpoint_and_static_volumes() -> None:
    s = parse()
    assert s.eks_enabled is False
    assert (s.eks.version, s.eks.public_access_cidrs, s.eks.node_group) == ("1.35", (), False)
    assert s.eks_storage.dynamic_provisioning is False and s.eks_storage.ec2_nodes is False
    # No EKS: no extra access point.
    assert [a.name for a in s.file_system.access_points] == ["app"]


def test_eks_pods_get_a_twin_of_the_service_access_point() -> None:
    s = parse(**{"eks.enabled": "true"})
    app, twin = s.file_system.access_points
    assert s.eks_access_point == twin.name == "app-eks"
    assert (twin.uid, twin.gid, twin.path, twin.permissions) == (app.uid, app.gid, app.path, app.permissions)
    assert (s.eks_storage.uid, s.eks_storage.gid) == (1000, 1000)


def test_eks_can_mount_a_named_access_point_as_its_user() -> None:
    s = parse(
        **{
            "eks.enabled": "true",
            "eks.accessPoint": "k8s",
            "accessPoints": '{"app": {"uid": 1000, "gid": 1000, "path": "/app"}, '
            '"k8s": {"uid": 2000, "gid": 2000, "path": "/k8s"}}',
        }
    )
    assert [a.name for a in s.file_system.access_points] == ["app", "k8s"]
    assert (s.eks_access_point, s.eks_storage.uid, s.eks_storage.gid) == ("k8s", 2000, 2000)


def test_public_endpoint_open_to_the_world_needs_the_explicit_opt_out() -> None:
    s = parse(**{"eks.publicAccessCidrs": '["0.0.0.0/0"]', "eks.allowPublicEndpointFromAnywhere": "true"})
    assert s.eks.public_access_cidrs == ("0.0.0.0/0",)


def test_dynamic_provisioning_with_the_node_group() -> None:
    s = parse(**{"eks.nodeGroup": "true", "eks.dynamicProvisioning": "true"})
    assert s.eks_storage.dynamic_provisioning and s.eks_storage.ec2_nodes


def test_secret_values_are_the_leaves_of_the_secret_keys() -> None:
    config = {
        "aws:region": "eu-west-1",
        P + "environment": json.dumps({"API_TOKEN": "tok-0123456789", "MODE": "on"}),
        P + "containerPort": "8080",
    }
    s = settings.parse("efs-platform", config, frozenset({P + "environment"}))
    secrets = s.secret_values
    assert secrets.carries('[{"environment": [{"name": "API_TOKEN", "value": "tok-0123456789"}]}]')
    assert secrets.carries("on") and not secrets.carries("one")  # short values only as a whole
    assert not secrets.carries("API_TOKEN")  # a map's keys are not the secret
    assert not secrets.carries(8080)  # containerPort was not set as a secret
    assert not settings.parse("efs-platform", config).secret_values


def test_an_error_about_a_secret_key_never_shows_its_value() -> None:
    config = {"aws:region": "eu-west-1", P + "certificateArn": "hunter2-not-an-arn"}
    with pytest.raises(settings.ConfigError) as raised:
        settings.parse("efs-platform", config, frozenset({P + "certificateArn"}))
    assert f"{P}certificateArn=[secret]" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_the_private_api_is_admitted_from_the_named_networks_and_groups_only() -> None:
    s = parse()
    assert (s.eks.api_access_cidrs, s.eks.api_access_security_group_ids) == ((), ())
    assert s.eks_kubernetes_objects is True
    s = parse(
        **{
            "eks.apiAccessCidrs": '["10.20.0.0/16", "2001:db8::/56"]',
            "eks.apiAccessSecurityGroupIds": '["sg-0123456789abcdef0", "sg-01234567"]',
            "eks.kubernetesObjects": "false",
        }
    )
    assert s.eks.api_access_cidrs == ("10.20.0.0/16", "2001:db8::/56")
    assert s.eks.api_access_security_group_ids == ("sg-0123456789abcdef0", "sg-01234567")
    assert s.eks_kubernetes_objects is False


def test_control_plane_logs_default_to_api_audit_authenticator_and_prod_sends_all_five() -> None:
    assert parse().eks.log_types == ("api", "audit", "authenticator")
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    assert doc[P + "eks.logTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def test_the_sample_image_is_pinned_by_digest_and_configurable() -> None:
    default = parse().eks_storage.image
    assert default.endswith("@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0")
    mine = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/tools/writer:2@sha256:" + "0f" * 32
    assert parse(**{"eks.sampleImage": mine}).eks_storage.image == mine
    assert parse(**{"eks.sampleImage": "localhost:5000/w@sha256:" + "1" * 64}).eks_storage.image.startswith("localhost")
