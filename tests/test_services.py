"""Several services per stack, as they reach AWS: one ECS cluster and one ALB shared by the web
services (host/path listener rules, one target group each), workers with no load balancer at
all, and each task role granted exactly its access points."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components._validation import ArgumentError
from components.fargate_service import (
    PRIORITY_TIER,
    ContainerSettings,
    FargateService,
    FargateServiceArgs,
    Routing,
    WebIngress,
    WebIngressArgs,
)
from offline import engine, project
from tests.conftest import ROOT, Recorded, run, run_platform

SERVICE = "aws:ecs/service:Service"
TG = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER = "aws:lb/listener:Listener"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


@pytest.fixture(scope="module")
def prod() -> Recorded:
    return Recorded(engine.run(project.load(ROOT, "prod")))


def _named(rec: Recorded, token: str, name: str) -> Any:
    return rec.one(token, name)


def _container(rec: Recorded, service: str) -> dict[str, Any]:
    (definition,) = json.loads(
        _named(rec, "aws:ecs/taskDefinition:TaskDefinition", f"{service}-task").inputs["containerDefinitions"]
    )
    return definition


# -- prod: a web service and a worker ------------------------------------------------------------


def test_prod_runs_both_services_in_one_cluster_behind_one_alb(prod: Recorded) -> None:
    cluster = prod.only("aws:ecs/cluster:Cluster")
    prod.only("aws:lb/loadBalancer:LoadBalancer")
    services = {s.name: s for s in prod.of_type(SERVICE)}
    assert set(services) == {"web-service", "worker-service"}
    assert all(s.inputs["cluster"] == cluster.outputs["arn"] for s in services.values())
    assert set(prod.outputs["serviceNames"]) == {"web", "worker"}
    assert prod.outputs["url"].startswith("http://web-alb-")


def test_the_worker_has_no_target_group_no_load_balancer_and_admits_nothing(prod: Recorded) -> None:
    worker = _named(prod, SERVICE, "worker-service")
    assert not worker.inputs.get("loadBalancers")
    assert "healthCheckGracePeriodSeconds" not in worker.inputs  # no load balancer health check to wait for
    assert [t.name for t in prod.of_type(TG)] == ["web-tg"]
    group = _named(prod, SG, "worker-tasks")
    assert not [r for r in prod.of_type(INGRESS) if r.inputs["securityGroupId"] == group.id]
    alb_group = _named(prod, SG, "web-alb")
    assert not [
        r
        for r in prod.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == alb_group.id and r.inputs.get("referencedSecurityGroupId") == group.id
    ]
    assert _container(prod, "worker")["portMappings"] == []
    # Still private, non-root, circuit breaker, steady state.
    net = worker.inputs["networkConfiguration"]
    assert net["assignPublicIp"] is False
    assert worker.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert worker.inputs["waitForSteadyState"] is True
    assert _container(prod, "worker")["user"] == "1000:1000"
    assert _container(prod, "worker")["image"].startswith("docker.io/library/busybox:1.37@sha256:")


def test_the_web_service_is_the_listeners_default_action(prod: Recorded) -> None:
    web = _named(prod, SERVICE, "web-service")
    tg = _named(prod, TG, "web-tg")
    (listener,) = prod.of_type(LISTENER)
    assert listener.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": tg.outputs["arn"]}]
    assert not prod.of_type(RULE)
    assert web.inputs["loadBalancers"] == [
        {"targetGroupArn": tg.outputs["arn"], "containerName": "app", "containerPort": 8080}
    ]
    assert listener.urn in web.dependencies


def test_the_worker_mounts_read_only_and_is_granted_client_mount_only(prod: Recorded) -> None:
    mounts = {m["containerPath"]: m for m in _container(prod, "worker")["mountPoints"]}
    assert mounts["/data"]["readOnly"] is True
    assert {m["containerPath"]: m["readOnly"] for m in _container(prod, "web")["mountPoints"]}["/data"] is False
    roles = {r.name: r.outputs["arn"] for r in prod.of_type("aws:iam/role:Role")}
    ap = _named(prod, "aws:efs/accessPoint:AccessPoint", "shared-ap-app")
    statements = json.loads(prod.only("aws:efs/fileSystemPolicy:FileSystemPolicy").inputs["policy"])["Statement"]
    by_role = {
        s["Principal"]["AWS"]: s for s in statements if s["Effect"] == "Allow" and s["Principal"].get("AWS") != "*"
    }
    assert by_role[roles["worker-task"]]["Action"] == ["elasticfilesystem:ClientMount"]
    assert by_role[roles["web-task"]]["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    for role in ("worker-task", "web-task"):
        assert by_role[roles[role]]["Condition"]["StringEquals"] == {
            "elasticfilesystem:AccessPointArn": ap.outputs["arn"]
        }


def test_each_service_starts_after_its_nfs_rules_and_the_policy(prod: Recorded) -> None:
    policy = prod.only("aws:efs/fileSystemPolicy:FileSystemPolicy")
    for name in ("web", "worker"):
        service = _named(prod, SERVICE, f"{name}-service")
        group = _named(prod, SG, f"{name}-tasks")
        nfs = [r.urn for r in prod.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == group.id]
        assert nfs and set(nfs) <= set(service.dependencies)
        assert policy.urn in service.dependencies


# -- routing ---------------------------------------------------------------------------------------

ROUTED = {
    "web": {"port": 8080, "user": "101:101"},
    "api": {"port": 8080, "user": "101:101", "routing": {"paths": ["/api/*"]}},
    "admin": {"port": 8080, "user": "101:101", "routing": {"hosts": ["admin.example.com"], "paths": ["/*"]}},
    "batch": {"user": "1000", "command": ["sleep", "3600"]},
}


def _routed(services: dict[str, Any], **config: str) -> Recorded:
    return run_platform({"services": json.dumps(services), **config})


def test_routed_web_services_get_a_target_group_and_a_listener_rule_each() -> None:
    rec = _routed(ROUTED)
    rec.only("aws:lb/loadBalancer:LoadBalancer")
    rec.only("aws:ecs/cluster:Cluster")
    (listener,) = rec.of_type(LISTENER)
    tgs = {t.name: t for t in rec.of_type(TG)}
    assert set(tgs) == {"web-tg", "api-tg", "admin-tg"}  # the worker has none
    assert listener.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": tgs["web-tg"].outputs["arn"]}]
    rules = {r.name: r.inputs for r in rec.of_type(RULE)}
    assert set(rules) == {"api-rule", "admin-rule"}
    assert rules["api-rule"]["conditions"] == [{"pathPattern": {"values": ["/api/*"]}}]
    assert rules["admin-rule"]["conditions"] == [
        {"hostHeader": {"values": ["admin.example.com"]}},
        {"pathPattern": {"values": ["/*"]}},
    ]
    for name in ("api", "admin"):
        rule = rules[f"{name}-rule"]
        assert rule["listenerArn"] == listener.outputs["arn"]
        assert rule["actions"] == [{"type": "forward", "targetGroupArn": tgs[f"{name}-tg"].outputs["arn"]}]
        assert rule["priority"] == Routing(**ROUTED[name]["routing"]).priority(name)
        assert 1 <= rule["priority"] <= 50000
        service = _named(rec, SERVICE, f"{name}-service")
        assert _named(rec, RULE, f"{name}-rule").urn in service.dependencies
    # host and path first, then path only
    assert rules["admin-rule"]["priority"] < rules["api-rule"]["priority"]
    # Each web service admits the ALB on its port; the worker admits nothing.
    alb = _named(rec, SG, "web-alb")
    for name in ("web", "api", "admin"):
        group = _named(rec, SG, f"{name}-tasks")
        assert [
            (r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"])
            for r in rec.of_type(INGRESS)
            if r.inputs["securityGroupId"] == group.id
        ] == [(alb.id, 8080)]
    batch = _named(rec, SG, "batch-tasks")
    assert not [r for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == batch.id]


def test_with_a_certificate_rules_go_on_https_and_http_redirects() -> None:
    rec = _routed(ROUTED, certificateArn=CERT)
    listeners = {r.inputs["port"]: r for r in rec.of_type(LISTENER)}
    assert listeners[80].inputs["defaultActions"][0]["type"] == "redirect"
    assert {r.inputs["listenerArn"] for r in rec.of_type(RULE)} == {listeners[443].outputs["arn"]}


def test_without_a_default_service_the_alb_answers_404() -> None:
    services = {k: v for k, v in ROUTED.items() if k != "web"}
    (listener,) = _routed(services).of_type(LISTENER)
    assert listener.inputs["defaultActions"] == [
        {"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "messageBody": "Not Found",
                                                     "statusCode": "404"}}
    ]  # fmt: skip


def test_a_stack_of_workers_has_no_load_balancer_at_all() -> None:
    rec = _routed({"batch": ROUTED["batch"]})
    for token in ("aws:lb/loadBalancer:LoadBalancer", LISTENER, TG, "aws:s3/bucket:Bucket"):
        assert not rec.of_type(token), token
    assert "url" not in rec.outputs and set(rec.outputs["serviceNames"]) == {"batch"}
    rec.only(SERVICE)


def test_priorities_do_not_move_when_services_come_and_go() -> None:
    routing = Routing(paths=("/api/*",))
    assert routing.priority("api") == Routing(paths=("/api/*",)).priority("api")
    assert 2 * PRIORITY_TIER <= routing.priority("api") < 3 * PRIORITY_TIER
    assert Routing(hosts=("a.example.com",)).priority("api") >= 3 * PRIORITY_TIER
    assert Routing(hosts=("a.example.com",), paths=("/x",)).priority("api") < 2 * PRIORITY_TIER
    with_more = {k: v for k, v in ROUTED.items()} | {"extra": {"port": 80, "routing": {"paths": ["/extra/*"]}}}
    rules = {r.name: r.inputs["priority"] for r in _routed(with_more).of_type(RULE)}
    assert rules["api-rule"] == routing.priority("api")


# -- the components refuse what the ALB or ECS would ---------------------------------------------


def _args(ingress: WebIngress | None, routing: Routing | None = None, port: int | None = 80) -> FargateServiceArgs:
    return FargateServiceArgs(
        cluster_arn="arn:aws:ecs:eu-west-1:123456789012:cluster/c",
        cluster_name="c",
        vpc_id="vpc-0123456789abcdef0",
        private_subnet_ids=["subnet-0a"],
        container=ContainerSettings(image="nginx:1", port=port),
        ingress=ingress,
        routing=routing,
    )


def _ingress() -> WebIngress:
    return WebIngress("web", WebIngressArgs(vpc_id="vpc-0123456789abcdef0", public_subnet_ids=["subnet-1", "subnet-2"]))


def test_two_services_without_routing_are_refused() -> None:
    def program() -> None:
        ingress = _ingress()
        FargateService("a", _args(ingress))
        FargateService("b", _args(ingress))

    with pytest.raises(engine.ProgramError, match="only one web service may omit routing"):
        run(program)


def test_a_web_service_cannot_start_before_the_listeners() -> None:
    def program() -> None:
        FargateService("a", _args(_ingress())).start()

    with pytest.raises(engine.ProgramError, match="call create_listeners\\(\\)"):
        run(program)


def test_a_worker_is_not_routed() -> None:
    with pytest.raises(ArgumentError) as caught:
        _args(None, Routing(paths=("/x",)), port=None)
    assert caught.value.fields[0] == "routing"
