"""EksCluster: an EKS cluster in the private subnets whose pods run on Fargate (and optionally on
a managed node group), ready for the EFS CSI driver.

Secure by default:

* Kubernetes secrets envelope-encrypted with a rotating customer-managed KMS key; control-plane
  logs (``log_types``: api, audit, authenticator by default, all five in prod; audit always) to
  the log group ``/aws/eks/<cluster>/cluster`` this component creates first, encrypted with the
  same key and with a retention (EKS would otherwise create it unencrypted, kept forever);
* the API endpoint private; the public endpoint off unless CIDRs are named, and never open to
  0.0.0.0/0 without the explicit ``allow_public_endpoint_from_anywhere`` opt-out; TCP 443 to the
  cluster security group only from ``api_access_cidrs`` / ``api_access_security_group_ids`` (the
  deployer must reach the private endpoint to apply Kubernetes objects);
* a supported Kubernetes version (:data:`SUPPORTED_VERSIONS`), API authentication mode (access
  entries) with the creator as cluster admin, so the program can apply its objects;
* an IAM OIDC provider for IAM roles for service accounts;
* Fargate profiles in the private subnets: one for CoreDNS (kube-system, ``k8s-app: kube-dns``)
  and one for the workload namespace, sharing a pod execution role that only this cluster's
  Fargate profiles can use (``aws:SourceArn``); CoreDNS as an EKS add-on with
  ``computeType: Fargate``;
* optionally a managed node group in the private subnets, and then the ``aws-efs-csi-driver``
  add-on whose controller role is trusted through the OIDC provider only for
  ``system:serviceaccount:kube-system:efs-csi-controller-sa``;
* a Kubernetes provider built from the cluster (token from ``aws eks get-token``), and the
  kubeconfig as a secret output.

Fargate pods and managed nodes use the cluster security group; give it to the file system with
``file_system.allow_from_security_group_id(cluster.cluster_security_group_id, label=...)``.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ._aws import botocore_session, where
from ._iam import policy_document
from ._kms import logs_statement, rotating_key
from ._validation import ArgumentError, require_int_range, require_one_of
from .network import LOG_RETENTION_DAYS

#: Kubernetes versions in EKS standard support (as of 2026-11; extended support costs more).
#: The offline checks validate manifests against the schemas of the configured version.
SUPPORTED_VERSIONS = ("1.34", "1.35", "1.36")
DEFAULT_VERSION = "1.35"
#: The control-plane log types EKS can send to CloudWatch Logs (``enabled_cluster_log_types``,
#: EKS API ``LogType``: api | audit | authenticator | controllerManager | scheduler).
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
#: The default: who called the API (api, audit) and as whom (authenticator). prod sends all five.
CONTROL_PLANE_LOGS = ("api", "audit", "authenticator")
EFS_CSI_CONTROLLER_SA = "system:serviceaccount:kube-system:efs-csi-controller-sa"
# RFC 1123 label: what Kubernetes accepts as a namespace name.
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
# EC2 security group ids: sg- and 8 or 17 hex digits.
_SECURITY_GROUP_ID = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")


def _network(field: str, cidr: str, allowed: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """``cidr`` parsed strictly (no host bits), or an error naming ``field``."""
    try:
        return ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        raise ArgumentError(field, cidr, allowed) from None


@functools.cache
def ec2_instance_types() -> frozenset[str]:
    """Every instance type EC2's API accepts: the InstanceType enum of botocore's EC2 model."""
    return frozenset(botocore_session().get_service_model("ec2").shape_for("InstanceType").enum)


@dataclass(frozen=True)
class EksClusterArgs:
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    version: str = DEFAULT_VERSION
    public_access_cidrs: tuple[str, ...] = ()
    """CIDRs that may reach the public API endpoint; empty: the public endpoint is off."""

    allow_public_endpoint_from_anywhere: bool = False
    """The explicit opt-out needed to list 0.0.0.0/0 (the policy pack still reports it)."""

    api_access_cidrs: tuple[str, ...] = ()
    """Networks (IPv4 or IPv6 CIDRs) admitted on TCP 443 to the cluster security group, which the
    private endpoint's network interfaces use: the deployer's runners inside the VPC, or a peered
    / VPN-connected network. Never 0.0.0.0/0 or ::/0."""

    api_access_security_group_ids: tuple[str, ...] = ()
    """Security groups (``sg-…``) admitted on TCP 443 to the cluster security group: a runner's or
    bastion's group in the cluster's VPC (or a peered VPC that references it)."""

    log_types: tuple[str, ...] = CONTROL_PLANE_LOGS
    """Control-plane log types sent to ``/aws/eks/<cluster>/cluster`` (of
    :data:`CONTROL_PLANE_LOG_TYPES`); ``audit`` is required."""

    workload_namespace: str = "efs-app"
    """Namespace whose pods run on Fargate (the workload Fargate profile's selector)."""

    log_retention_days: int = 90
    deletion_protection: bool = False
    node_group: bool = False
    """Add a managed node group (EC2) and the EFS CSI driver add-on (dynamic provisioning)."""

    node_instance_types: tuple[str, ...] = ("m6i.large",)
    node_min_size: int = 2
    node_max_size: int = 4

    def __post_init__(self) -> None:
        require_one_of("version", self.version, SUPPORTED_VERSIONS)
        for cidr in self.public_access_cidrs:
            network = _network(
                "public_access_cidrs", cidr, "must be IPv4 networks in CIDR notation, e.g. 203.0.113.0/24"
            )
            if network.version != 4:
                raise ArgumentError("public_access_cidrs", cidr, "must be IPv4 networks (EKS accepts no IPv6 here)")
            if network.prefixlen == 0 and not self.allow_public_endpoint_from_anywhere:
                raise ArgumentError(
                    ("public_access_cidrs", "allow_public_endpoint_from_anywhere"),
                    cidr,
                    "opens the Kubernetes API to the internet; name your networks' CIDRs, or set "
                    "allow_public_endpoint_from_anywhere to true to accept it explicitly",
                )
        for cidr in self.api_access_cidrs:
            network = _network("api_access_cidrs", cidr, "must be networks in CIDR notation, e.g. 10.20.0.0/16")
            if network.prefixlen == 0:
                raise ArgumentError(
                    "api_access_cidrs", cidr, "must not be 0.0.0.0/0 or ::/0: name the runners' networks"
                )
        if len(set(self.api_access_cidrs)) != len(self.api_access_cidrs):
            raise ArgumentError("api_access_cidrs", list(self.api_access_cidrs), "must not repeat a CIDR")
        for group in self.api_access_security_group_ids:
            if not isinstance(group, str) or not _SECURITY_GROUP_ID.match(group):
                raise ArgumentError(
                    "api_access_security_group_ids", group, "must be security group ids (sg- and 8 or 17 hex digits)"
                )
        if len(set(self.api_access_security_group_ids)) != len(self.api_access_security_group_ids):
            raise ArgumentError(
                "api_access_security_group_ids", list(self.api_access_security_group_ids), "must not repeat an id"
            )
        for log_type in self.log_types:
            require_one_of("log_types", log_type, CONTROL_PLANE_LOG_TYPES)
        if len(set(self.log_types)) != len(self.log_types):
            raise ArgumentError("log_types", list(self.log_types), "must not repeat a log type")
        if "audit" not in self.log_types:
            raise ArgumentError(
                "log_types",
                list(self.log_types),
                "must include audit (who did what to the cluster; Security Hub EKS.8); allowed: "
                + ", ".join(CONTROL_PLANE_LOG_TYPES),
            )
        if not _NAMESPACE.match(self.workload_namespace) or self.workload_namespace.startswith("kube-"):
            raise ArgumentError(
                "workload_namespace",
                self.workload_namespace,
                "must be a Kubernetes namespace name (1-63 of a-z, 0-9, -), not kube-*",
            )
        require_one_of("log_retention_days", self.log_retention_days, LOG_RETENTION_DAYS)
        if not self.node_instance_types or not all(_INSTANCE_TYPE.match(t) for t in self.node_instance_types):
            raise ArgumentError("node_instance_types", list(self.node_instance_types), "must be EC2 instance types")
        for instance_type in self.node_instance_types:
            if instance_type not in ec2_instance_types():
                close = difflib.get_close_matches(instance_type, sorted(ec2_instance_types()), n=1)
                raise ArgumentError(
                    "node_instance_types",
                    instance_type,
                    "is not an EC2 instance type"
                    + (f": did you mean {close[0]}?" if close else "")
                    + " (EC2's own list, botocore's InstanceType enum)",
                )
        require_int_range("node_min_size", self.node_min_size, 1, 100)
        require_int_range("node_max_size", self.node_max_size, self.node_min_size, 100)


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster with Fargate profiles (see the module docstring)."""

    cluster: aws.eks.Cluster
    oidc_provider: aws.iam.OpenIdConnectProvider
    pod_execution_role: aws.iam.Role
    node_role: aws.iam.Role | None
    efs_csi_addon: aws.eks.Addon | None
    provider: k8s.Provider
    ready: list[pulumi.Resource]
    """What pods need before they can be scheduled: Fargate profiles, CoreDNS, nodes."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("efs-platform:index:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        here = where(self)
        region, partition, account_id = here.region, here.partition, here.account_id
        cluster_name = f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"
        managed = f"arn:{partition}:iam::aws:policy"

        key = rotating_key(
            f"{name}-key",
            f"{name}: encrypts the EKS cluster's Kubernetes secrets and control-plane logs",
            partition=partition,
            account_id=account_id,
            extra_statements=(logs_statement(region, partition, account_id),),
            opts=child,
        )
        # EKS writes to exactly this name; created first, it is encrypted and expires.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            opts=child,
        )
        cluster_role = aws.iam.Role(
            f"{name}-cluster",
            description=f"{name}: the EKS control plane",
            assume_role_policy=policy_document(
                {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster", role=cluster_role.name, policy_arn=f"{managed}/AmazonEKSClusterPolicy", opts=child
        )
        public = bool(args.public_access_cidrs)
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=args.version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.private_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(args.public_access_cidrs) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"], provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn)
            ),
            enabled_cluster_log_types=list(args.log_types),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            deletion_protection=args.deletion_protection,
            tags={"Name": cluster_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, cluster_policy]),
        )
        issuer = self.cluster.identities[0].oidcs[0].issuer
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"], opts=child
        )

        # Fargate: the pod execution role pulls images and ships logs for this cluster's pods.
        profiles = f"arn:{partition}:eks:{region}:{account_id}:fargateprofile/{cluster_name}/*"
        self.pod_execution_role = aws.iam.Role(
            f"{name}-pod-execution",
            description=f"{name}: EKS Fargate pulls images and registers pods",
            assume_role_policy=policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "eks-fargate-pods.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    # Only this cluster's Fargate profiles (AWS's confused-deputy guard).
                    "Condition": {"ArnLike": {"aws:SourceArn": profiles}},
                }
            ),
            opts=child,
        )
        pod_policy = aws.iam.RolePolicyAttachment(
            f"{name}-pod-execution",
            role=self.pod_execution_role.name,
            policy_arn=f"{managed}/AmazonEKSFargatePodExecutionRolePolicy",
            opts=child,
        )
        # EKS creates one Fargate profile at a time: the second waits for the first.
        system_profile = self._fargate_profile(
            f"{name}-system",
            args,
            aws.eks.FargateProfileSelectorArgs(namespace="kube-system", labels={"k8s-app": "kube-dns"}),
            depends_on=[pod_policy],
        )
        workload_profile = self._fargate_profile(
            f"{name}-workloads",
            args,
            aws.eks.FargateProfileSelectorArgs(namespace=args.workload_namespace),
            depends_on=[system_profile],
        )
        coredns = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=self.cluster.name,
            addon_name="coredns",
            configuration_values=json.dumps({"computeType": "Fargate"}),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_profile]),
        )
        self.ready = [system_profile, workload_profile, coredns]

        self.node_role = None
        self.efs_csi_addon = None
        if args.node_group:
            self._node_group(name, args, partition, managed)

        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.cluster_security_group_id = self.cluster.vpc_config.cluster_security_group_id
        # The Kubernetes objects wait for the rules that let the deployer reach the API.
        self.ready += self._api_access(name, args)
        self.oidc_provider_arn = self.oidc_provider.arn
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data).apply(
                lambda r: _kubeconfig(r[0], r[1], r[2], region)
            )
        )
        self.provider = k8s.Provider(f"{name}-k8s", kubeconfig=self.kubeconfig, opts=child)
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "oidcProviderArn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _api_access(self, name: str, args: EksClusterArgs) -> list[aws.vpc.SecurityGroupIngressRule]:
        """TCP 443 to the cluster security group from the named networks and groups.

        EKS attaches the cluster security group to the control plane's network interfaces in the
        VPC, which serve the private endpoint; with the public endpoint off, the API "can only
        receive requests from within the cluster VPC" and "your Amazon EKS control plane security
        group [must contain] rules to allow ingress traffic on port 443 from your connected
        network" (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html, "Accessing
        a private only API server"; https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html).
        The group EKS creates is ``vpc_config.cluster_security_group_id`` (pulumi-aws
        ``eks/outputs.py`` ClusterVpcConfig); rules on it are separate resources, so adding or
        removing one never replaces the cluster.
        """
        rules = []
        for cidr in args.api_access_cidrs:
            network = ipaddress.ip_network(cidr)
            rule = aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-{cidr.replace('/', '-').replace(':', '-')}",
                security_group_id=self.cluster_security_group_id,
                description="Kubernetes API (private endpoint) from the deployer's network",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=cidr if network.version == 4 else None,
                cidr_ipv6=cidr if network.version == 6 else None,
                opts=pulumi.ResourceOptions(parent=self),
            )
            rules.append(rule)
        for group in args.api_access_security_group_ids:
            rule = aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-{group}",
                security_group_id=self.cluster_security_group_id,
                description="Kubernetes API (private endpoint) from the deployer's security group",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                referenced_security_group_id=group,
                opts=pulumi.ResourceOptions(parent=self),
            )
            rules.append(rule)
        return rules

    def _fargate_profile(
        self, name: str, args: EksClusterArgs, selector: aws.eks.FargateProfileSelectorArgs, *, depends_on: list[Any]
    ) -> aws.eks.FargateProfile:
        return aws.eks.FargateProfile(
            name,
            cluster_name=self.cluster.name,
            pod_execution_role_arn=self.pod_execution_role.arn,
            subnet_ids=list(args.private_subnet_ids),
            selectors=[selector],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _node_group(self, name: str, args: EksClusterArgs, partition: str, managed: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.node_role = aws.iam.Role(
            f"{name}-nodes",
            description=f"{name}: EC2 worker nodes",
            assume_role_policy=policy_document(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-nodes-{short}", role=self.node_role.name, policy_arn=f"{managed}/{policy}", opts=child
            )
            for short, policy in (
                ("worker", "AmazonEKSWorkerNodePolicy"),
                ("cni", "AmazonEKS_CNI_Policy"),
                ("ecr", "AmazonEC2ContainerRegistryPullOnly"),
            )
        ]
        nodes = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=self.cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=list(args.private_subnet_ids),
            instance_types=list(args.node_instance_types),
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=args.node_min_size, min_size=args.node_min_size, max_size=args.node_max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        # The driver's controller creates and deletes access points (dynamic provisioning);
        # its role is assumable only by its own service account, through the cluster's OIDC.
        issuer_host = self.oidc_provider.url.apply(lambda u: u.removeprefix("https://"))
        controller_role = aws.iam.Role(
            f"{name}-efs-csi",
            description=f"{name}: EFS CSI driver controller (efs-csi-controller-sa only)",
            assume_role_policy=policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": self.oidc_provider.arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            pulumi.Output.concat(issuer_host, ":sub"): EFS_CSI_CONTROLLER_SA,
                            pulumi.Output.concat(issuer_host, ":aud"): "sts.amazonaws.com",
                        }
                    },
                }
            ),
            opts=child,
        )
        controller_policy = aws.iam.RolePolicyAttachment(
            f"{name}-efs-csi",
            role=controller_role.name,
            policy_arn=f"arn:{partition}:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",
            opts=child,
        )
        self.efs_csi_addon = aws.eks.Addon(
            f"{name}-efs-csi",
            cluster_name=self.cluster.name,
            addon_name="aws-efs-csi-driver",
            service_account_role_arn=controller_role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes, controller_policy]),
        )
        self.ready += [nodes, self.efs_csi_addon]


def _kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (the AWS CLI on the runner)."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
            "interactiveMode": "Never",
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "users": [{"name": cluster_name, "user": user}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
        }
    )


__all__ = [
    "CONTROL_PLANE_LOGS",
    "CONTROL_PLANE_LOG_TYPES",
    "DEFAULT_VERSION",
    "SUPPORTED_VERSIONS",
    "EksCluster",
    "EksClusterArgs",
]
