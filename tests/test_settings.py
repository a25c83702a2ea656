"""Stack config validation: every bad value fails with the key named, before any resource."""

from __future__ import annotations

import json
import re
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


SUBNETS = '["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]'
VPC = "vpc-0123456789abcdef0"


def svc(name: str = "web", **keys: object) -> str:
    """A ``services`` value with one service (a web service on port 80; ``port=None``: a worker)."""
    return json.dumps({name: {k: v for k, v in {"port": 80, **keys}.items() if v is not None}})


SSM = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/token"


# EKS without NAT: its sample image must come from ECR (a pull-through cache here).
NO_NAT_EKS = {
    "eks.enabled": "true",
    "natStrategy": "none",
    "eks.sampleImage": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/busybox@sha256:" + "b" * 64,
}


@pytest.mark.parametrize(
    ("values", "extra"),
    [
        ({"services": svc(secrets={"DB": SM})}, ("secretsmanager",)),
        ({"services": svc(secrets={"TOKEN": SSM})}, ("ssm",)),
        ({"services": svc(repositoryCredentialsSecretArn=SM)}, ("secretsmanager",)),
        # Every service's secrets count, a worker's too.
        ({"services": json.dumps({"web": {"port": 80}, "worker": {"secrets": {"T": SSM}}})}, ("ssm",)),
        ({"eks.enabled": "true"}, ()),  # Fargate pods: no IAM identity, no STS
        ({"eks.enabled": "true", "eks.nodeGroup": "true", "natStrategy": "single"}, ("sts",)),
        ({**NO_NAT_EKS, "eks.nodeGroup": "true"}, ("sts", "ec2")),
        (
            {**NO_NAT_EKS, "eks.nodeGroup": "true", "eks.dynamicProvisioning": "true"},
            ("sts", "ec2", "elasticfilesystem"),
        ),
        ({"interfaceEndpoints": '["auto", "kms"]'}, ("kms",)),
    ],
    ids=[
        "secretsmanager",
        "ssm",
        "registry-credentials",
        "worker-secret",
        "eks-fargate",
        "irsa",
        "nodes-no-nat",
        "dynamic",
        "added",
    ],
)
def test_interface_endpoints_are_the_ones_the_stack_uses(values: dict[str, str], extra: tuple[str, ...]) -> None:
    assert parse(**values).network.interface_endpoints == ("ecr.api", "ecr.dkr", "logs", *extra)


def test_an_explicit_endpoint_list_is_taken_as_given() -> None:
    s = parse(interfaceEndpoints='["ecr.api", "ecr.dkr"]', services=svc(secrets={"DB": SM}))
    assert s.network.interface_endpoints == ("ecr.api", "ecr.dkr")


