"""How AWS names, identifies and describes resources, per type, for the offline engine.

The mocks give every resource an id, an ARN and the computed outputs a provider would report.
For most types a generic rule serves (``offline/mocks.py``); the types here have an id or ARN of
their own shape, or outputs programs build strings from (an API's endpoint, a bucket's domain
name, a database's address). Each follows AWS's documented format: ARNs from the Service
Authorization Reference ("Resource types defined by <service>"), ids and endpoints from each
service's API reference. Values are deterministic (derived from the resource's name) and
plausible, never real.

A function receives a :class:`Kind` context and returns ``(id, outputs)``; outputs already set
by the program are kept.
"""

from __future__ import annotations

import hashlib
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"

#: Properties a provider fills with a unique name when the program leaves them out, by type:
#: (property, maximum length, lower case only). pulumi-aws auto-names ``<resource name>-<7
#: random characters>``; other types use ``name``.
AUTONAMED: dict[str, tuple[str, int | None, bool]] = {
    "aws:s3/bucket:Bucket": ("bucket", 63, True),
    "aws:s3/bucketV2:BucketV2": ("bucket", 63, True),
    "aws:rds/instance:Instance": ("identifier", 63, True),
    "aws:rds/cluster:Cluster": ("clusterIdentifier", 63, True),
    "aws:rds/clusterInstance:ClusterInstance": ("identifier", 63, True),
    "aws:elasticache/cluster:Cluster": ("clusterId", 50, True),
    "aws:lb/loadBalancer:LoadBalancer": ("name", 32, False),
    "aws:alb/loadBalancer:LoadBalancer": ("name", 32, False),
    "aws:lb/targetGroup:TargetGroup": ("name", 32, False),
    "aws:alb/targetGroup:TargetGroup": ("name", 32, False),
    "aws:iam/role:Role": ("name", 64, False),
    "aws:lambda/function:Function": ("name", 64, False),
}


def autoname(resource_name: str, seed: str, max_length: int | None, lower: bool) -> str:
    suffix = seed[:7]
    base = resource_name.lower() if lower else resource_name
    if max_length is not None and len(base) + 8 > max_length:
        base = base[: max(max_length - 8, 1)]
    return f"{base}-{suffix}"


@dataclass(frozen=True)
class Kind:
    """What a type's function needs: the resource, its state so far and where it lives."""

    token: str
    name: str
    seed: str
    state: dict[str, Any]
    region: str
    partition: str
    dns_suffix: str

    def chars(self, n: int, alphabet: str = string.ascii_lowercase + string.digits, salt: str = "") -> str:
        """``n`` deterministic characters of ``alphabet``."""
        digest = hashlib.sha256((self.seed + salt).encode()).digest()
        while len(digest) < n:
            digest += hashlib.sha256(digest).digest()
        return "".join(alphabet[b % len(alphabet)] for b in digest[:n])

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        where = self.region if region else ""
        who = ACCOUNT_ID if account else ""
        return f"arn:{self.partition}:{service}:{where}:{who}:{resource}"

    def text(self, key: str) -> str | None:
        v = self.state.get(key)
        return v if isinstance(v, str) and v else None

    @property
    def label(self) -> str:
        """The resource's own name where it has one (else its Pulumi name)."""
        return self.text(AUTONAMED.get(self.token, ("name",))[0]) or self.text("name") or self.name


Describer = Callable[[Kind], tuple[str, dict[str, Any]]]


def _s3_bucket(k: Kind) -> tuple[str, dict[str, Any]]:
    bucket = k.label
    return bucket, {
        "arn": f"arn:{k.partition}:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.{k.dns_suffix}",
        "bucketRegionalDomainName": f"{bucket}.s3.{k.region}.{k.dns_suffix}",
        "region": k.region,
        "bucketRegion": k.region,
        "hostedZoneId": "Z" + k.chars(13, string.ascii_uppercase + string.digits, "zone"),
    }


