"""The efs-platform CrossGuard policies, one per module. ``policy/__main__.py`` is the only place
that constructs the PolicyPack (constructing it starts a gRPC server that never returns)."""

from .default_security_group import default_security_group_closed
from .private_subnet_public_ip import private_subnet_no_public_ip
from .vpc_dns import vpc_dns_enabled

POLICIES = [
    vpc_dns_enabled,
    private_subnet_no_public_ip,
    default_security_group_closed,
]