def test_pulumi_yaml_declares_every_key_with_the_same_default() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    # Map-valued keys cannot be declared (the project schema has no object type).
    maps = {"accessPoints", "services"}
    assert set(declared) == set(settings._KEYS) - maps
    assert {
        key
        for key, (kind, _, _) in settings._KEYS.items()
        if kind in (settings._MAP, settings._ACCESS_POINTS, settings._SERVICES)
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
            "only to efsThroughputMode provisioned",
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
        ({"services": svc(mounts=[{"accessPoint": "logs", "path": "/d"}])}, "services.web.mounts[0].accessPoint",
         "one of accessPoints: app"),
        ({"services": svc("worker", port=None, mounts=[{"accessPoint": "app", "path": "/d"},
                                                       {"accessPoint": "nope", "path": "/e"}])},
         "services.worker.mounts[1].accessPoint", "one of accessPoints: app"),
        ({"services": svc(mounts=[{"accessPoint": "app", "path": "data"}])}, "services.web.mounts[0].path", "absolute"),
        ({"services": svc(mounts=[{"accessPoint": "app", "path": "/d", "readOnly": "maybe"}])},
         "services.web.mounts[0].readOnly", "true or false"),
        ({"services": svc(mounts=[{"accessPoint": "app"}])}, "services.web.mounts[0]", "accessPoint, path"),
        ({"services": svc(mounts=[{"accessPoint": "app", "path": "/tmp"}])}, "services.web.mounts",
         "mount paths must be unique"),
        ({"services": svc(cpu=300)}, "services.web.cpu", "one of 256, 512"),
        ({"services": svc(cpu=256, memory=4096)}, "services.web.memory", "takes memory 512 to 2048"),
        ({"services": svc(cpu="many")}, "services.web.cpu", "must be an integer"),
        ({"platformVersion": "1.3.0"}, "platformVersion", "1.4.0 or later"),
        ({"platformVersion": "latest"}, "platformVersion", "1.4.0 or later"),
        ({"services": svc(port=70000)}, "services.web.port", "from 1 to 65535"),
        ({"services": svc(readonlyRootFilesystem="yes")}, "services.web.readonlyRootFilesystem", "true or false"),
        ({"services": svc(environment={"AWS_SECRET_ACCESS_KEY": "x"})},
         "services.web.environment.AWS_SECRET_ACCESS_KEY", "never go in the environment"),
        ({"services": svc(environment={"KEY": "AKIAABCDEFGHIJKLMNOP"})}, "services.web.environment.KEY",
         "never go in the environment"),
        ({"services": svc(secrets={"DB": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"})},
         "services.web.secrets.DB", "random suffix"),
        ({"services": svc(repositoryCredentialsSecretArn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub")},
         "services.web.repositoryCredentialsSecretArn", "random suffix"),
        ({"services": svc(minCount=3, maxCount=2)}, "services.web.maxCount", "at least minCount"),
        ({"services": svc(desiredCount=9)}, "services.web.desiredCount", "from 2 to 4"),
        ({"services": svc(healthCheckPath="health")}, "services.web.healthCheckPath", "must start with /"),
        ({"services": svc(command="sleep 1")}, "services.web.command", "list of strings"),
        ({"services": svc(cpus=256)}, "services.web.cpus", "unknown key; a service takes image, port"),
        ({"services": svc("Web")}, "services.Web", "service names are 1-20 of a-z"),
        ({"services": svc("a-very-long-service-name")}, "services.a-very-long-service-name", "1-20"),
        ({"services": '{"web": "nginx"}'}, "services", "map of service names"),
        ({"services": svc(routing={"hosts": ["example"]})}, "services.web.routing.hosts", "at least one '.'"),
        ({"services": svc(routing={"paths": ["api/*"]})}, "services.web.routing.paths", "starting with /"),
        ({"services": svc(routing={"paths": ["/a", "/b", "/c", "/d"]})}, "services.web.routing.paths",
         "at most 3 values"),
        ({"services": svc(routing={"hosts": ["a.example.com", "b.example.com", "c.example.com"],
                                   "paths": ["/a", "/b", "/c"]})}, "services.web.routing", "at most 5 values"),
        ({"services": svc(routing={"paths": ["/*?", "/a*?", "/b*?"]})}, "services.web.routing", "at most 5 wildcards"),
        ({"services": svc(routing={"path": ["/a"]})}, "services.web.routing", "hosts: [...], paths: [...]"),
        ({"services": svc(routing={})}, "services.web.routing", "needs hosts or paths"),
        ({"services": svc("worker", port=None, routing={"paths": ["/w"]})}, "services.worker.routing",
         "needs a container port"),
        ({"services": json.dumps({"a": {"port": 80}, "b": {"port": 80}})}, "services.b.routing",
         "only one web service may omit routing"),
        ({"services": json.dumps({"a": {"port": 80, "routing": {"paths": ["/x/*"]}},
                                  "b": {"port": 80, "routing": {"paths": ["/x/*"]}}})}, "services.b.routing",
         "routes the same hosts and paths as a"),
        ({"vpcId": "vpc-123"}, "vpcId", "vpc- and 8 or 17 hex digits"),
        ({"vpcId": "vpc-0123456789abcdef0"}, "privateSubnetIds", "2 to 6 private subnets"),
        ({"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": '["subnet-1", "subnet-2"]'}, "privateSubnetIds",
         "subnet- and 8 or 17 hex digits"),
        ({"vpcId": VPC, "privateSubnetIds": SUBNETS},
         "publicSubnetIds", "at least two AZs"),
        ({"vpcId": VPC, "privateSubnetIds": SUBNETS,
          "publicSubnetIds": '["subnet-0123456789abcdef0", "subnet-0123456789abcdef2"]'}, "publicSubnetIds",
         "must not name a private subnet"),
        ({"privateSubnetIds": SUBNETS}, "privateSubnetIds",
         "needs efs-platform:vpcId"),
        ({"certificateArn": "arn:aws:iam::123456789012:server-certificate/x"}, "certificateArn", "ACM certificate"),
        ({"logRetentionDays": "31"}, "logRetentionDays", "one of 1, 3"),
        ({"eks.enabled": "yes"}, "eks.enabled", "true or false"),
        ({"eks.version": "1.29"}, "eks.version", "one of 1.34, 1.35, 1.36"),
        ({"eks.version": "1.35.2"}, "eks.version", "one of 1.34, 1.35, 1.36"),
        (
            {"eks.publicAccessCidrs": '["0.0.0.0/0"]'},
            "eks.publicAccessCidrs='0.0.0.0/0'",
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
            {"eks.enabled": "true", "eks.dynamicProvisioning": "true"},
            "eks.dynamicProvisioning=true",
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
)  # fmt: skip
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
    assert s.ingress is not None and s.ingress.alb_deletion_protection is (stack == "prod")


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
    s = parse(**{"eks.enabled": "true", "eks.nodeGroup": "true", "eks.dynamicProvisioning": "true"})
    assert s.eks_storage.dynamic_provisioning and s.eks_storage.ec2_nodes


def test_secret_values_are_the_leaves_of_the_secret_keys() -> None:
    config = {
        "aws:region": "eu-west-1",
        P + "services": json.dumps(
            {"web": {"port": 8080, "environment": {"API_TOKEN": "tok-0123456789", "MODE": "on"}}}
        ),
    }
    s = settings.parse("efs-platform", config, frozenset({P + "services"}))
    secrets = s.secret_values
    assert secrets.carries('[{"environment": [{"name": "API_TOKEN", "value": "tok-0123456789"}]}]')
    assert secrets.carries("on") and not secrets.carries("one")  # short values only as a whole
    assert not secrets.carries("API_TOKEN")  # a map's keys are not the secret
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


@pytest.mark.parametrize(
    ("config", "key", "fragment"),
    [
        ({"efs-platfrom:azCount": "3"}, "efs-platfrom:azCount", "did you mean 'efs-platform:azCount'?"),
        ({"efs_platform:natStrategy": "none"}, "efs_platform:natStrategy", "did you mean 'efs-platform:natStrategy'?"),
        ({P + "natStrateg": "none"}, P + "natStrateg", "did you mean 'efs-platform:natStrategy'?"),
        ({P + "eks.enable": "true"}, P + "eks.enable", "did you mean 'efs-platform:eks.enabled'?"),
    ],
    ids=["prefix", "prefix-underscore", "key", "dotted-key"],
)
def test_a_misspelt_prefix_or_key_is_named_with_a_suggestion(config: dict[str, str], key: str, fragment: str) -> None:
    with pytest.raises(settings.ConfigError) as raised:
        settings.parse("efs-platform", {"aws:region": "eu-west-1", **config})
    assert f"{key}=" in str(raised.value) and fragment in str(raised.value)


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        (
            {"services": json.dumps({"web": {"port": 8080, "environment": {"PORT": 8080}}})},
            "services.web.environment.PORT",
            'quote it in the stack file (PORT: "8080")',
        ),
        (
            {"services": json.dumps({"jobs": {"environment": {"DEBUG": True}}})},
            "services.jobs.environment.DEBUG",
            "must be a string",
        ),
        ({"eks.dynamicProvisioning": "true"}, "eks.dynamicProvisioning", "without efs-platform:eks.enabled: true"),
        ({"eks.nodeGroup": "true"}, "eks.nodeGroup", "without efs-platform:eks.enabled: true"),
        ({"interfaceEndpoints": '["auto", "log"]'}, "interfaceEndpoints", "not an AWS service: did you mean logs?"),
        (
            {"eks.enabled": "true", "eks.nodeGroup": "true", "eks.nodeInstanceTypes": '["m6i.lrge"]'},
            "eks.nodeInstanceTypes",
            "is not an EC2 instance type: did you mean m6i.large?",
        ),
    ],
    ids=["env-number", "env-bool", "dynamic-without-eks", "nodes-without-eks", "endpoint-not-aws", "instance-type"],
)
def test_config_mistakes_that_used_to_pass_are_named(values: dict[str, str], key: str, fragment: str) -> None:
    message = error(**values)
    assert f"{P}{key}" in message and fragment in message, message


ECR_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/efs-platform/dev/app:3f2a9c1"


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"image": "Nginx:latest"}, "image", "must be an image reference"),
        ({"image": "nginx:la test"}, "image", "must be an image reference"),
        ({"image": "nginx@sha256:abc"}, "image", "must be an image reference"),
        ({"image": ECR_IMAGE, "buildContext": "app"}, "image", "built for nothing"),
        ({"natStrategy": "none", "image": "nginxinc/nginx-unprivileged:1.29"}, "image", "docker.io"),
        ({"natStrategy": "none", "image": "ghcr.io/acme/app:1"}, "image", "ghcr.io, which"),
        ({"natStrategy": "none", "eks.enabled": "true"}, "eks.sampleImage", "docker.io, which"),
        (
            {"natStrategy": "none", "services": json.dumps({"jobs": {"image": "busybox:1.37"}})},
            "services.jobs.image",
            "docker.io, which",
        ),
        ({"services": json.dumps({"jobs": {"image": "Busybox"}})}, "services.jobs.image", "must be an image reference"),
    ],
    ids=[
        "upper-case",
        "space",
        "bad-digest",
        "image-and-build",
        "hub-without-nat",
        "ghcr-without-nat",
        "eks-hub",
        "service-hub-without-nat",
        "service-bad-reference",
    ],
)
def test_images_that_cannot_be_pulled_are_refused(values: dict[str, str], key: str, fragment: str) -> None:
    message = error(**values)
    assert f"{P}{key}=" in message and fragment in message, message


