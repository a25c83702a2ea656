"""EKS and the EFS CSI driver, as the program wires them: the cluster, its Fargate profiles and
add-ons, the file system's grants and security group, and the Kubernetes objects (validated
against the Kubernetes schemas of the configured version)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import kubernetes_validate
import pytest
import yaml

from components.eks_cluster import EFS_CSI_CONTROLLER_SA, SUPPORTED_VERSIONS, _kubeconfig
from offline import analysis
from offline.project import StackConfig
from offline.report import write_kubernetes
from tests.conftest import ROOT, Recorded, Res, StackPreviews, run_platform

CLUSTER = "aws:eks/cluster:Cluster"
PROFILE = "aws:eks/fargateProfile:FargateProfile"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
AP = "aws:efs/accessPoint:AccessPoint"
PV = "kubernetes:core/v1:PersistentVolume"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
CSI_DRIVER = "kubernetes:storage.k8s.io/v1:CSIDriver"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NAMESPACE = "kubernetes:core/v1:Namespace"
# On the dev stack (no NAT) the sample image must come from ECR: here an ECR pull-through cache
# of Docker Hub's busybox, the same digest as the default.
ECR_BUSYBOX = (
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/busybox:1.37"
    "@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0"
)
EKS_ON = {"eks.enabled": "true", "eks.sampleImage": ECR_BUSYBOX}
WITH_NODES = {**EKS_ON, "eks.nodeGroup": "true", "eks.dynamicProvisioning": "true"}


@pytest.fixture(scope="module")
def fargate() -> Recorded:
    return run_platform(EKS_ON)


@pytest.fixture(scope="module")
def nodes() -> Recorded:
    return run_platform(WITH_NODES)


def policy_statements(rec: Recorded) -> list[dict[str, Any]]:
    doc = json.loads(rec.only("aws:efs/fileSystemPolicy:FileSystemPolicy").inputs["policy"])
    return doc["Statement"]  # type: ignore[no-any-return]


def trust(role: Res) -> dict[str, Any]:
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    return statement  # type: ignore[no-any-return]


def managed_policies(rec: Recorded, role: Res) -> set[str]:
    return {a.inputs["policyArn"].rsplit("/", 1)[-1] for a in rec.of_type(ATTACHMENT) if a.inputs["role"] == role.id}


# -- the cluster ---------------------------------------------------------------------------------


def test_eks_is_off_unless_enabled() -> None:
    rec = run_platform()
    assert not [r for r in rec.resources if r.type.startswith(("aws:eks/", "kubernetes:"))]
    assert [r.name for r in rec.of_type(AP)] == ["shared-ap-app"]


def test_cluster_is_private_with_encrypted_secrets_and_control_plane_logs(fargate: Recorded) -> None:
    cluster = fargate.only(CLUSTER)
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["subnetIds"] == fargate.outputs["privateSubnetIds"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert cluster.inputs["version"] == "1.35"
    assert cluster.inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": True,
    }
    (encryption,) = [cluster.inputs["encryptionConfig"]]
    key = fargate.by_id("aws:kms/key:Key", encryption["provider"]["keyArn"].rsplit("/", 1)[-1])
    assert encryption["resources"] == ["secrets"] and key.inputs["enableKeyRotation"] is True
    # The control-plane log group exists before the cluster, encrypted, with a retention.
    logs = fargate.one("aws:cloudwatch/logGroup:LogGroup", "k8s-control-plane")
    assert logs.inputs["name"] == f"/aws/eks/{cluster.inputs['name']}/cluster"
    assert logs.inputs["kmsKeyId"] == key.outputs["arn"] and logs.inputs["retentionInDays"] == 90
    assert logs.urn in cluster.dependencies
    assert trust(fargate.one(ROLE, "k8s-cluster"))["Principal"] == {"Service": "eks.amazonaws.com"}
    assert managed_policies(fargate, fargate.one(ROLE, "k8s-cluster")) == {"AmazonEKSClusterPolicy"}


def test_public_endpoint_is_limited_to_the_named_cidrs() -> None:
    rec = run_platform({**EKS_ON, "eks.publicAccessCidrs": '["203.0.113.0/24"]'})
    vpc = rec.only(CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert vpc["endpointPrivateAccess"] is True


def test_the_private_api_admits_443_from_the_named_networks_and_groups_to_the_cluster_group() -> None:
    rec = run_platform(
        {
            **EKS_ON,
            "eks.apiAccessCidrs": '["10.20.0.0/16", "2001:db8::/56"]',
            "eks.apiAccessSecurityGroupIds": '["sg-0123456789abcdef0"]',
        }
    )
    cluster_group = rec.only(CLUSTER).outputs["vpcConfig"]["clusterSecurityGroupId"]
    assert rec.outputs["eksClusterSecurityGroupId"] == cluster_group
    rules = {
        r.name: r.inputs
        for r in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name.startswith("k8s-api-")
    }
    https = {"securityGroupId": cluster_group, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
    assert rules == {
        "k8s-api-from-10.20.0.0-16": {**https, "cidrIpv4": "10.20.0.0/16", "description": ANY},
        "k8s-api-from-2001-db8---56": {**https, "cidrIpv6": "2001:db8::/56", "description": ANY},
        "k8s-api-from-sg-0123456789abcdef0": {
            **https,
            "referencedSecurityGroupId": "sg-0123456789abcdef0",
            "description": ANY,
        },
    }
    # The Kubernetes objects wait for those rules: their component depends on them, and a child is
    # registered only once its parent is (the SDK awaits the parent's URN), so the deployer reaches
    # the API before anything is applied through it.
    api_rules = {r.urn for r in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                 if r.name.startswith("k8s-api-")}  # fmt: skip
    storage = rec.only("efs-platform:index:EfsCsiStorage")
    assert api_rules <= set(storage.dependencies)
    assert all(r.parent == storage.urn for r in rec.resources if r.type.startswith("kubernetes:core/v1:Namespace"))
    # Nothing is admitted unless named.
    assert not [r for r in run_platform(EKS_ON).of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.name.startswith("k8s-api-")]  # fmt: skip


def test_a_first_phase_without_kubernetes_objects_creates_the_cluster_only() -> None:
    rec = run_platform({**EKS_ON, "eks.kubernetesObjects": "false"})
    assert rec.only(CLUSTER) and rec.of_type(PROFILE)
    assert not [r for r in rec.resources if r.type.startswith("kubernetes:")]
    assert "eksClaim" not in rec.outputs and "eksEndpoint" in rec.outputs
    # The file system side is ready for the second phase: the pods' access point and its grant.
    assert "shared-ap-app-eks" in {a.name for a in rec.of_type(AP)}


def test_control_plane_logs_follow_the_config_into_the_pre_created_group() -> None:
    five = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    rec = run_platform({**EKS_ON, "eks.logTypes": json.dumps(five), "eks.logRetentionDays": "365"})
    cluster = rec.only(CLUSTER)
    assert cluster.inputs["enabledClusterLogTypes"] == five
    logs = rec.one("aws:cloudwatch/logGroup:LogGroup", "k8s-control-plane")
    assert logs.inputs["name"] == f"/aws/eks/{cluster.inputs['name']}/cluster"
    assert logs.inputs["retentionInDays"] == 365 and logs.inputs["kmsKeyId"]
    assert logs.urn in cluster.dependencies


def test_fargate_profiles_run_coredns_and_the_workload_namespace_in_the_private_subnets(fargate: Recorded) -> None:
    cluster = fargate.only(CLUSTER)
    profiles = {p.name: p for p in fargate.of_type(PROFILE)}
    assert set(profiles) == {"k8s-system", "k8s-workloads"}
    for profile in profiles.values():
        assert profile.inputs["subnetIds"] == fargate.outputs["privateSubnetIds"]
        assert profile.inputs["clusterName"] == cluster.outputs["name"]
    assert profiles["k8s-system"].inputs["selectors"] == [
        {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}}
    ]
    assert profiles["k8s-workloads"].inputs["selectors"] == [{"namespace": "efs-app"}]
    # EKS creates one profile at a time.
    assert profiles["k8s-system"].urn in profiles["k8s-workloads"].dependencies
    role = fargate.one(ROLE, "k8s-pod-execution")
    assert {p.inputs["podExecutionRoleArn"] for p in profiles.values()} == {role.outputs["arn"]}
    statement = trust(role)
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:eks:eu-west-1:123456789012:fargateprofile/{cluster.inputs['name']}/*"}
    }
    assert managed_policies(fargate, role) == {"AmazonEKSFargatePodExecutionRolePolicy"}


def test_coredns_is_an_add_on_configured_for_fargate(fargate: Recorded) -> None:
    coredns = fargate.only(ADDON)
    assert coredns.inputs["addonName"] == "coredns"
    assert json.loads(coredns.inputs["configurationValues"]) == {"computeType": "Fargate"}
    assert fargate.one(PROFILE, "k8s-system").urn in coredns.dependencies


def test_fargate_only_has_no_nodes_no_driver_add_on_and_leaves_the_csi_driver_object_to_eks(fargate: Recorded) -> None:
    assert not fargate.of_type(NODE_GROUP)
    assert [a.inputs["addonName"] for a in fargate.of_type(ADDON)] == ["coredns"]
    # EKS Fargate ships the efs.csi.aws.com CSIDriver: creating it fails with AlreadyExists,
    # deleting it breaks every EFS mount of the cluster.
    assert not fargate.of_type(CSI_DRIVER)
    assert [s.inputs["metadata"]["name"] for s in fargate.of_type(STORAGE_CLASS)] == ["efs-sc"]


def test_node_group_in_private_subnets_and_the_driver_role_trusts_only_its_service_account(nodes: Recorded) -> None:
    group = nodes.only(NODE_GROUP)
    assert group.inputs["subnetIds"] == nodes.outputs["privateSubnetIds"]
    assert group.inputs["scalingConfig"] == {"desiredSize": 2, "minSize": 2, "maxSize": 4}
    node_role = nodes.one(ROLE, "k8s-nodes")
    assert group.inputs["nodeRoleArn"] == node_role.outputs["arn"]
    assert managed_policies(nodes, node_role) == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryPullOnly",
    }

    addon = nodes.one(ADDON, "k8s-efs-csi")
    role = nodes.one(ROLE, "k8s-efs-csi")
    oidc = nodes.only("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = nodes.only(CLUSTER).outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["url"] == issuer and oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert addon.inputs["addonName"] == "aws-efs-csi-driver"
    assert addon.inputs["serviceAccountRoleArn"] == role.outputs["arn"]
    host = issuer.removeprefix("https://")
    assert trust(role) == {
        "Effect": "Allow",
        "Principal": {"Federated": oidc.outputs["arn"]},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:sub": EFS_CSI_CONTROLLER_SA, f"{host}:aud": "sts.amazonaws.com"}},
    }
    assert EFS_CSI_CONTROLLER_SA == "system:serviceaccount:kube-system:efs-csi-controller-sa"
    assert managed_policies(nodes, role) == {"AmazonEFSCSIDriverPolicy"}
    assert group.urn in addon.dependencies
    # The add-on creates the CSIDriver object; a second owner would fight it.
    assert not nodes.of_type(CSI_DRIVER)


# -- the file system side ------------------------------------------------------------------------


def test_pods_get_a_twin_of_the_services_access_point(fargate: Recorded) -> None:
    aps = {a.name: a for a in fargate.of_type(AP)}
    assert set(aps) == {"shared-ap-app", "shared-ap-app-eks"}
    assert aps["shared-ap-app"].inputs["rootDirectory"] == aps["shared-ap-app-eks"].inputs["rootDirectory"]
    assert aps["shared-ap-app"].inputs["posixUser"] == aps["shared-ap-app-eks"].inputs["posixUser"]
    assert fargate.outputs["accessPointIds"] == {"app": aps["shared-ap-app"].id, "app-eks": aps["shared-ap-app-eks"].id}


def test_only_the_eks_access_point_is_granted_to_clients_without_an_iam_identity(fargate: Recorded) -> None:
    aps = {a.name: a.outputs["arn"] for a in fargate.of_type(AP)}
    fs_arn = fargate.only("aws:efs/fileSystem:FileSystem").outputs["arn"]
    allows = [s for s in policy_statements(fargate) if s["Effect"] == "Allow"]
    anonymous = [s for s in allows if s["Principal"] == {"AWS": "*"}]
    assert anonymous == [
        {
            "Sid": "AnonymousAccessPointGrant2",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": fs_arn,
            "Condition": {
                "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                "StringEquals": {"elasticfilesystem:AccessPointArn": aps["shared-ap-app-eks"]},
            },
        }
    ]
    # The ECS service's access point stays IAM-only: its one grant names the task role.
    (ecs,) = [s for s in allows if s["Condition"].get("StringEquals", {}).get(
        "elasticfilesystem:AccessPointArn") == aps["shared-ap-app"]]  # fmt: skip
    assert ecs["Principal"] == {"AWS": fargate.one(ROLE, "web-task").outputs["arn"]}
    # TLS is still required of everyone, and nobody gets root.
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy_statements(fargate))  # fmt: skip
    assert not any("elasticfilesystem:ClientRootAccess" in s["Action"] for s in allows)


def test_the_mount_targets_admit_nfs_from_the_cluster_security_group_only(fargate: Recorded) -> None:
    nfs_group = fargate.one("aws:ec2/securityGroup:SecurityGroup", "shared-nfs")
    rules = [
        r
        for r in fargate.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == nfs_group.id
    ]
    cluster_group = fargate.only(CLUSTER).outputs["vpcConfig"]["clusterSecurityGroupId"]
    eks_rule = fargate.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "shared-nfs-from-eks-cluster")
    assert eks_rule.inputs["referencedSecurityGroupId"] == cluster_group
    assert (eks_rule.inputs["ipProtocol"], eks_rule.inputs["fromPort"], eks_rule.inputs["toPort"]) == (
        "tcp",
        2049,
        2049,
    )
    assert all("cidrIpv4" not in r.inputs and "cidrIpv6" not in r.inputs for r in rules)
    assert len(rules) == 2  # the ECS tasks' group and the cluster's


def test_dynamic_provisioning_grants_the_node_role_access_points_not_the_root(nodes: Recorded) -> None:
    node_role = nodes.one(ROLE, "k8s-nodes").outputs["arn"]
    (grant,) = [s for s in policy_statements(nodes) if s["Principal"] == {"AWS": node_role}]
    assert grant["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert grant["Condition"] == {
        "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
        "ArnLike": {
            "elasticfilesystem:AccessPointArn": "arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/*"
        },
    }


def test_without_dynamic_provisioning_the_node_role_gets_no_grant() -> None:
    rec = run_platform({**EKS_ON, "eks.nodeGroup": "true"})
    node_role = rec.one(ROLE, "k8s-nodes").outputs["arn"]
    assert not [s for s in policy_statements(rec) if s["Principal"] == {"AWS": node_role}]
    assert [s.inputs["metadata"]["name"] for s in rec.of_type(STORAGE_CLASS)] == ["efs-sc"]


# -- the Kubernetes objects ----------------------------------------------------------------------


def test_static_volume_names_the_file_system_and_the_eks_access_point(fargate: Recorded) -> None:
    pv = fargate.only(PV)
    fs = fargate.only("aws:efs/fileSystem:FileSystem")
    ap = fargate.one(AP, "shared-ap-app-eks")
    assert pv.inputs["spec"] == {
        "capacity": {"storage": "5Gi"},
        "volumeMode": "Filesystem",
        "accessModes": ["ReadWriteMany"],
        "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": "efs-sc",
        "csi": {"driver": "efs.csi.aws.com", "volumeHandle": f"{fs.id}::{ap.id}"},
    }
    # Static provisioning: the class provisions nothing and keeps volumes.
    (efs_sc,) = fargate.of_type(STORAGE_CLASS)
    assert efs_sc.inputs["provisioner"] == "efs.csi.aws.com" and efs_sc.inputs["reclaimPolicy"] == "Retain"
    assert "parameters" not in efs_sc.inputs


def test_claim_is_bound_to_that_volume_by_name(fargate: Recorded) -> None:
    pv, pvc = fargate.only(PV), fargate.only(PVC)
    assert pvc.inputs["metadata"] == {"name": "shared-efs", "namespace": "efs-app"}
    assert pvc.inputs["spec"]["volumeName"] == pv.outputs["metadata"]["name"]
    assert pvc.inputs["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pvc.inputs["spec"]["storageClassName"] == "efs-sc"
    assert fargate.outputs["eksClaim"] == "efs-app/shared-efs"
    assert fargate.outputs["eksPersistentVolume"] == pv.outputs["metadata"]["name"]


def test_writers_run_as_the_access_point_user_non_root_with_requests(fargate: Recorded) -> None:
    deployment = fargate.only(DEPLOYMENT)
    spec = deployment.inputs["spec"]
    assert deployment.inputs["metadata"]["namespace"] == "efs-app"
    assert spec["replicas"] == 2
    pod = spec["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["requests"] == {"cpu": "250m", "memory": "256Mi"}
    # The image the stack names, pinned by digest (docker-library/repo-info's busybox:1.37 index
    # digest, here through the ECR pull-through cache a stack without NAT needs): no tag can move it.
    assert container["image"] == ECR_BUSYBOX
    assert container["volumeMounts"] == [{"name": "shared", "mountPath": "/data"}]
    assert pod["volumes"] == [{"name": "shared", "persistentVolumeClaim": {"claimName": "shared-efs"}}]
    # Each replica writes its own file on the shared volume.
    assert '"/data/$POD_NAME.log"' in container["args"][0]
    assert container["env"] == [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    labels = fargate.only(NAMESPACE).inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_replicas_namespace_and_image_follow_the_config() -> None:
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/tools/writer@sha256:" + "ab" * 32
    rec = run_platform({**EKS_ON, "eks.replicas": "4", "eks.namespace": "shared-data", "eks.sampleImage": image})
    assert rec.only(DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"][0]["image"] == image
    assert rec.only(DEPLOYMENT).inputs["spec"]["replicas"] == 4
    assert rec.only(NAMESPACE).inputs["metadata"]["name"] == "shared-data"
    assert rec.one(PROFILE, "k8s-workloads").inputs["selectors"] == [{"namespace": "shared-data"}]


def test_dynamic_storage_class_provisions_access_points_and_keeps_them(nodes: Recorded) -> None:
    efs_ap = [s for s in nodes.of_type(STORAGE_CLASS) if s.inputs["metadata"]["name"] == "efs-ap"]
    (sc,) = efs_ap
    assert sc.inputs["parameters"] == {
        "provisioningMode": "efs-ap",
        "fileSystemId": nodes.only("aws:efs/fileSystem:FileSystem").id,
        "directoryPerms": "700",
        "gidRangeStart": "50000",
        "gidRangeEnd": "59999",
        "basePath": "/dynamic",
    }
    assert sc.inputs["reclaimPolicy"] == "Retain" and sc.inputs["mountOptions"] == ["iam"]


def test_every_kubernetes_object_goes_through_the_cluster_provider(fargate: Recorded) -> None:
    provider = fargate.only("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"  # it reaches the engine as a secret
    for r in fargate.graph.resources:
        if r.type.startswith("kubernetes:"):
            assert r.provider.startswith(provider.urn + "::"), r.name
    # Pods wait for their Fargate profiles and CoreDNS.
    deployment = next(r for r in fargate.graph.resources if r.type == DEPLOYMENT)
    ancestors = {r.urn for r in fargate.of_type(PROFILE)} | {fargate.only(ADDON).urn}
    storage = next(r for r in fargate.graph.resources if r.type == "efs-platform:index:EfsCsiStorage")
    assert ancestors <= set(storage.dependencies) and deployment.parent == storage.urn


def test_kubeconfig_authenticates_with_the_aws_cli_and_is_a_secret_output(fargate: Recorded) -> None:
    config = json.loads(_kubeconfig("c1", "https://example.eks.amazonaws.com", "Q0E=", "eu-west-1"))
    assert config["clusters"] == [
        {"name": "c1", "cluster": {"server": "https://example.eks.amazonaws.com", "certificate-authority-data": "Q0E="}}
    ]
    assert config["users"][0]["user"]["exec"]["command"] == "aws"
    assert config["users"][0]["user"]["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "c1"]
    assert config["current-context"] == "c1"
    assert fargate.outputs["kubeconfig"] == "[secret]"


# -- schemas -------------------------------------------------------------------------------------


def _manifests(rec: Recorded, tmp_path: Path) -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in write_kubernetes(rec.graph, tmp_path)}


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_kubernetes_object_is_valid_for_the_configured_version(version: str, tmp_path: Path) -> None:
    rec = run_platform({**WITH_NODES, "eks.version": version})
    manifests = _manifests(rec, tmp_path)
    assert sorted(m["kind"] for m in manifests.values()) == [
        "Deployment", "Namespace", "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "StorageClass",
    ]  # fmt: skip
    for manifest in manifests.values():
        kubernetes_validate.validate(manifest, f"{version}.0", strict=True)


def test_fargate_manifests_are_valid_and_name_every_object(fargate: Recorded, tmp_path: Path) -> None:
    manifests = _manifests(fargate, tmp_path)
    assert not [m for m in manifests.values() if m["kind"] == "CSIDriver"]
    for manifest in manifests.values():
        assert manifest["metadata"]["name"]
        kubernetes_validate.validate(manifest, "1.35.0", strict=True)
    pv_name = fargate.only(PV).outputs["metadata"]["name"]
    assert manifests[f"persistentvolume-{pv_name}.yaml"]["spec"]["csi"]["volumeHandle"].count("::") == 1


def test_strict_validation_catches_a_misspelt_field(fargate: Recorded, tmp_path: Path) -> None:
    # The schema check above can fail: a field Kubernetes does not know is rejected.
    manifest = _manifests(fargate, tmp_path)["storageclass-efs-sc.yaml"]
    manifest["reclaimPolicyy"] = "Retain"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.35.0", strict=True)


# -- prod ----------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("stack-previews")
@pytest.mark.parametrize("unknowns", [False, True], ids=["known", "unknowns"])
def test_prod_preview_includes_eks_and_has_no_mandatory_violation(unknowns: bool, stack_preview: StackPreviews) -> None:
    preview = stack_preview("prod", unknowns)  # with policy/config.prod.json, as make preview runs it
    assert "with policy/config.prod.json" in preview.result.stdout
    out, doc = preview.out, preview.document
    types = {r["type"] for r in doc["resources"]}
    assert {CLUSTER, PROFILE, PV, PVC, DEPLOYMENT, "efs-platform:index:EksCluster"} <= types
    assert not [v for v in doc["policyViolations"] if v["level"] == "mandatory"]
    assert (out / "kubernetes" / "storageclass-efs-sc.yaml").exists()
    deployment = yaml.safe_load((out / "kubernetes" / "deployment-efs-app-shared-writer.yaml").read_text())
    assert deployment["spec"]["replicas"] == 3


@pytest.mark.parametrize(
    ("extra", "reported"),
    [
        ({}, True),
        ({"eks.apiAccessCidrs": '["10.20.0.0/24"]'}, False),
        ({"eks.apiAccessSecurityGroupIds": '["sg-0123456789abcdef0"]'}, False),
        ({"eks.publicAccessCidrs": '["203.0.113.0/24"]'}, False),
    ],
    ids=["nothing-admitted", "runner-network", "runner-group", "public-to-runners"],
)
def test_the_api_access_keys_answer_the_reachability_advisory(extra: dict[str, str], reported: bool) -> None:
    pack = analysis.load_pack(ROOT / "policy")
    rec = run_platform({**EKS_ON, **extra})
    stack = StackConfig("efs-platform", "dev", ROOT, ROOT / "__main__.py", {"aws:region": "eu-west-1"})
    found = [v for v in analysis.analyze(pack, rec.graph, stack) if v.policy == "efs-platform-eks-api-reachable"]
    assert bool(found) is reported