def _lambda_function(k: Kind) -> tuple[str, dict[str, Any]]:
    name = k.label
    arn = k.arn("lambda", f"function:{name}")
    invoke = f"arn:{k.partition}:apigateway:{k.region}:lambda:path/2015-03-31/functions/{arn}"
    return name, {
        "arn": arn,
        "invokeArn": f"{invoke}/invocations",
        "qualifiedArn": f"{arn}:$LATEST",
        "qualifiedInvokeArn": f"{invoke}:$LATEST/invocations",
        "responseStreamingInvokeArn": f"{invoke}/response-streaming-invocations",
        "version": "$LATEST",
        "lastModified": "2026-01-01T00:00:00.000+0000",
    }


def _http_api(k: Kind) -> tuple[str, dict[str, Any]]:
    api_id = k.chars(10)
    scheme = "wss" if str(k.state.get("protocolType", "HTTP")).upper() == "WEBSOCKET" else "https"
    return api_id, {
        "arn": f"arn:{k.partition}:apigateway:{k.region}::/apis/{api_id}",
        "apiEndpoint": f"{scheme}://{api_id}.execute-api.{k.region}.{k.dns_suffix}",
        "executionArn": k.arn("execute-api", api_id),
    }


def _http_api_stage(k: Kind) -> tuple[str, dict[str, Any]]:
    api, name = k.text("apiId") or k.chars(10, salt="api"), k.label
    path = "" if name == "$default" else name
    return name, {
        "arn": f"arn:{k.partition}:apigateway:{k.region}::/apis/{api}/stages/{name}",
        "invokeUrl": f"https://{api}.execute-api.{k.region}.{k.dns_suffix}/{path}",
        "executionArn": k.arn("execute-api", f"{api}/{name}"),
    }


def _rest_api(k: Kind) -> tuple[str, dict[str, Any]]:
    api_id = k.chars(10)
    return api_id, {
        "arn": f"arn:{k.partition}:apigateway:{k.region}::/restapis/{api_id}",
        "executionArn": k.arn("execute-api", api_id),
        "rootResourceId": k.chars(10, salt="root"),
        "createdDate": "2026-01-01T00:00:00Z",
    }


def _rest_api_resource(k: Kind) -> tuple[str, dict[str, Any]]:
    return k.chars(6), {"path": f"/{k.text('pathPart') or ''}"}


def _rest_api_deployment(k: Kind) -> tuple[str, dict[str, Any]]:
    api = k.text("restApi") or k.chars(10, salt="api")
    return k.chars(6), {"executionArn": k.arn("execute-api", f"{api}/"), "createdDate": "2026-01-01T00:00:00Z"}


def _rest_api_stage(k: Kind) -> tuple[str, dict[str, Any]]:
    api, name = k.text("restApi") or k.chars(10, salt="api"), k.text("stageName") or k.name
    return f"ags-{api}-{name}", {
        "arn": f"arn:{k.partition}:apigateway:{k.region}::/restapis/{api}/stages/{name}",
        "invokeUrl": f"https://{api}.execute-api.{k.region}.{k.dns_suffix}/{name}",
        "executionArn": k.arn("execute-api", f"{api}/{name}"),
    }


def _state_machine(k: Kind) -> tuple[str, dict[str, Any]]:
    arn = k.arn("states", f"stateMachine:{k.label}")
    return arn, {"arn": arn, "status": "ACTIVE", "creationDate": "2026-01-01T00:00:00Z", "revisionId": ""}


