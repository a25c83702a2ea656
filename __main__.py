"""efs-platform: reads the stack config once, composes the components, exports what users need."""

import pulumi

import settings
from components.network import Network

config = settings.load()

network = Network("platform", config.network)

pulumi.export("region", config.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidr", network.vpc_cidr)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("privateRouteTableIds", network.private_route_table_ids)
pulumi.export("endpointSecurityGroupId", network.endpoint_security_group_id)
