"""efs-platform: reads the stack config once, composes the components, exports what users need."""

from dataclasses import replace

import pulumi

import settings
from components.efs_csi_storage import EfsCsiStorage
from components.eks_cluster import EksCluster
from components.fargate_service import EfsVolume, FargateService
from components.file_system import SharedFileSystem
from components.network import Network
from components.registry import ContainerRegistry

config = settings.load()
# Values set with `pulumi config set --secret` stay secret in every input and output that
# carries them (settings reads config as plain values to validate it).
config.secret_values.register()


def export(name: str, value: object) -> None:
    pulumi.export(name, config.secret_values.guard(value))


network = Network("platform", config.network)
registry = ContainerRegistry("app", config.registry)
private_subnet_ids = [s.id for s in network.private_subnets]
file_system = SharedFileSystem(
    "shared",
    replace(config.file_system, vpc_id=network.vpc_id, subnet_ids=private_subnet_ids),
)
service = FargateService(
    "web",
    replace(
        config.service,
        vpc_id=network.vpc_id,
        private_subnet_ids=private_subnet_ids,
        public_subnet_ids=[s.id for s in network.public_subnets],
        container=replace(config.service.container, image=config.image or registry.image),
        efs_volumes=(EfsVolume(file_system, config.efs_access_point, config.efs_mount_path),),
    ),
)

# The service wired itself by intent: NFS from its tasks, its task role granted its access
# point. The file system policy is registered after every grant (EKS's below), and the ECS
# service starts after it.

if config.eks_enabled:
    eks = EksCluster("k8s", replace(config.eks, vpc_id=network.vpc_id, private_subnet_ids=private_subnet_ids))
    # Fargate pods and managed nodes share the cluster security group. The built-in EFS CSI
    # driver of EKS Fargate mounts without an IAM identity, so the file system admits anonymous
    # clients through the EKS access point only (TLS, via a mount target, from that group).
    file_system.allow_from_security_group_id(eks.cluster_security_group_id, label="eks-cluster")
    eks_access_point = file_system.access_point(config.eks_access_point)
    file_system.grant_anonymous(eks_access_point, writable=True)
    if eks.node_role is not None and config.eks_storage.dynamic_provisioning:
        file_system.grant_any_access_point(eks.node_role, writable=True)
    export("eksClusterName", eks.cluster_name)
    export("eksEndpoint", eks.endpoint)
    export("eksClusterSecurityGroupId", eks.cluster_security_group_id)
    export("eksOidcProviderArn", eks.oidc_provider_arn)
    export("kubeconfig", eks.kubeconfig)
    # eks.kubernetesObjects false: a first phase that creates the cluster only, for a deployer that
    # cannot reach the private API endpoint yet (README, "First deploy of a private EKS endpoint").
    if config.eks_kubernetes_objects:
        storage = EfsCsiStorage(
            "shared",
            replace(config.eks_storage, file_system_id=file_system.file_system_id, access_point_id=eks_access_point.id),
            opts=pulumi.ResourceOptions(provider=eks.provider, depends_on=eks.ready),
        )
        export("eksPersistentVolume", storage.persistent_volume_name)
        export("eksClaim", pulumi.Output.concat(config.eks.workload_namespace, "/", storage.claim_name))

file_system.create_policy()
service.start()

export("region", config.region)
export("vpcId", network.vpc_id)
export("vpcCidr", network.vpc_cidr)
export("availabilityZones", network.availability_zones)
export("publicSubnetIds", network.public_subnet_ids)
export("privateSubnetIds", network.private_subnet_ids)
export("privateRouteTableIds", network.private_route_table_ids)
export("endpointSecurityGroupId", network.endpoint_security_group_id)
export("repositoryUrl", registry.repository_url)
export("image", registry.image if config.image is None else config.image)
export("fileSystemId", file_system.file_system_id)
export("accessPointIds", file_system.access_point_ids)
export("clusterName", service.cluster_name)
export("serviceName", service.service_name)
# ECS service name -> the task definition this update deployed: the deploy workflow checks that
# each service's PRIMARY deployment runs it (a circuit-breaker rollback leaves the old one running
# while `pulumi up` still succeeds).
export(
    "ecsDeployments",
    pulumi.Output.all(service.service_name, service.task_definition.arn).apply(lambda r: {r[0]: r[1]}),
)
export("url", service.url)
if service.access_log_bucket_name is not None:
    export("albAccessLogBucket", service.access_log_bucket_name)
if service.web_acl is not None:
    export("webAclArn", service.web_acl.arn)
