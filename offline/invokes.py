"""Answers to invokes (data sources) for the offline engine.

A real preview runs a program's invokes against the cloud; offline, the common AWS and
Kubernetes data sources get plausible, deterministic answers derived from their arguments, and a
user can supply the answer to any invoke in a file (``--invokes FILE``). What a data source
returns describes something *outside* the stack: the policy pack resolves nothing to it and says
"cannot verify" where such a value decides a verdict.

The answers follow each data source's documented output shape (pulumi-aws / pulumi-kubernetes
API docs); a default VPC is the one AWS creates in every region (172.31.0.0/16, DNS support and
hostnames on, subnets that map public IPs: Amazon VPC User Guide, "Default VPCs").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .aws_kinds import ACCOUNT_ID

if TYPE_CHECKING:
    from .mocks import OfflineMocks

Handler = Callable[["OfflineMocks", dict[str, Any]], dict[str, Any]]


class InvokeAnswersError(Exception):
    """The file of invoke answers is unusable."""


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def zone_id(region: str, zone: str) -> str:
    """AWS's zone id form: eu-west-1 -> euw1, ap-northeast-1 -> apne1, us-gov-west-1 -> usgw1."""
    parts = region.split("-")
    short = parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]
    return f"{short}-az{ord(zone[-1]) - ord('a') + 1}"


def _arn(m: OfflineMocks, service: str, resource: str, *, region: bool = True) -> str:
    return f"arn:{m.partition['partition']}:{service}:{m.region if region else ''}:{ACCOUNT_ID}:{resource}"