def test_images_that_can_be_pulled_pass() -> None:
    assert parse(natStrategy="none", image=ECR_IMAGE).image == ECR_IMAGE
    assert parse(natStrategy="single", image="ghcr.io/acme/app:1@sha256:" + "a" * 64).image.startswith("ghcr.io")
    ecr_sample = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/busybox@sha256:" + "b" * 64
    assert parse(**{"natStrategy": "none", "eks.enabled": "true", "eks.sampleImage": ecr_sample}).eks_enabled


def test_without_services_the_stack_runs_one_web_service_with_the_old_defaults() -> None:
    s = parse()
    (name,) = s.services
    web = s.services[name]
    assert name == "web" and web.web and web.image is None
    assert web.mounts == (settings.Mount("app", "/data", read_only=False),)
    c, a = web.args.container, web.args
    assert (c.name, c.port, c.user, c.readonly_root_filesystem, c.writable_paths) == ("app", 80, None, True, ("/tmp",))
    assert (a.cpu, a.memory, a.desired_count, a.min_count, a.max_count, a.cpu_target_percent) == (256, 512, 2, 2, 4, 60)
    assert a.health_check_path == "/" and a.routing is None
    assert s.ingress is not None and s.existing_vpc is None


def test_prod_runs_a_web_service_and_a_read_only_worker() -> None:
    s = settings.parse("efs-platform", stack_config("prod"))
    web, worker = s.services["web"], s.services["worker"]
    assert web.web and web.args.container.port == 8080 and web.args.container.user == "101:101"
    assert web.mounts == (settings.Mount("app", "/data"),)
    assert not worker.web and worker.args.container.port is None
    assert worker.image is not None and "@sha256:" in worker.image
    assert worker.mounts == (settings.Mount("app", "/data", read_only=True),)


