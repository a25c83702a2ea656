"""efs-platform: reads the stack config once, composes the components, exports what users need."""

from dataclasses import replace

import pulumi

import settings
from components.efs_csi_storage import EfsCsiStorage
from components.eks_cluster import EksCluster
from components.fargate_service import EfsVolume, FargateCluster, FargateService, WebIngress
from components.file_system import SharedFileSystem
from components.network import Network
from components.registry import ContainerRegistry

config = settings.load()
# Values set with `pulumi config set --secret` stay secret in every input and output that
# carries them (settings reads config as plain values to validate it).
config.secret_values.register()


def export(name: str, value: object) -> None:
    pulumi.export(name, config.secret_values.guard(value))


# The network: created here, or the VPC the stack names (vpcId and its subnets).
if config.existing_vpc is None:
    network: Network | None = Network("platform", config.network)
    vpc_id: pulumi.Input[str] = network.vpc_id
    private_subnet_ids: list[pulumi.Input[str]] = [s.id for s in network.private_subnets]
    public_subnet_ids: list[pulumi.Input[str]] = [s.id for s in network.public_subnets]
else:
    network = None
    vpc_id = config.existing_vpc.vpc_id
    private_subnet_ids = list(config.existing_vpc.private_subnet_ids)
    public_subnet_ids = list(config.existing_vpc.public_subnet_ids)
registry = ContainerRegistry("app", config.registry)
file_system = SharedFileSystem(
    "shared",
    replace(config.file_system, vpc_id=vpc_id, subnet_ids=private_subnet_ids),
)
stack_image = config.image or registry.image

# One ECS cluster and (when a service has a port) one ALB per stack, shared by the services.
cluster = FargateCluster("platform", config.cluster)
ingress = None
if config.ingress is not None:
    ingress = WebIngress("web", replace(config.ingress, vpc_id=vpc_id, public_subnet_ids=public_subnet_ids))
services: dict[str, FargateService] = {}
for name, spec in config.services.items():
    services[name] = FargateService(
        name,
        replace(
            spec.args,
            cluster_arn=cluster.arn,
            cluster_name=cluster.name,
            vpc_id=vpc_id,
            private_subnet_ids=private_subnet_ids,
            container=replace(spec.args.container, image=spec.image or stack_image),
            efs_volumes=tuple(
                EfsVolume(file_system, m.access_point, m.path, read_only=m.read_only, name=f"efs-{m.access_point}")
                for m in spec.mounts
            ),
            ingress=ingress if spec.web else None,
        ),
    )

# Each service wired itself by intent: NFS from its tasks, its task role granted exactly its
# access points (ClientWrite only where it writes). The file system policy is registered after
# every grant (EKS's below), the listeners after every web service attached, and the ECS
# services start after both.

if config.eks_enabled:
    eks = EksCluster("k8s", replace(config.eks, vpc_id=vpc_id, private_subnet_ids=private_subnet_ids))
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
if ingress is not None:
    ingress.create_listeners()
for service in services.values():
    if service.service is None:
        service.start()

export("region", config.region)
if network is not None:
    export("vpcId", network.vpc_id)
    export("vpcCidr", network.vpc_cidr)
    export("availabilityZones", network.availability_zones)
    export("publicSubnetIds", network.public_subnet_ids)
    export("privateSubnetIds", network.private_subnet_ids)
    export("privateRouteTableIds", network.private_route_table_ids)
    export("endpointSecurityGroupId", network.endpoint_security_group_id)
else:
    export("vpcId", vpc_id)
    export("publicSubnetIds", public_subnet_ids)
    export("privateSubnetIds", private_subnet_ids)
export("repositoryUrl", registry.repository_url)
export("image", registry.image if config.image is None else config.image)
export("fileSystemId", file_system.file_system_id)
export("accessPointIds", file_system.access_point_ids)
export("clusterName", cluster.name)
export("serviceNames", {name: service.service_name for name, service in services.items()})
# ECS service name -> the task definition this update deployed: the deploy workflow checks that
# each service's PRIMARY deployment runs it (a circuit-breaker rollback leaves the old one running
# while `pulumi up` still succeeds).
export(
    "ecsDeployments",
    pulumi.Output.all(*[pulumi.Output.all(s.service_name, s.task_definition.arn) for s in services.values()]).apply(
        dict
    ),
)
if ingress is not None:
    export("url", ingress.url)
    if ingress.access_log_bucket_name is not None:
        export("albAccessLogBucket", ingress.access_log_bucket_name)
    if ingress.web_acl is not None:
        export("webAclArn", ingress.web_acl.arn)