_DB_PORTS = {"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "mariadb": 3306, "aurora-mysql": 3306}


def _db_port(k: Kind) -> int:
    port = k.state.get("port")
    if isinstance(port, (int, float)):
        return int(port)
    engine = str(k.state.get("engine") or "postgres")
    return _DB_PORTS.get(engine, 1521 if engine.startswith("oracle") else 1433 if "sqlserver" in engine else 5432)


def _db_instance(k: Kind) -> tuple[str, dict[str, Any]]:
    identifier = k.label
    resource_id = "db-" + k.chars(26, string.ascii_uppercase + string.digits)
    address = f"{identifier}.{k.chars(12, salt='host')}.{k.region}.rds.{k.dns_suffix}"
    port = _db_port(k)
    return resource_id, {
        "arn": k.arn("rds", f"db:{identifier}"),
        "resourceId": resource_id,
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "status": "available",
        "hostedZoneId": "Z" + k.chars(13, string.ascii_uppercase + string.digits, "zone"),
    }


def _db_cluster(k: Kind) -> tuple[str, dict[str, Any]]:
    identifier = k.label
    host = f"{k.chars(12, salt='host')}.{k.region}.rds.{k.dns_suffix}"
    return identifier, {
        "arn": k.arn("rds", f"cluster:{identifier}"),
        "clusterResourceId": "cluster-" + k.chars(26, string.ascii_uppercase + string.digits),
        "endpoint": f"{identifier}.cluster-{host}",
        "readerEndpoint": f"{identifier}.cluster-ro-{host}",
        "port": _db_port(k),
    }


def _db_subnet_group(k: Kind) -> tuple[str, dict[str, Any]]:
    return k.label, {"arn": k.arn("rds", f"subgrp:{k.label}")}


def _dynamodb_table(k: Kind) -> tuple[str, dict[str, Any]]:
    return k.label, {"arn": k.arn("dynamodb", f"table/{k.label}")}


def _sqs_queue(k: Kind) -> tuple[str, dict[str, Any]]:
    url = f"https://sqs.{k.region}.{k.dns_suffix}/{ACCOUNT_ID}/{k.label}"
    return url, {"arn": k.arn("sqs", k.label), "url": url}


def _sns_topic(k: Kind) -> tuple[str, dict[str, Any]]:
    arn = k.arn("sns", k.label)
    return arn, {"arn": arn}


def _load_balancer(k: Kind) -> tuple[str, dict[str, Any]]:
    kind = {"network": "net", "gateway": "gwy"}.get(str(k.state.get("loadBalancerType") or "application"), "app")
    suffix = f"{kind}/{k.label}/{k.seed[:16]}"
    arn = k.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    internal = "internal-" if k.state.get("internal") in (True, "true") else ""
    host = f"{internal}{k.label}-{int(k.seed[:8], 16)}.{k.region}.elb.{k.dns_suffix}"
    return arn, {"arn": arn, "arnSuffix": suffix, "dnsName": host, "zoneId": "Z" + k.chars(13, salt="zone").upper()}


def _target_group(k: Kind) -> tuple[str, dict[str, Any]]:
    suffix = f"targetgroup/{k.label}/{k.seed[:16]}"
    arn = k.arn("elasticloadbalancing", suffix)
    return arn, {"arn": arn, "arnSuffix": suffix}


def _child_arn(parent: str | None, kind: str, child: str) -> str | None:
    """An ELB listener (rule) ARN nests its load balancer's (listener's): ``…:listener/app/<lb
    name>/<lb id>/<listener id>``."""
    if parent and ":loadbalancer/" in parent:
        return parent.replace(":loadbalancer/", f":{kind}/", 1) + f"/{child}"
    if parent and ":listener/" in parent:
        return parent.replace(":listener/", f":{kind}/", 1) + f"/{child}"
    return None


def _listener(k: Kind) -> tuple[str, dict[str, Any]]:
    arn = _child_arn(k.text("loadBalancerArn"), "listener", k.seed[:16]) or k.arn(
        "elasticloadbalancing", f"listener/app/{k.name}/{k.seed[16:32]}/{k.seed[:16]}"
    )
    return arn, {"arn": arn}


def _listener_rule(k: Kind) -> tuple[str, dict[str, Any]]:
    arn = _child_arn(k.text("listenerArn"), "listener-rule", k.seed[:16]) or k.arn(
        "elasticloadbalancing", f"listener-rule/app/{k.name}/{k.seed[16:32]}/{k.seed[32:48]}/{k.seed[:16]}"
    )
    return arn, {"arn": arn}


def _ecs_service(k: Kind) -> tuple[str, dict[str, Any]]:
    cluster = k.text("cluster") or "default"
    cluster_name = cluster.rsplit("/", 1)[-1]
    arn = k.arn("ecs", f"service/{cluster_name}/{k.label}")
    return arn, {"arn": arn}


def _ec2_instance(k: Kind) -> tuple[str, dict[str, Any]]:
    instance_id = "i-" + k.seed[:17]
    a, b, c = (int(k.seed[i : i + 2], 16) for i in (20, 22, 24))
    private_ip = f"10.{a % 256}.{b % 256}.{c % 254 + 1}"
    public_ip = f"203.0.113.{c % 254 + 1}"
    return instance_id, {
        "arn": k.arn("ec2", f"instance/{instance_id}"),
        "privateIp": private_ip,
        "privateDns": f"ip-{private_ip.replace('.', '-')}.{k.region}.compute.internal",
        "publicIp": public_ip,
        "publicDns": f"ec2-{public_ip.replace('.', '-')}.{k.region}.compute.{k.dns_suffix}",
        "instanceState": "running",
        "primaryNetworkInterfaceId": "eni-" + k.seed[17:34],
    }


def _hosted_zone(k: Kind) -> tuple[str, dict[str, Any]]:
    zone_id = "Z" + k.chars(20, string.ascii_uppercase + string.digits)
    servers = [f"ns-{int(k.seed[i : i + 3], 16) % 2048}.awsdns-{i:02d}.{tld}" for i, tld in
               enumerate(("com", "net", "org", "co.uk"))]  # fmt: skip
    return zone_id, {
        "zoneId": zone_id,
        "arn": f"arn:{k.partition}:route53:::hostedzone/{zone_id}",
        "nameServers": servers,
    }


def _record(k: Kind) -> tuple[str, dict[str, Any]]:
    name, kind = k.text("name") or k.name, k.text("type") or "A"
    return f"{k.text('zoneId') or 'Z'}_{name}_{kind}", {"fqdn": name}


def _autoscaling_group(k: Kind) -> tuple[str, dict[str, Any]]:
    name = k.label
    return name, {"arn": k.arn("autoscaling", f"autoScalingGroup:{uuid.UUID(k.seed[:32])}:autoScalingGroupName/{name}")}


def _distribution(k: Kind) -> tuple[str, dict[str, Any]]:
    dist_id = "E" + k.chars(13, string.ascii_uppercase + string.digits)
    return dist_id, {
        "arn": f"arn:{k.partition}:cloudfront::{ACCOUNT_ID}:distribution/{dist_id}",
        "domainName": f"d{k.chars(13)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's own zone, the same for every distribution
        "status": "Deployed",
    }


def _graphql_api(k: Kind) -> tuple[str, dict[str, Any]]:
    api_id = k.chars(26)
    host = k.chars(26, salt="host")
    return api_id, {
        "arn": k.arn("appsync", f"apis/{api_id}"),
        "uris": {
            "GRAPHQL": f"https://{host}.appsync-api.{k.region}.{k.dns_suffix}/graphql",
            "REALTIME": f"wss://{host}.appsync-realtime-api.{k.region}.{k.dns_suffix}/graphql",
        },
    }


def _cloudwatch_log_group(k: Kind) -> tuple[str, dict[str, Any]]:
    return k.label, {"arn": k.arn("logs", f"log-group:{k.label}")}


def _metric_alarm(k: Kind) -> tuple[str, dict[str, Any]]:
    # The alarm's id is its name; ARN arn:aws:cloudwatch:<region>:<account>:alarm:<name>.
    return k.label, {"arn": k.arn("cloudwatch", f"alarm:{k.label}")}


def _event_rule(k: Kind) -> tuple[str, dict[str, Any]]:
    # On the default bus the id is the name and the ARN rule/<name>; on another bus
    # <bus>/<name> for both (EventBridge "Resource types": rule/[event-bus-name/]rule-name).
    bus = k.text("eventBusName")
    path = f"{bus}/{k.label}" if bus and bus != "default" else k.label
    return path, {"arn": k.arn("events", f"rule/{path}")}


def _eks_child(kind: str, name_key: str) -> Describer:
    """Node groups, Fargate profiles and add-ons: id ``<cluster>:<name>``, ARN
    ``<kind>/<cluster>/<name>/<uuid>`` (EKS "Resource types defined by Amazon EKS")."""

    def describe(k: Kind) -> tuple[str, dict[str, Any]]:
        cluster = k.text("clusterName") or "cluster"
        name = k.text(name_key) or k.name
        arn = k.arn("eks", f"{kind}/{cluster}/{name}/{uuid.UUID(k.seed[:32])}")
        return f"{cluster}:{name}", {"arn": arn, name_key: name}

    return describe


def _elasticache(kind: str, id_key: str) -> Describer:
    """ElastiCache clusters, replication groups and subnet groups: the id is the name, the ARN
    ``<kind>:<name>`` (ElastiCache "Resource types")."""

    def describe(k: Kind) -> tuple[str, dict[str, Any]]:
        name = k.text(id_key) or k.name.lower()
        return name, {"arn": k.arn("elasticache", f"{kind}:{name}")}

    return describe


def _user_pool(k: Kind) -> tuple[str, dict[str, Any]]:
    # A user pool id is <region>_<9 characters>; ARN userpool/<id>; endpoint cognito-idp.<region>.
    pool = f"{k.region}_{k.chars(9, string.ascii_letters + string.digits)}"
    return pool, {
        "arn": k.arn("cognito-idp", f"userpool/{pool}"),
        "endpoint": f"cognito-idp.{k.region}.{k.dns_suffix}/{pool}",
    }


def _certificate(k: Kind) -> tuple[str, dict[str, Any]]:
    # ACM's id is the certificate's ARN, certificate/<uuid>.
    arn = k.arn("acm", f"certificate/{uuid.UUID(k.seed[:32])}")
    return arn, {"arn": arn}


KINDS: dict[str, Describer] = {
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:s3/bucketV2:BucketV2": _s3_bucket,
    "aws:lambda/function:Function": _lambda_function,
    "aws:apigatewayv2/api:Api": _http_api,
    "aws:apigatewayv2/stage:Stage": _http_api_stage,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/resource:Resource": _rest_api_resource,
    "aws:apigateway/deployment:Deployment": _rest_api_deployment,
    "aws:apigateway/stage:Stage": _rest_api_stage,
    "aws:sfn/stateMachine:StateMachine": _state_machine,
    "aws:rds/instance:Instance": _db_instance,
    "aws:rds/cluster:Cluster": _db_cluster,
    "aws:rds/subnetGroup:SubnetGroup": _db_subnet_group,
    "aws:dynamodb/table:Table": _dynamodb_table,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:alb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:alb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:alb/listenerRule:ListenerRule": _listener_rule,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ec2/instance:Instance": _ec2_instance,
    "aws:route53/zone:Zone": _hosted_zone,
    "aws:route53/record:Record": _record,
    "aws:autoscaling/group:Group": _autoscaling_group,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:appsync/graphQLApi:GraphQLApi": _graphql_api,
    "aws:cloudwatch/logGroup:LogGroup": _cloudwatch_log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:eks/nodeGroup:NodeGroup": _eks_child("nodegroup", "nodeGroupName"),
    "aws:eks/fargateProfile:FargateProfile": _eks_child("fargateprofile", "fargateProfileName"),
    "aws:eks/addon:Addon": _eks_child("addon", "addonName"),
    "aws:elasticache/cluster:Cluster": _elasticache("cluster", "clusterId"),
    "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache("replicationgroup", "replicationGroupId"),
    "aws:elasticache/subnetGroup:SubnetGroup": _elasticache("subnetgroup", "name"),
    "aws:cognito/userPool:UserPool": _user_pool,
    "aws:acm/certificate:Certificate": _certificate,
}