def test_a_stack_of_workers_has_no_ingress_and_needs_no_public_subnets() -> None:
    s = parse(
        services=svc("batch", port=None),
        vpcId=VPC,
        privateSubnetIds=SUBNETS,
    )
    assert s.ingress is None
    assert s.existing_vpc == settings.ExistingVpc(VPC, tuple(json.loads(SUBNETS)), ())


def test_an_existing_vpc_places_the_alb_in_its_public_subnets() -> None:
    public = '["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]'
    s = parse(vpcId=VPC, privateSubnetIds=SUBNETS, publicSubnetIds=public)
    assert s.existing_vpc is not None and s.existing_vpc.public_subnet_ids == tuple(json.loads(public))
    assert s.ingress is not None and tuple(s.ingress.public_subnet_ids) == tuple(json.loads(public))


def test_service_values_set_with_pulumi_config_set_path_are_strings() -> None:
    """`pulumi config set --path 'efs-platform:services.web.cpu' 512` may store text."""
    s = parse(services=svc(cpu="512", memory="1024", readonlyRootFilesystem="true"))
    assert (s.services["web"].args.cpu, s.services["web"].args.memory) == (512, 1024)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"services": json.dumps({"web": {"port": 8080, "cpu": 256, "memory": 4096}})},
            f"{P}services.web.memory=4096: Fargate with cpu 256",
        ),
        (
            {"services": json.dumps({"web": {"port": 8080, "minCount": 5, "maxCount": 2}})},
            f"{P}services.web.maxCount=2: must be at least minCount (5) (with {P}services.web.minCount)",
        ),
        (
            {"eks.enabled": "true", "eks.dynamicProvisioning": "true"},
            f"{P}eks.dynamicProvisioning=true: needs EC2 nodes",
        ),
        (
            {"eks.enabled": "true", "eks.publicAccessCidrs": '["0.0.0.0/0"]'},
            "set eks.allowPublicEndpointFromAnywhere to true",
        ),
        (
            {"accessPoints": json.dumps({"app": {"uid": 1000, "gid": 1000, "path": "data"}})},
            f"{P}accessPoints.app.path=",
        ),
    ],
    ids=["memory-under-memory", "counts", "dynamic", "public-endpoint-opt-out", "access-point-field"],
)
def test_errors_put_each_value_under_its_own_key_in_config_names(values: dict[str, str], expected: str) -> None:
    message = error(**values)
    assert expected in message, message
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message.split(": ", 1)[1]), message  # no Python field names