def _filters(args: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {str(f.get("name")): list(f.get("values") or []) for f in args.get("filters") or [] if isinstance(f, dict)}


# -- account and region ----------------------------------------------------------------------


def _availability_zones(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    # The offline engine cannot know how many zones a region has; six covers every az count the
    # platform accepts. A real preview asks the region itself.
    names = [f"{m.region}{letter}" for letter in "abcdef"]
    names = [n for n in names if n not in (args.get("excludeNames") or [])]
    return {
        "id": m.region,
        "names": names,
        "zoneIds": [zone_id(m.region, n) for n in names],
        "groupNames": [m.region] * len(names),
        "state": args.get("state"),
    }


def _availability_zone(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name") or f"{m.region}a"
    return {"id": name, "name": name, "zoneId": zone_id(m.region, name), "region": m.region, "state": "available"}


def _region(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region") or args.get("name") or m.region
    suffix = m.partition["dnsSuffix"]
    return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.{suffix}", "description": region}


def _partition(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": m.partition["partition"], **m.partition}


def _caller_identity(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ACCOUNT_ID,
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{m.partition['partition']}:sts::{ACCOUNT_ID}:assumed-role/offline-preview/session",
        "userId": "AROAOFFLINEPREVIEW:session",
    }


def _policy_document(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    """aws.iam.get_policy_document: the JSON document built from its statements."""
    statements = []
    for s in args.get("statements") or []:
        stmt: dict[str, Any] = {"Effect": s.get("effect") or "Allow"}
        if s.get("sid"):
            stmt["Sid"] = s["sid"]
        for key, out in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                         ("notResources", "NotResource")):  # fmt: skip
            if s.get(key):
                stmt[out] = s[key][0] if len(s[key]) == 1 else s[key]
        for key, out in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if s.get(key):
                stmt[out] = {
                    p["type"]: p["identifiers"][0] if len(p["identifiers"]) == 1 else p["identifiers"] for p in s[key]
                }
        if s.get("conditions"):
            cond: dict[str, dict[str, Any]] = {}
            for c in s["conditions"]:
                values = c["values"]
                cond.setdefault(c["test"], {})[c["variable"]] = values[0] if len(values) == 1 else values
            stmt["Condition"] = cond
        statements.append(stmt)
    doc = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    text = json.dumps(doc, indent=2)
    return {"id": _digest(text)[:10], "json": text, "minifiedJson": json.dumps(doc, separators=(",", ":"))}


# -- EC2 and VPC -----------------------------------------------------------------------------


def _ami(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    seed = _digest("ami", args)
    image = "ami-" + seed[:17]
    names = _filters(args).get("name") or ["al2023-ami-*"]
    name = str(names[0]).replace("*", "2026.1.20261101.0-kernel-6.1-x86_64")
    architecture = "arm64" if "arm64" in name or "aarch64" in name else "x86_64"
    return {
        "id": image,
        "imageId": image,
        "arn": f"arn:{m.partition['partition']}:ec2:{m.region}::image/{image}",
        "name": name,
        "architecture": architecture,
        "ownerId": (args.get("owners") or ["137112412989"])[0],
        "rootDeviceName": "/dev/xvda",
        "rootDeviceType": "ebs",
        "virtualizationType": "hvm",
        "state": "available",
        "blockDeviceMappings": [],
        "tags": {},
    }


def _ami_ids(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": m.region, "ids": ["ami-" + _digest("ami", args)[:17]]}


def _vpc_view(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    registered = _registered(m, "aws:ec2/vpc:Vpc", args)
    if registered is not None:
        return registered
    default = bool(args.get("default")) or not (args.get("id") or args.get("filters") or args.get("tags"))
    vpc_id = args.get("id") or "vpc-" + _digest("vpc", args)[:17]
    cidr = args.get("cidrBlock") or ("172.31.0.0/16" if default else "10.0.0.0/16")
    return {
        "id": vpc_id,
        "arn": _arn(m, "ec2", f"vpc/{vpc_id}"),
        "cidrBlock": cidr,
        "default": default,
        "enableDnsSupport": True,
        "enableDnsHostnames": default,
        "instanceTenancy": "default",
        "mainRouteTableId": "rtb-" + _digest("main", vpc_id)[:17],
        "dhcpOptionsId": "dopt-" + _digest("dhcp", vpc_id)[:17],
        "ownerId": ACCOUNT_ID,
        "state": "available",
        "cidrBlockAssociations": [],
        "tags": args.get("tags") or {},
    }


def _vpc_of(args: dict[str, Any]) -> str:
    ids = _filters(args).get("vpc-id")
    return str(ids[0]) if ids else str(args.get("vpcId") or "vpc-" + _digest("vpc", {"default": True})[:17])


def _subnet_ids(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    vpc = _vpc_of(args)
    return {"id": m.region, "ids": ["subnet-" + _digest("subnet", vpc, args, i)[:17] for i in range(3)]}


def _registered(m: OfflineMocks, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """A data source asked about a resource this program creates answers from its state."""
    rid = args.get("id")
    state = m.lookup(token, rid) if isinstance(rid, str) and rid else None
    return {**state, "id": rid} if state is not None else None


def _subnet(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    registered = _registered(m, "aws:ec2/subnet:Subnet", args)
    if registered is not None:
        return registered
    subnet_id = args.get("id") or "subnet-" + _digest("subnet", args)[:17]
    index = int(_digest(subnet_id)[:2], 16) % 3
    zone = args.get("availabilityZone") or f"{m.region}{'abc'[index]}"
    default = args.get("defaultForAz", True)
    return {
        "id": subnet_id,
        "arn": _arn(m, "ec2", f"subnet/{subnet_id}"),
        "vpcId": args.get("vpcId") or _vpc_of(args),
        "cidrBlock": args.get("cidrBlock") or f"172.31.{index * 16}.0/20",
        "availabilityZone": zone,
        "availabilityZoneId": zone_id(m.region, zone),
        # Default subnets map public IPs (Amazon VPC User Guide, "Default subnets").
        "mapPublicIpOnLaunch": bool(default),
        "defaultForAz": bool(default),
        "ownerId": ACCOUNT_ID,
        "state": "available",
        "tags": args.get("tags") or {},
    }


def _route_table(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    table = args.get("routeTableId") or "rtb-" + _digest("rtb", args)[:17]
    return {
        "id": table,
        "routeTableId": table,
        "arn": _arn(m, "ec2", f"route-table/{table}"),
        "vpcId": args.get("vpcId") or _vpc_of(args),
        "subnetId": args.get("subnetId"),
        "routes": [],
        "associations": [],
        "ownerId": ACCOUNT_ID,
        "tags": args.get("tags") or {},
    }


def _security_group(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    registered = _registered(m, "aws:ec2/securityGroup:SecurityGroup", args)
    if registered is not None:
        return registered
    group = args.get("id") or "sg-" + _digest("sg", args)[:17]
    return {
        "id": group,
        "arn": _arn(m, "ec2", f"security-group/{group}"),
        "name": args.get("name") or "default",
        "description": "",
        "vpcId": args.get("vpcId") or _vpc_of(args),
        "tags": args.get("tags") or {},
    }


def _security_groups(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    ids = ["sg-" + _digest("sg", args, i)[:17] for i in range(2)]
    return {"id": m.region, "ids": ids, "vpcIds": [_vpc_of(args)] * len(ids), "arns": []}


# -- other services --------------------------------------------------------------------------


def _zone(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("name") or "example.com").rstrip(".")
    zone = args.get("zoneId") or "Z" + _digest("zone", name).upper()[:20]
    return {
        "id": zone,
        "zoneId": zone,
        "name": name,
        "arn": f"arn:{m.partition['partition']}:route53:::hostedzone/{zone}",
        "nameServers": [f"ns-{i}.awsdns-0{i}.com" for i in range(1, 5)],
        "privateZone": bool(args.get("privateZone")),
        "resourceRecordSetCount": 2,
        "callerReference": "offline",
        "comment": "",
        "tags": {},
    }


def _role(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name") or "role"
    return {"id": name, "name": name, "arn": f"arn:{m.partition['partition']}:iam::{ACCOUNT_ID}:role/{name}",
            "path": "/", "uniqueId": "AROA" + _digest(name).upper()[:17], "assumeRolePolicy": "{}"}  # fmt: skip


def _policy(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    arn = args.get("arn") or f"arn:{m.partition['partition']}:iam::{ACCOUNT_ID}:policy/{args.get('name') or 'policy'}"
    return {"id": arn, "arn": arn, "name": arn.rsplit("/", 1)[-1], "path": "/", "policy": "{}", "policyId": "ANPA0"}


def _ecr_repository(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name") or "repository"
    url = f"{ACCOUNT_ID}.dkr.ecr.{m.region}.{m.partition['dnsSuffix']}/{name}"
    return {"id": name, "name": name, "arn": _arn(m, "ecr", f"repository/{name}"), "repositoryUrl": url,
            "registryId": ACCOUNT_ID, "imageTagMutability": "IMMUTABLE", "mostRecentImageTags": []}  # fmt: skip


def _ecr_token(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    endpoint = f"https://{ACCOUNT_ID}.dkr.ecr.{m.region}.{m.partition['dnsSuffix']}"
    return {"id": m.region, "proxyEndpoint": endpoint, "userName": "AWS", "password": "offline-token",
            "authorizationToken": "QVdTOm9mZmxpbmUtdG9rZW4=", "expiresAt": "2030-01-01T00:00:00Z"}  # fmt: skip


def _ssm_parameter(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name") or "/offline"
    value = "ami-" + _digest("ssm", name)[:17] if "/ami/" in name or "image_id" in name else "offline-value"
    return {"id": name, "name": name, "arn": _arn(m, "ssm", f"parameter/{name.lstrip('/')}"), "type": "String",
            "value": value, "insecureValue": value, "version": 1}  # fmt: skip


def _secret(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name") or str(args.get("arn") or "secret").rsplit(":", 1)[-1]
    arn = args.get("arn") or _arn(m, "secretsmanager", f"secret:{name}-{_digest(name)[:6]}")
    return {"id": arn, "arn": arn, "name": name, "kmsKeyId": "", "tags": {}}


def _secret_version(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    secret = _secret(m, {"arn": args.get("secretId")} if str(args.get("secretId", "")).startswith("arn:") else
                     {"name": args.get("secretId")})  # fmt: skip
    return {**secret, "secretId": args.get("secretId"), "secretString": "offline-secret", "versionId": "v1",
            "versionStage": args.get("versionStage") or "AWSCURRENT"}  # fmt: skip


def _kms_key(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    key = str(args.get("keyId") or "key")
    key_id = key.rsplit("/", 1)[-1] if key.startswith("arn:") else key
    arn = key if key.startswith("arn:") and ":key/" in key else _arn(m, "kms", f"key/{_digest('key', key)[:8]}")
    return {"id": key_id, "arn": arn, "keySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT",
            "keyState": "Enabled", "enabled": True}  # fmt: skip


def _kms_alias(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name") or "alias/offline"
    target = _digest("alias", name)
    target_id = f"{target[:8]}-{target[8:12]}-{target[12:16]}-{target[16:20]}-{target[20:32]}"
    return {"id": name, "name": name, "arn": _arn(m, "kms", name), "targetKeyId": target_id,
            "targetKeyArn": _arn(m, "kms", f"key/{target_id}")}  # fmt: skip


def _eks_cluster(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name") or "cluster"
    cluster_id = _digest("eks", name)[:32].upper()
    suffix = m.partition["dnsSuffix"]
    return {
        "id": name,
        "name": name,
        "arn": _arn(m, "eks", f"cluster/{name}"),
        "endpoint": f"https://{cluster_id}.gr7.{m.region}.eks.{suffix}",
        "certificateAuthorities": [{"data": "TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ=="}],
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{m.region}.{suffix}/id/{cluster_id}"}]}],
        "vpcConfig": {
            "clusterSecurityGroupId": "sg-" + _digest("eks-sg", name)[:17],
            "subnetIds": [],
            "securityGroupIds": [],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
        },
        "version": "1.35",
        "status": "ACTIVE",
    }


def _eks_cluster_auth(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": args.get("name") or "cluster", "name": args.get("name") or "cluster", "token": "k8s-aws-v1.offline"}


def _certificate(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    domain = args.get("domain") or "example.com"
    arn = _arn(m, "acm", f"certificate/{_digest('acm', domain)[:8]}-0000-4000-8000-000000000000")
    return {"id": arn, "arn": arn, "domain": domain, "status": "ISSUED"}


def _ecs_cluster(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("clusterName") or "default"
    return {"id": name, "clusterName": name, "arn": _arn(m, "ecs", f"cluster/{name}"), "status": "ACTIVE"}


def _yaml_decode(m: OfflineMocks, args: dict[str, Any]) -> dict[str, Any]:
    """pulumi-kubernetes' ``kubernetes:yaml:decode`` (used by ``yaml.ConfigFile``): the objects of
    a YAML text, a namespace applied where given."""
    try:
        objects = [o for o in yaml.safe_load_all(args.get("text") or "") if isinstance(o, dict)]
    except yaml.YAMLError as e:
        raise InvokeAnswersError(f"kubernetes:yaml:decode: the YAML does not parse: {e}") from None
    namespace = args.get("defaultNamespace")
    if namespace:
        for o in objects:
            o.setdefault("metadata", {}).setdefault("namespace", namespace)
    return {"result": objects}


INVOKES: dict[str, Handler] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getAvailabilityZone:getAvailabilityZone": _availability_zone,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:iam/getRole:getRole": _role,
    "aws:iam/getPolicy:getPolicy": _policy,
    "aws:ec2/getAmi:getAmi": _ami,
    "aws:ec2/getAmiIds:getAmiIds": _ami_ids,
    "aws:ec2/getVpc:getVpc": _vpc_view,
    "aws:ec2/getSubnets:getSubnets": _subnet_ids,
    "aws:ec2/getSubnet:getSubnet": _subnet,
    "aws:ec2/getRouteTable:getRouteTable": _route_table,
    "aws:ec2/getSecurityGroup:getSecurityGroup": _security_group,
    "aws:ec2/getSecurityGroups:getSecurityGroups": _security_groups,
    "aws:route53/getZone:getZone": _zone,
    "aws:ecr/getRepository:getRepository": _ecr_repository,
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": _ecr_token,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:secretsmanager/getSecret:getSecret": _secret,
    "aws:secretsmanager/getSecretVersion:getSecretVersion": _secret_version,
    "aws:kms/getKey:getKey": _kms_key,
    "aws:kms/getAlias:getAlias": _kms_alias,
    "aws:eks/getCluster:getCluster": _eks_cluster,
    "aws:eks/getClusterAuth:getClusterAuth": _eks_cluster_auth,
    "aws:acm/getCertificate:getCertificate": _certificate,
    "aws:ecs/getCluster:getCluster": _ecs_cluster,
    "kubernetes:yaml:decode": _yaml_decode,
}


class InvokeAnswers:
    """Answers a user supplies for invokes, from a JSON or YAML file::

        aws:ec2/getVpc:getVpc:
          id: vpc-0a1b2c3d4e5f60718
          cidrBlock: 10.40.0.0/16
        aws:ec2/getSubnet:getSubnet:          # several answers: the first whose args match
          - args: {id: subnet-0aaa}
            result: {id: subnet-0aaa, vpcId: vpc-0a1b..., availabilityZone: eu-west-1a}

    A result is returned as given (the keys are the data source's output names, camelCase).
    """

    def __init__(self, answers: Mapping[str, Any] | None = None) -> None:
        self.answers = dict(answers or {})

    @classmethod
    def load(cls, path: Path) -> InvokeAnswers:
        try:
            data = yaml.safe_load(path.read_text())
        except OSError as e:
            raise InvokeAnswersError(f"cannot read invoke answers {path}: {e.strerror}") from None
        except yaml.YAMLError as e:
            raise InvokeAnswersError(f"invoke answers {path} are not valid YAML or JSON: {e}") from None
        if not isinstance(data, dict):
            raise InvokeAnswersError(f"invoke answers {path}: expected a mapping of invoke token -> result")
        for token, answer in data.items():
            entries = answer if isinstance(answer, list) else [answer]
            for entry in entries:
                if not isinstance(entry, dict) or (
                    isinstance(answer, list) and not isinstance(entry.get("result"), dict)
                ):
                    raise InvokeAnswersError(
                        f"invoke answers {path}: {token}: expected a result mapping, or a list of "
                        "{args: {...}, result: {...}}"
                    )
        return cls(data)

    def answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        answer = self.answers.get(token)
        if answer is None:
            return None
        if isinstance(answer, dict):
            return dict(answer)
        for entry in answer:
            wanted = entry.get("args") or {}
            if all(args.get(k) == v for k, v in wanted.items()):
                return dict(entry["result"])
        return None


def read_stack_outputs(path: Path) -> dict[str, dict[str, Any]]:
    """The outputs of other stacks, for ``pulumi.StackReference``, from a YAML/JSON file::

        acme/network/prod:
          vpcId: vpc-0a1b2c3d4e5f60718
          privateSubnetIds: [subnet-0aaa, subnet-0bbb]

    (``pulumi stack output --json --stack acme/network/prod`` prints one stack's part.)"""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise InvokeAnswersError(f"cannot read stack outputs {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise InvokeAnswersError(f"stack outputs {path} are not valid YAML or JSON: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InvokeAnswersError(f"stack outputs {path}: expected a mapping of stack name -> mapping of outputs")
    return {str(k): dict(v) for k, v in data.items()}
