"""The efs-platform CrossGuard policies, one per module. ``policy/__main__.py`` is the only place
that constructs the PolicyPack (constructing it starts a gRPC server that never returns)."""

from .cloudwatch_log_group_kms import cloudwatch_log_group_kms
from .data_keys import data_keys_protected
from .data_protection import stateful_resources_protected
from .default_security_group import default_security_group_closed
from .ecr_kms_encrypted import ecr_kms_encrypted
from .ecs_container_credentials import ecs_no_aws_credentials_in_env
from .ecs_efs_transit_encryption import ecs_efs_transit_encryption
from .ecs_mount_order import ecs_mount_order
from .ecs_non_root import ecs_non_root_user
from .ecs_privileged import ecs_no_privileged_containers
from .ecs_readonly_root import ecs_readonly_root_filesystem
from .ecs_service_private import ecs_service_private
from .efs_encrypted import efs_encrypted
from .efs_tls_policy import efs_policy_denies_insecure_transport
from .eks_api_reachable import eks_api_reachable
from .eks_audit_logging import eks_audit_logging
from .eks_endpoint import eks_endpoint_restricted
from .eks_secrets_encryption import eks_secrets_encryption
from .k8s_efs_transit_encryption import k8s_efs_transit_encryption
from .k8s_image_digest import k8s_image_digest
from .kms_key_rotation import kms_key_rotation
from .lb_access_logs import lb_access_logs
from .lb_https import lb_https
from .lb_tls_policy import lb_tls_policy
from .lb_waf import lb_waf
from .mount_readiness import efs_mount_readiness
from .mount_target_groups import efs_mount_target_names_sg
from .mount_target_security import efs_mount_target_sg_nfs_only
from .nfs_ingress import nfs_ingress_restricted
from .private_placement import private_placement
from .private_subnet_public_ip import private_subnet_no_public_ip
from .pv_retained import k8s_pv_retained
from .task_role_wildcards import iam_task_role_no_wildcard_actions
from .vpc_dns import vpc_dns_enabled

POLICIES = [
    # encryption
    efs_encrypted,
    ecs_efs_transit_encryption,
    efs_policy_denies_insecure_transport,
    k8s_efs_transit_encryption,
    ecr_kms_encrypted,
    cloudwatch_log_group_kms,
    eks_secrets_encryption,
    kms_key_rotation,
    lb_https,
    lb_tls_policy,
    # private subnets
    private_subnet_no_public_ip,
    ecs_service_private,
    private_placement,
    eks_endpoint_restricted,
    eks_api_reachable,
    eks_audit_logging,
    vpc_dns_enabled,
    default_security_group_closed,
    # port 2049
    nfs_ingress_restricted,
    efs_mount_target_sg_nfs_only,
    efs_mount_target_names_sg,
    # mount readiness
    efs_mount_readiness,
    ecs_mount_order,
    # data protection (advisory)
    stateful_resources_protected,
    data_keys_protected,
    k8s_pv_retained,
    iam_task_role_no_wildcard_actions,
    # workload hygiene
    ecs_no_aws_credentials_in_env,
    ecs_no_privileged_containers,
    ecs_readonly_root_filesystem,
    ecs_non_root_user,
    lb_access_logs,
    lb_waf,
    k8s_image_digest,
]
