"""efs-platform: reads the stack config once, composes the components, exports what users need."""

from dataclasses import replace

import pulumi

import settings
from components.fargate_service import EfsVolume, FargateService
from components.file_system import SharedFileSystem
from components.network import Network
from components.registry import ContainerRegistry

config = settings.load()

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

# Wiring by intent: NFS from the service's tasks, and its task role may mount and write
# through its access point only. The policy is registered after every grant.
file_system.allow_from(service.security_group)
file_system.grant(service.task_role, file_system.access_point(config.efs_access_point), writable=True)
file_system.create_policy()

pulumi.export("region", config.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidr", network.vpc_cidr)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("privateRouteTableIds", network.private_route_table_ids)
pulumi.export("endpointSecurityGroupId", network.endpoint_security_group_id)
pulumi.export("repositoryUrl", registry.repository_url)
pulumi.export("image", registry.image if config.image is None else config.image)
pulumi.export("fileSystemId", file_system.file_system_id)
pulumi.export("accessPointIds", file_system.access_point_ids)
pulumi.export("clusterName", service.cluster_name)
pulumi.export("serviceName", service.service_name)
pulumi.export("url", service.url)
