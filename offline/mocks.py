"""What the cloud would answer: computed outputs of resources and the results of invokes.

Generic by construction. The output properties of a resource type are read from its class in
the provider's Python SDK (any generated Pulumi SDK registers its classes with the runtime), and
each output the program did not set gets a realistic, deterministic value derived from its
name: ``arn``, ``*Id`` (with AWS's id prefixes), ``ownerId``, ``dnsName``, ``tagsAll``,
autonamed ``name``... An output whose meaning cannot be guessed stays absent, as an optional
output the provider left empty would.

In ``unknowns`` mode the engine behaves like ``pulumi preview`` of a new stack: ids and every
computed output are unknown; inputs, and auto-names (a provider assigns them at check time, so
a real preview knows them), are known.

Invokes are answered by :data:`INVOKES`; any other invoke raises :class:`UnsupportedInvoke`
naming the token.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from pulumi import _types
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

ACCOUNT_ID = "123456789012"
UNKNOWN = rpc.UNKNOWN


class UnsupportedInvoke(Exception):
    """The program called an invoke the offline engine cannot answer."""

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(
            f"the program calls the invoke {token!r}, which the offline engine does not answer; "
            f"add a handler for it to offline/mocks.py (INVOKES)"
        )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def partition_of(region: str) -> dict[str, str]:
    if region.startswith("cn-"):
        return {"partition": "aws-cn", "dnsSuffix": "amazonaws.com.cn", "reverseDnsPrefix": "cn.com.amazonaws"}
    if region.startswith("us-gov-"):
        return {"partition": "aws-us-gov", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}


def _zone_id(region: str, zone: str) -> str:
    # eu-west-1 -> euw1, ap-northeast-1 -> apne1, us-gov-west-1 -> usgw1 (AWS's zone-id form).
    parts = region.split("-")
    short = parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]
    return f"{short}-az{ord(zone[-1]) - ord('a') + 1}"


@functools.cache
def output_names(token: str) -> tuple[str, ...]:
    """The output property names of a resource type, from its class in the provider's SDK."""
    parts = token.split(":")
    if len(parts) != 3:
        return ()
    for module in rpc._RESOURCE_MODULES.get(f"{parts[0]}:{parts[1]}", []):
        info = getattr(module, "mod_info", None)
        if not isinstance(info, dict) or token not in info.get("classes", {}):
            continue
        cls = getattr(importlib.import_module(info["fqn"]), info["classes"][token])
        return tuple(name for _, name, _ in _types._py_properties(cls))
    return ()


@functools.cache
def input_names(token: str) -> frozenset[str]:
    """The input property names of a resource type, from its Args class in the provider's SDK."""
    parts = token.split(":")
    if len(parts) != 3:
        return frozenset()
    for module in rpc._RESOURCE_MODULES.get(f"{parts[0]}:{parts[1]}", []):
        info = getattr(module, "mod_info", None)
        if not isinstance(info, dict) or token not in info.get("classes", {}):
            continue
        cls = getattr(importlib.import_module(info["fqn"]), info["classes"][token])
        args = getattr(importlib.import_module(cls.__module__), f"{cls.__name__}Args", None)
        return frozenset(name for _, name, _ in _types._py_properties(args)) if args is not None else frozenset()
    return frozenset()


#: Inputs AWS fills in from another input when the program leaves them out.
_DERIVED_INPUTS = {"availabilityZoneId"}

# AWS id prefixes, by the resource's class name (for the resource's own id) or by the camel
# word before "Id" in an output's name (for ids of other objects, e.g. defaultSecurityGroupId).
_ID_PREFIX = {
    "vpc": "vpc",
    "subnet": "subnet",
    "internetgateway": "igw",
    "egressonlyinternetgateway": "eigw",
    "routetable": "rtb",
    "defaultroutetable": "rtb",
    "maintableroute": "rtb",
    "routetableassociation": "rtbassoc",
    "natgateway": "nat",
    "eip": "eipalloc",
    "allocation": "eipalloc",
    "securitygroup": "sg",
    "defaultsecuritygroup": "sg",
    "securitygroupingressrule": "sgr",
    "securitygroupegressrule": "sgr",
    "securitygrouprule": "sgrule",
    "vpcendpoint": "vpce",
    "flowlog": "fl",
    "networkacl": "acl",
    "defaultnetworkacl": "acl",
    "networkinterface": "eni",
    "dhcpoptions": "dopt",
    "prefixlist": "pl",
    "filesystem": "fs",
    "mounttarget": "fsmt",
    "accesspoint": "fsap",
    "launchtemplate": "lt",
    "instance": "i",
    "image": "ami",
    "volume": "vol",
}

