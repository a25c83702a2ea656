"""Security group rules as separate resources (groups carry no inline rules, so intent methods
in different components can each add theirs without fighting over the group)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def allow_tcp(
    *,
    ingress_name: str,
    egress_name: str | None,
    target_group_id: pulumi.Input[str],
    source_group_id: pulumi.Input[str],
    port: int,
    description: str,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """Admit TCP ``port`` on the target group from the source group's members and, when
    ``egress_name`` is given, let the source group send it to the target (both sides of one
    connection; groups here have no allow-all egress). Returns the rules, for ``depends_on``."""
    rules: list[pulumi.Resource] = []
    ingress = aws.vpc.SecurityGroupIngressRule(
        ingress_name,
        security_group_id=target_group_id,
        referenced_security_group_id=source_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        opts=opts,
    )
    rules.append(ingress)
    if egress_name is not None:
        egress = aws.vpc.SecurityGroupEgressRule(
            egress_name,
            security_group_id=source_group_id,
            referenced_security_group_id=target_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            opts=opts,
        )
        rules.append(egress)
    return rules
