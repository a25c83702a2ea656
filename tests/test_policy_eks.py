"""Mount readiness of EFS CSI volumes on EKS, on a small platform built from raw resources (not
this project's components): a compliant Fargate baseline, then failing cases that each change
one property, with known outputs and as a preview of a new stack.

Where a preview cannot read the file system policy document (it embeds new ARNs), the rule says
"can't run ... during preview"; those cases assert exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from offline.analysis import LoadedPack
from tests.conftest import MODES, stack_findings, violations

READINESS = "efs-mount-readiness"


@dataclass(frozen=True)
class EksPlatform:
    """VPC with two private subnets (NAT-free is irrelevant here), an EFS with a mount target per
    subnet and a TLS-only policy, an EKS cluster with a Fargate profile, and a static EFS CSI
    volume through an access point."""

    nfs_from_cluster: bool = True
    anonymous_grant: bool = True
    grant_other_access_point: bool = False
    """Scope the anonymous grant to another access point than the volume's."""
    csi_driver_object: bool = False
    """Manage the efs.csi.aws.com CSIDriver that EKS ships (a defect)."""

    dynamic_class: bool = False
    node_group: bool = False
    pv_iam_option: bool = False
    grant_node_role: bool = False
    mount_target_zones: tuple[int, ...] = (0, 1)

    def __call__(self) -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.1.0.0/16", enable_dns_support=True, enable_dns_hostnames=True)
        aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc.id)
        table = aws.ec2.RouteTable("private", vpc_id=vpc.id)
        subnets = []
        for i, zone in enumerate(("eu-west-1a", "eu-west-1b")):
            subnet = aws.ec2.Subnet(f"private-{i}", vpc_id=vpc.id, cidr_block=f"10.1.{i}.0/24", availability_zone=zone)
            aws.ec2.RouteTableAssociation(f"private-{i}", subnet_id=subnet.id, route_table_id=table.id)
            subnets.append(subnet)
        fs = aws.efs.FileSystem("fs", encrypted=True, opts=pulumi.ResourceOptions(protect=True))
        efs_sg = aws.ec2.SecurityGroup("efs-sg", vpc_id=vpc.id)
        for i in self.mount_target_zones:
            aws.efs.MountTarget(f"mt-{i}", file_system_id=fs.id, subnet_id=subnets[i].id, security_groups=[efs_sg.id])
        ap = aws.efs.AccessPoint(
            "ap",
            file_system_id=fs.id,
            posix_user={"uid": 1000, "gid": 1000},
            root_directory={
                "path": "/k8s",
                "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "750"},
            },
        )
        cluster = aws.eks.Cluster(
            "eks",
            role_arn="arn:aws:iam::123456789012:role/eks",
            vpc_config={"subnet_ids": [s.id for s in subnets], "endpoint_private_access": True,
                        "endpoint_public_access": False},
            encryption_config={"resources": ["secrets"],
                               "provider": {"key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}},
        )  # fmt: skip
        if self.nfs_from_cluster:
            aws.vpc.SecurityGroupIngressRule(
                "nfs-from-cluster",
                security_group_id=efs_sg.id,
                referenced_security_group_id=cluster.vpc_config.cluster_security_group_id,
                ip_protocol="tcp",
                from_port=2049,
                to_port=2049,
            )
        aws.eks.FargateProfile(
            "apps",
            cluster_name=cluster.name,
            pod_execution_role_arn="arn:aws:iam::123456789012:role/pods",
            subnet_ids=[s.id for s in subnets],
            selectors=[{"namespace": "apps"}],
        )
        statements: list[dict[str, object]] = [
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": fs.arn,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ]  # fmt: skip
        if self.anonymous_grant:
            granted = ap
            if self.grant_other_access_point:
                granted = aws.efs.AccessPoint(
                    "other-ap",
                    file_system_id=fs.id,
                    posix_user={"uid": 2000, "gid": 2000},
                    root_directory={
                        "path": "/other",
                        "creation_info": {"owner_uid": 2000, "owner_gid": 2000, "permissions": "750"},
                    },
                )
            statements.append(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Resource": fs.arn,
                 "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                 "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": granted.arn}}}
            )  # fmt: skip
        if self.node_group:
            node_role = aws.iam.Role("nodes", assume_role_policy='{"Version":"2012-10-17","Statement":[]}')
            aws.eks.NodeGroup(
                "nodes",
                cluster_name=cluster.name,
                node_role_arn=node_role.arn,
                subnet_ids=[s.id for s in subnets],
                scaling_config={"desired_size": 2, "min_size": 2, "max_size": 2},
            )
            if self.grant_node_role:
                statements.append(
                    {"Effect": "Allow", "Principal": {"AWS": node_role.arn}, "Resource": fs.arn,
                     "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]}
                )  # fmt: skip
        aws.efs.FileSystemPolicy(
            "fs-policy",
            file_system_id=fs.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(provider=provider)
        if self.csi_driver_object:
            k8s.storage.v1.CSIDriver(
                "efs-driver", metadata={"name": "efs.csi.aws.com"}, spec={"attach_required": False}, opts=opts
            )
        # A class for static volumes: no parameters (a new stack's preview shows them unknown).
        k8s.storage.v1.StorageClass("efs-static", provisioner="efs.csi.aws.com", reclaim_policy="Retain", opts=opts)
        if self.dynamic_class:
            k8s.storage.v1.StorageClass(
                "efs-dynamic",
                provisioner="efs.csi.aws.com",
                parameters={"provisioningMode": "efs-ap", "fileSystemId": fs.id, "directoryPerms": "700"},
                reclaim_policy="Retain",
                opts=opts,
            )
        k8s.core.v1.PersistentVolume(
            "data",
            spec={
                "capacity": {"storage": "5Gi"},
                "access_modes": ["ReadWriteMany"],
                "persistent_volume_reclaim_policy": "Retain",
                "mount_options": ["iam"] if self.pv_iam_option else None,
                "csi": {"driver": "efs.csi.aws.com", "volume_handle": pulumi.Output.concat(fs.id, "::", ap.id)},
            },
            opts=opts,
        )


BASELINE = EksPlatform()


# What a preview of a new stack cannot read: the file system policy document embeds new ARNs, so
# neither the TLS rule nor the mount identity check can run on it.
PREVIEW_BLIND = {
    ("efs-policy-denies-insecure-transport", "advisory", "stack"),
    (READINESS, "advisory", "stack"),
}


@pytest.mark.parametrize("unknowns", MODES)
def test_baseline_is_compliant(pack: LoadedPack, unknowns: bool) -> None:
    assert stack_findings(pack, BASELINE, unknowns) == (PREVIEW_BLIND if unknowns else set())


def test_a_new_stack_leaves_only_the_policy_grants_unverified(pack: LoadedPack) -> None:
    parts = [
        part
        for v in violations(pack, BASELINE, unknowns=True)
        if v.policy == "efs-platform-efs-mount-readiness" and v.level == "advisory"
        for part in v.message.split("during preview: ", 1)[1].split("; ")
    ]
    assert parts and all(" may mount " in p or " may write " in p for p in parts), parts


CASES = {
    "nfs-not-allowed-from-the-cluster-group": ({"nfs_from_cluster": False}, "data"),
    "mount-target-missing-in-an-az": ({"mount_target_zones": (0,)}, "data"),
    "csi-driver-object-managed-on-eks": ({"csi_driver_object": True}, "efs-driver"),
    "dynamic-provisioning-on-fargate": ({"dynamic_class": True}, "efs-dynamic"),
}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_one_change_one_violation(pack: LoadedPack, case: str, unknowns: bool) -> None:
    change, resource = CASES[case]
    result = stack_findings(pack, replace(BASELINE, **change), unknowns)
    assert result - (PREVIEW_BLIND if unknowns else set()) == {(READINESS, "mandatory", resource)}


def test_anonymous_mount_without_a_grant_is_denied(pack: LoadedPack) -> None:
    assert stack_findings(pack, replace(BASELINE, anonymous_grant=False), unknowns=False) == {
        (READINESS, "mandatory", "data")
    }
    # A preview cannot read the document, and says so instead of passing it.
    assert stack_findings(pack, replace(BASELINE, anonymous_grant=False), unknowns=True) == PREVIEW_BLIND


def test_an_anonymous_grant_binds_to_its_access_point(pack: LoadedPack) -> None:
    # EFS matches elasticfilesystem:AccessPointArn for clients without an IAM identity too (the
    # mount helper names the access point in the TLS client certificate either way): a grant
    # scoped to another access point does not let the volume mount.
    other = replace(BASELINE, grant_other_access_point=True)
    assert stack_findings(pack, other, unknowns=False) == {(READINESS, "mandatory", "data")}
    denied = " ".join(v.message for v in violations(pack, other) if READINESS in v.policy)
    assert "an anonymous client may not mount" in denied


def test_iam_mount_option_needs_the_node_role_granted(pack: LoadedPack) -> None:
    # (Without the anonymous grant: an Allow to "*" also admits every IAM role.)
    nodes = replace(BASELINE, node_group=True, pv_iam_option=True, anonymous_grant=False)
    assert stack_findings(pack, nodes, unknowns=False) == {(READINESS, "mandatory", "data")}
    assert stack_findings(pack, replace(nodes, grant_node_role=True), unknowns=False) == set()


def test_dynamic_provisioning_is_fine_with_nodes(pack: LoadedPack) -> None:
    assert stack_findings(pack, replace(BASELINE, dynamic_class=True, node_group=True), unknowns=False) == set()


def test_messages_name_the_fault_and_the_fix(pack: LoadedPack) -> None:
    messages = {
        case: " ".join(v.message for v in violations(pack, replace(BASELINE, **change)) if READINESS in v.policy)
        for case, (change, _) in CASES.items()
    }
    assert "admits TCP 2049" in messages["nfs-not-allowed-from-the-cluster-group"]
    assert "CSIDriver 'efs.csi.aws.com', which EKS already ships" in messages["csi-driver-object-managed-on-eks"]
    assert "AlreadyExists" in messages["csi-driver-object-managed-on-eks"]
    assert "EKS Fargate does not support" in messages["dynamic-provisioning-on-fargate"]
    denied = " ".join(v.message for v in violations(pack, replace(BASELINE, anonymous_grant=False)))
    assert "access denied by server" in denied and "grant_anonymous" in denied


def test_a_csi_driver_object_on_a_cluster_outside_the_stack_cannot_be_verified(pack: LoadedPack) -> None:
    # Only the Kubernetes objects: the cluster they go to is not in this stack (it may be EKS).
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        k8s.storage.v1.CSIDriver(
            "efs-driver",
            metadata={"name": "efs.csi.aws.com"},
            spec={"attach_required": False},
            opts=pulumi.ResourceOptions(provider=provider),
        )

    found = [v for v in violations(pack, program) if READINESS in v.policy]
    assert [v.level for v in found] == ["advisory"]
    assert "cannot verify whether the cluster of" in found[0].message


def test_the_dead_csi_driver_requirement_is_gone(pack: LoadedPack) -> None:
    # Without any CSIDriver object (as EKS clusters are deployed), nothing asks for one.
    assert not [v for v in violations(pack, BASELINE) if "CSIDriver" in v.message]


# -- the deployer reaches the API --------------------------------------------------------------

API = "eks-api-reachable"


@dataclass(frozen=True)
class ApiPlatform:
    """An EKS cluster with a private endpoint, a Kubernetes provider built from it and one
    object, and a rule admitting a runners' network on TCP 443 to the cluster security group."""

    public_endpoint: bool = False
    api_rule: str | None = "rule-resource"
    """How 443 is admitted: a ``vpc.SecurityGroupIngressRule`` on the cluster security group, an
    inline rule of an additional security group of the cluster, or nothing (None)."""
    api_port: int = 443
    kubernetes_objects: bool = True
    kubeconfig_from: str = "cluster"
    """"cluster", "other-stack" (a stack reference) or "config" (a literal)."""

    def __call__(self) -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.1.0.0/16", enable_dns_support=True, enable_dns_hostnames=True)
        subnets = [
            aws.ec2.Subnet(f"private-{i}", vpc_id=vpc.id, cidr_block=f"10.1.{i}.0/24", availability_zone=zone)
            for i, zone in enumerate(("eu-west-1a", "eu-west-1b"))
        ]
        extra = []
        if self.api_rule == "additional-group":
            extra.append(
                aws.ec2.SecurityGroup(
                    "api-clients",
                    vpc_id=vpc.id,
                    ingress=[
                        {
                            "protocol": "tcp",
                            "from_port": self.api_port,
                            "to_port": self.api_port,
                            "cidr_blocks": ["10.1.0.0/16"],
                        }
                    ],
                )
            )
        cluster = aws.eks.Cluster(
            "eks",
            role_arn="arn:aws:iam::123456789012:role/eks",
            vpc_config={"subnet_ids": [s.id for s in subnets], "endpoint_private_access": True,
                        "endpoint_public_access": self.public_endpoint,
                        "public_access_cidrs": ["203.0.113.0/24"] if self.public_endpoint else None,
                        "security_group_ids": [g.id for g in extra] or None},
            encryption_config={"resources": ["secrets"],
                               "provider": {"key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}},
        )  # fmt: skip
        if self.api_rule == "rule-resource":
            aws.vpc.SecurityGroupIngressRule(
                "api-from-runners",
                security_group_id=cluster.vpc_config.cluster_security_group_id,
                ip_protocol="tcp",
                from_port=self.api_port,
                to_port=self.api_port,
                cidr_ipv4="10.1.0.0/16",
            )
        if self.kubeconfig_from == "cluster":
            kubeconfig: pulumi.Input[str] = pulumi.Output.json_dumps(
                {"server": cluster.endpoint, "ca": cluster.certificate_authority.data}
            )
        elif self.kubeconfig_from == "other-stack":
            kubeconfig = pulumi.StackReference("org/clusters/prod").get_output("kubeconfig")
        else:
            kubeconfig = "{}"
        provider = k8s.Provider("k8s", kubeconfig=kubeconfig)
        if self.kubernetes_objects:
            k8s.core.v1.Namespace("apps", metadata={"name": "apps"}, opts=pulumi.ResourceOptions(provider=provider))


API_BASELINE = ApiPlatform()


def api_findings(pack: LoadedPack, program: ApiPlatform, unknowns: bool) -> set[tuple[str, str, str]]:
    return {f for f in stack_findings(pack, program, unknowns) if f[0] == API}


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"api_rule": "additional-group"},
        {"public_endpoint": True, "api_rule": None},
        {"kubernetes_objects": False, "api_rule": None},
        {"kubeconfig_from": "config", "api_rule": None},
    ],
    ids=["rule-on-the-cluster-group", "additional-group", "public-endpoint", "no-objects", "cluster-not-in-program"],
)
def test_a_reachable_api_is_compliant(pack: LoadedPack, variant: dict[str, object], unknowns: bool) -> None:
    assert api_findings(pack, replace(API_BASELINE, **variant), unknowns) == set()


@pytest.mark.parametrize("unknowns", MODES)
@pytest.mark.parametrize(
    "change",
    [{"api_rule": None}, {"api_port": 22}, {"api_rule": "additional-group", "api_port": 22}],
    ids=["no-rule", "rule-for-another-port", "additional-group-for-another-port"],
)
def test_a_private_api_nothing_admits_is_reported(pack: LoadedPack, change: dict[str, object], unknowns: bool) -> None:
    assert api_findings(pack, replace(API_BASELINE, **change), unknowns) == {(API, "advisory", "eks")}


def test_the_message_names_the_objects_and_the_fix(pack: LoadedPack) -> None:
    (found,) = [v for v in violations(pack, replace(API_BASELINE, api_rule=None)) if API in v.policy]
    assert "'apps'" in found.message and "public endpoint is off" in found.message
    assert "eks.apiAccessCidrs" in found.message


def test_a_cluster_from_another_stack_cannot_be_verified(pack: LoadedPack) -> None:
    (found,) = [
        v for v in violations(pack, replace(API_BASELINE, kubeconfig_from="other-stack", api_rule=None))
        if API in v.policy
    ]  # fmt: skip
    assert found.level == "advisory" and "can't run policy" in found.message
    assert "not built from an EKS cluster of this stack" in found.message