# Resources whose AWS id is their name (or whose id is their ARN).
_ID_IS_NAME = {
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:ecr/repository:Repository",
    "aws:ecs/cluster:Cluster",
    "aws:eks/cluster:Cluster",
    "aws:lb/loadBalancer:LoadBalancer",
}

# ARN templates: (service, resource part). {id} and {name} are filled in; ``None`` region or
# account fields follow AWS (IAM is global).
_ARN: dict[str, tuple[str, str]] = {
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/{id}"),
    "aws:ec2/internetGateway:InternetGateway": ("ec2", "internet-gateway/{id}"),
    "aws:ec2/routeTable:RouteTable": ("ec2", "route-table/{id}"),
    "aws:ec2/natGateway:NatGateway": ("ec2", "natgateway/{id}"),
    "aws:ec2/eip:Eip": ("ec2", "elastic-ip/{id}"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2", "vpc-endpoint/{id}"),
    "aws:ec2/flowLog:FlowLog": ("ec2", "vpc-flow-log/{id}"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("ec2", "security-group-rule/{id}"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("ec2", "security-group-rule/{id}"),
    "aws:kms/key:Key": ("kms", "key/{id}"),
    "aws:kms/alias:Alias": ("kms", "{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:iam/role:Role": ("iam", "role{path}{name}"),
    "aws:iam/policy:Policy": ("iam", "policy{path}{name}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "oidc-provider/{url}"),
    "aws:efs/fileSystem:FileSystem": ("elasticfilesystem", "file-system/{id}"),
    "aws:efs/accessPoint:AccessPoint": ("elasticfilesystem", "access-point/{id}"),
    "aws:ecr/repository:Repository": ("ecr", "repository/{name}"),
    "aws:ecs/cluster:Cluster": ("ecs", "cluster/{name}"),
    "aws:ecs/taskDefinition:TaskDefinition": ("ecs", "task-definition/{family}:1"),
    "aws:lb/loadBalancer:LoadBalancer": ("elasticloadbalancing", "loadbalancer/app/{name}/{hash16}"),
    "aws:lb/targetGroup:TargetGroup": ("elasticloadbalancing", "targetgroup/{name}/{hash16}"),
    "aws:lb/listener:Listener": ("elasticloadbalancing", "listener/app/{name}/{hash16}/{hash16b}"),
    "aws:eks/cluster:Cluster": ("eks", "cluster/{name}"),
    "aws:eks/fargateProfile:FargateProfile": ("eks", "fargateprofile/{name}/{hash16}"),
    "aws:eks/nodeGroup:NodeGroup": ("eks", "nodegroup/{name}/{hash16}"),
    "aws:eks/addon:Addon": ("eks", "addon/{name}/{hash16}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", "secret:{name}-{hash6}"),
}
_DNS_NAME = {
    "aws:lb/loadBalancer:LoadBalancer": "{name}-{number}.{region}.elb.{suffix}",
    "aws:efs/fileSystem:FileSystem": "{id}.efs.{region}.{suffix}",
    "aws:efs/mountTarget:MountTarget": "{fs}.efs.{region}.{suffix}",
}
_GLOBAL_SERVICES = {"iam"}
# Outputs that repeat the resource's own id.
_SELF_ID = {("keyId", "aws:kms/key:Key"), ("allocationId", "aws:ec2/eip:Eip")}
_ARN_IS_ID = {
    "aws:ecs/cluster:Cluster",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:secretsmanager/secret:Secret",
}


def _auto_named_kubernetes(token: str) -> bool:
    """A Kubernetes object the provider names (not a provider, a list or a Helm/YAML component)."""
    if not token.startswith("kubernetes:") or token.startswith(("kubernetes:helm", "kubernetes:yaml")):
        return False
    return not token.rsplit(":", 1)[-1].endswith(("List", "Patch"))


def _camel_words(name: str) -> list[str]:
    return re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)


class OfflineMocks(Mocks):
    """Deterministic answers for any resource type and the invokes listed in :data:`INVOKES`."""

    def __init__(self, region: str, unknowns: bool = False) -> None:
        self.region = region
        self.unknowns = unknowns
        self.partition = partition_of(region)

    # -- resources ---------------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return (UNKNOWN if self.unknowns else _digest(args.typ, args.name)[:36]), inputs
        seed = _digest(args.typ, args.name)
        names = output_names(args.typ)
        state = dict(inputs)
        if "name" in names and not inputs.get("name") and "namePrefix" not in inputs:
            # What a provider's auto-naming does at check time (known in a real preview too).
            state["name"] = f"{args.name}-{seed[:7]}"
        metadata = state.get("metadata")
        if _auto_named_kubernetes(args.typ) and (metadata is None or isinstance(metadata, dict)):
            metadata = dict(metadata or {})
            if not metadata.get("name"):
                # pulumi-kubernetes names an object <resource name>-<8 random characters> at check
                # time, with or without a metadata argument (known in a real preview too).
                metadata["name"] = f"{args.name}-{seed[:8]}"
            state["metadata"] = metadata
        nested = _NESTED.get(args.typ)
        if self.unknowns and args.resource_id is None:
            for out in names:
                state.setdefault(out, UNKNOWN)
            if nested:
                _merge_nested(state, _all_unknown(nested(self, seed)))
            return "", state

        rid = args.resource_id or self._id(args.typ, state, seed)
        computed = self._computed(args.typ, names, rid, state, seed)
        for key, value in computed.items():
            state.setdefault(key, value)
        if nested:
            _merge_nested(state, nested(self, seed))
        return rid, state

    def _id(self, token: str, state: dict[str, Any], seed: str) -> str:
        cls = token.rsplit(":", 1)[-1]
        metadata = state.get("metadata")
        if token.startswith("kubernetes:") and isinstance(metadata, dict) and metadata.get("name"):
            # The provider's id: namespace/name, or the name of a cluster-scoped object.
            namespace = metadata.get("namespace")
            return f"{namespace}/{metadata['name']}" if isinstance(namespace, str) else str(metadata["name"])
        if token in _ARN_IS_ID:
            return self._arn(token, "", state, seed)
        if token in _ID_IS_NAME:
            return str(state.get("name") or cls.lower() + "-" + seed[:8])
        if token == "aws:kms/key:Key":
            return str(uuid.UUID(seed[:32]))
        prefix = _ID_PREFIX.get(cls.lower())
        if prefix:
            return f"{prefix}-{seed[:17]}"
        return seed[:20]

    def _arn(self, token: str, rid: str, state: dict[str, Any], seed: str) -> str:
        service, resource = _ARN.get(token) or (
            token.split(":")[1].split("/", maxsplit=1)[0],
            "-".join(w.lower() for w in _camel_words(token.rsplit(":", 1)[-1])) + "/{id}",
        )
        fields = {
            "id": rid,
            "name": state.get("name") or rid,
            "family": state.get("family") or rid,
            "hash16": seed[:16],
            "hash16b": seed[16:32],
            "hash6": seed[:6],
            "url": str(state.get("url") or rid).removeprefix("https://"),
            # IAM ARNs carry the entity's path: arn:aws:iam::123456789012:role/svc/name.
            "path": state.get("path") if isinstance(state.get("path"), str) else "/",
        }
        region = "" if service in _GLOBAL_SERVICES else self.region
        return f"arn:{self.partition['partition']}:{service}:{region}:{ACCOUNT_ID}:{resource.format(**fields)}"

    def _computed(self, token: str, names: tuple[str, ...], rid: str, state: dict[str, Any], seed: str) -> dict:
        out: dict[str, Any] = {}
        inputs = input_names(token)
        for name in names:
            if name in inputs and name not in _DERIVED_INPUTS:
                continue  # an input the program left out: the provider's default, not an invented id
            vseed = _digest(seed, name)
            if name == "arn":
                out[name] = self._arn(token, rid, state, seed)
            elif name in ("ownerId", "accountId"):
                out[name] = ACCOUNT_ID
            elif name == "tagsAll":
                out[name] = dict(state.get("tags") or {})
            elif (name, token) in _SELF_ID:
                out[name] = rid
            elif name == "availabilityZoneId" and isinstance(state.get("availabilityZone"), str):
                out[name] = _zone_id(self.region, state["availabilityZone"])
            elif name == "imageUri" and isinstance(state.get("repositoryUrl"), str):
                out[name] = f"{state['repositoryUrl']}@sha256:{_digest(seed, 'image')}"
            elif name == "repositoryUrl" and token == "aws:ecr/repository:Repository":
                out[name] = (
                    f"{ACCOUNT_ID}.dkr.ecr.{self.region}.{self.partition['dnsSuffix']}/{state.get('name') or rid}"
                )
            elif name == "dnsName" and token in _DNS_NAME:
                out[name] = _DNS_NAME[token].format(
                    id=rid,
                    name=state.get("name") or rid,
                    number=int(seed[:8], 16),
                    fs=state.get("fileSystemId"),
                    region=self.region,
                    suffix=self.partition["dnsSuffix"],
                )
            elif name in ("publicIp", "customerOwnedIp") or name.endswith("PublicIp"):
                out[name] = f"203.0.113.{int(vseed[:2], 16) % 254 + 1}"
            elif name in ("privateIp",):
                out[name] = f"10.255.{int(vseed[:2], 16)}.{int(vseed[2:4], 16) % 254 + 1}"
            elif name.endswith("Id") and name != "id" and "Ipv6" not in name and "ipv6" not in name:
                # Ids of the objects AWS creates alongside (default security group, main route
                # table...). IPv6 ids stay empty: nothing here asks for IPv6.
                words = _camel_words(name)[:-1]
                # The longest trailing run of words that names a known kind of AWS object.
                for start in range(len(words)):
                    prefix = _ID_PREFIX.get("".join(words[start:]).lower())
                    if prefix:
                        out[name] = f"{prefix}-{vseed[:17]}"
                        break
        return out

    # -- invokes -----------------------------------------------------------------------------

    def call(self, args: MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        handler = INVOKES.get(args.token)
        if handler is None:
            raise UnsupportedInvoke(args.token)
        return handler(self, args.args), []


def _eks_cluster(mocks: OfflineMocks, seed: str) -> dict[str, Any]:
    """What EKS computes for a cluster: endpoint, CA, OIDC issuer, cluster security group."""
    cluster_id = seed[:32].upper()
    suffix = mocks.partition["dnsSuffix"]
    return {
        "endpoint": f"https://{cluster_id}.gr7.{mocks.region}.eks.{suffix}",
        "certificateAuthority": {"data": "TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ=="},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{mocks.region}.{suffix}/id/{cluster_id}"}]}],
        "vpcConfig": {"clusterSecurityGroupId": f"sg-{_digest(seed, 'cluster-sg')[:17]}"},
        "status": "ACTIVE",
    }


# Computed outputs nested inside objects, which no naming rule can guess: by resource type.
_NESTED: dict[str, Callable[[OfflineMocks, str], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
}


def _all_unknown(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _all_unknown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_all_unknown(v) for v in value]
    return UNKNOWN


def _merge_nested(state: dict[str, Any], computed: dict[str, Any]) -> None:
    """Add computed values under the program's own: an input object (vpcConfig) keeps its
    keys and gains the computed ones; a wholly computed output is set when absent."""
    for key, value in computed.items():
        current = state.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            state[key] = {**value, **current}
        elif current is None:
            state[key] = value


def _availability_zones(mocks: OfflineMocks, args: dict[str, Any]) -> dict:
    # The offline engine cannot know how many zones a region has; six covers every az count the
    # platform accepts. A real preview asks the region itself.
    names = [f"{mocks.region}{letter}" for letter in "abcdef"]
    names = [n for n in names if n not in (args.get("excludeNames") or [])]
    return {
        "id": mocks.region,
        "names": names,
        "zoneIds": [_zone_id(mocks.region, n) for n in names],
        "groupNames": [mocks.region] * len(names),
        "state": args.get("state"),
    }


def _region(mocks: OfflineMocks, args: dict[str, Any]) -> dict:
    region = args.get("region") or args.get("name") or mocks.region
    return {
        "id": region,
        "name": region,
        "region": region,
        "endpoint": f"ec2.{region}.{partition_of(region)['dnsSuffix']}",
        "description": region,
    }


def _partition(mocks: OfflineMocks, args: dict[str, Any]) -> dict:
    return {"id": mocks.partition["partition"], **mocks.partition}


def _caller_identity(mocks: OfflineMocks, args: dict[str, Any]) -> dict:
    return {
        "id": ACCOUNT_ID,
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{mocks.partition['partition']}:sts::{ACCOUNT_ID}:assumed-role/offline-preview/session",
        "userId": "AROAOFFLINEPREVIEW:session",
    }


def _policy_document(mocks: OfflineMocks, args: dict[str, Any]) -> dict:
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


INVOKES: dict[str, Callable[[OfflineMocks, dict[str, Any]], dict]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
}
