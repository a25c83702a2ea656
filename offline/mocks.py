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
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pulumi import _types
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from .aws_kinds import ACCOUNT_ID, AUTONAMED, KINDS, Kind, autoname
from .invokes import INVOKES, InvokeAnswers, zone_id

STACK_REFERENCE = "pulumi:pulumi:StackReference"

UNKNOWN = rpc.UNKNOWN


class UnsupportedInvoke(Exception):
    """The program called an invoke the offline engine cannot answer."""

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(
            f"the program calls the invoke {token!r}, which the offline engine does not answer; give its "
            "answer in a file (--invokes FILE: a mapping of invoke token -> result), or add a handler to "
            "offline/invokes.py"
        )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def partition_of(region: str) -> dict[str, str]:
    if region.startswith("cn-"):
        return {"partition": "aws-cn", "dnsSuffix": "amazonaws.com.cn", "reverseDnsPrefix": "cn.com.amazonaws"}
    if region.startswith("us-gov-"):
        return {"partition": "aws-us-gov", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}


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

#: Modules whose ids carry EC2's prefixes (an "Instance" elsewhere is not an EC2 instance).
_EC2_MODULES = {"ec2", "vpc", "efs", "ec2transitgateway"}

# Resources whose AWS id is their name (or whose id is their ARN); more in aws_kinds.
_ID_IS_NAME = {
    "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/user:User",
    "aws:iam/group:Group",
    "aws:ecr/repository:Repository",
    "aws:ecs/cluster:Cluster",
    "aws:eks/cluster:Cluster",
}

# FIFO queues and topics: the flag that makes the auto-name end in ``.fifo``.
_FIFO = {"aws:sqs/queue:Queue": "fifoQueue", "aws:sns/topic:Topic": "fifoTopic"}

# Reads (``Resource.get(name, id)``) whose id is the resource's name in another property
# (the provider's importer sets it from the id): S3 buckets, Lambda functions, ElastiCache clusters.
_READ_ID_IS_NAME = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:lambda/function:Function": "name",
    "aws:elasticache/cluster:Cluster": "clusterId",
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
    "aws:iam/role:Role": ("iam", "role{path}{name}"),
    "aws:iam/policy:Policy": ("iam", "policy{path}{name}"),
    "aws:iam/instanceProfile:InstanceProfile": ("iam", "instance-profile{path}{name}"),
    "aws:iam/user:User": ("iam", "user{path}{name}"),
    "aws:iam/group:Group": ("iam", "group{path}{name}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "oidc-provider/{url}"),
    "aws:efs/fileSystem:FileSystem": ("elasticfilesystem", "file-system/{id}"),
    "aws:efs/accessPoint:AccessPoint": ("elasticfilesystem", "access-point/{id}"),
    "aws:ecr/repository:Repository": ("ecr", "repository/{name}"),
    "aws:ecs/cluster:Cluster": ("ecs", "cluster/{name}"),
    "aws:ecs/taskDefinition:TaskDefinition": ("ecs", "task-definition/{family}:1"),
    "aws:eks/cluster:Cluster": ("eks", "cluster/{name}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", "secret:{name}-{hash6}"),
}
_DNS_NAME = {
    "aws:efs/fileSystem:FileSystem": "{id}.efs.{region}.{suffix}",
    "aws:efs/mountTarget:MountTarget": "{fs}.efs.{region}.{suffix}",
}
_GLOBAL_SERVICES = {"iam"}
# Outputs that repeat the resource's own id.
_SELF_ID = {("keyId", "aws:kms/key:Key"), ("allocationId", "aws:ec2/eip:Eip")}
_ARN_IS_ID = {
    "aws:iam/policy:Policy",
    "aws:ecs/cluster:Cluster",
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

    def __init__(
        self,
        region: str,
        unknowns: bool = False,
        invoke_answers: InvokeAnswers | None = None,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.region = region
        self.unknowns = unknowns
        self.partition = partition_of(region)
        self.invoke_answers = invoke_answers or InvokeAnswers()
        self.stack_outputs = dict(stack_outputs or {})
        self.lookup: Callable[[str, str], dict[str, Any] | None] = lambda token, rid: None
        """The state of a resource this program registered, by type and id (set by the engine):
        a data source asked about it answers from it, as the cloud would."""

    # -- resources ---------------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return (UNKNOWN if self.unknowns else _digest(args.typ, args.name)[:36]), inputs
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args, inputs)
        seed = _digest(args.typ, args.name)
        names = output_names(args.typ)
        state = dict(inputs)
        # A read (``Resource.get``) names an existing object: the provider reads it, never
        # auto-names it; for the resources whose id is their name, the name is the id.
        read = bool(args.resource_id) and args.custom is not False
        prop, max_length, lower = AUTONAMED.get(args.typ, ("name", None, False))
        if read:
            if args.typ in _ID_IS_NAME or args.typ in _READ_ID_IS_NAME:
                state.setdefault(_READ_ID_IS_NAME.get(args.typ, "name"), args.resource_id)
            elif _auto_named_kubernetes(args.typ) and not isinstance(state.get("metadata"), dict):
                # A Kubernetes object's id is ``namespace/name`` (or the name of a cluster-scoped one).
                namespace, _, name = str(args.resource_id).rpartition("/")
                state["metadata"] = {"name": name, **({"namespace": namespace} if namespace else {})}
        elif prop in names and prop in input_names(args.typ) and not inputs.get(prop) and f"{prop}Prefix" not in inputs:
            # What a provider's auto-naming does at check time (known in a real preview too).
            state[prop] = autoname(args.name, seed, max_length, lower)
            fifo = _FIFO.get(args.typ)
            if fifo and state.get(fifo) in (True, "true"):
                # AWS requires a FIFO queue's or topic's name to end in .fifo; pulumi-aws's auto-name
                # appends it (the provider's PostTransform; terraform-provider-aws
                # internal/service/sqs/queue.go, create.NameWithSuffix(..., FIFOQueueNameSuffix)).
                state[prop] += ".fifo"
        metadata = state.get("metadata")
        if not read and _auto_named_kubernetes(args.typ) and (metadata is None or isinstance(metadata, dict)):
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
                _merge_nested(state, _all_unknown(nested(self, seed, state)))
            return "", state

        if read:
            # A read (``Resource.get``): its state is the cloud's; a user may give it (--invokes,
            # keyed by the resource type, with args {id: ...}).
            state.update(self.invoke_answers.answer(args.typ, {"id": args.resource_id}) or {})
        rid, described = self._describe(args.typ, args.name, state, seed)
        rid = args.resource_id or rid
        for key, value in {**self._computed(args.typ, names, rid, state, seed), **described}.items():
            state.setdefault(key, value)
        if nested:
            _merge_nested(state, nested(self, seed, state))
        # Whatever else the provider reports is not known here: unknown, as a preview shows it,
        # never None (a program may build strings from it).
        for out in names:
            state.setdefault(out, UNKNOWN)
        return rid, state

    def _describe(self, token: str, name: str, state: dict[str, Any], seed: str) -> tuple[str, dict[str, Any]]:
        """The id and type-specific outputs (aws_kinds), or the generic id."""
        describe = KINDS.get(token)
        if describe is None:
            return self._id(token, state, seed), {}
        kind = Kind(token, name, seed, state, self.region, self.partition["partition"], self.partition["dnsSuffix"])
        return describe(kind)

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
        prefix = _ID_PREFIX.get(cls.lower()) if token.split(":")[1].split("/", maxsplit=1)[0] in _EC2_MODULES else None
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
                out[name] = zone_id(self.region, state["availabilityZone"])
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

    def _stack_reference(self, args: MockResourceArgs, inputs: dict[str, Any]) -> tuple[str, dict]:
        """Another stack's outputs: from the file the user gave (--stack-outputs), else unknown, as
        a preview cannot read a stack it has no access to."""
        name = str(inputs.get("name") or args.resource_id or args.name)
        outputs = self.stack_outputs.get(name)
        state = {
            "name": name,
            "outputs": dict(outputs) if outputs is not None else UNKNOWN,
            "secretOutputNames": [] if outputs is not None else UNKNOWN,
        }
        return name, state

    def call(self, args: MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        given = self.invoke_answers.answer(args.token, args.args)
        if given is not None:
            return given, []
        handler = INVOKES.get(args.token)
        if handler is None:
            raise UnsupportedInvoke(args.token)
        return handler(self, args.args), []


def _eks_cluster(mocks: OfflineMocks, seed: str, state: dict[str, Any]) -> dict[str, Any]:
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


def _kubernetes_service(mocks: OfflineMocks, seed: str, state: dict[str, Any]) -> dict[str, Any]:
    """A Service's status: a LoadBalancer Service on EKS gets an ELB host name (the AWS Load
    Balancer Controller or the in-tree provider names it ``<id>-<n>.<region>.elb.amazonaws.com``)."""
    spec = state.get("spec")
    if not isinstance(spec, dict) or spec.get("type") != "LoadBalancer":
        return {"status": {"loadBalancer": {}}}
    host = f"a{seed[:32]}-{int(seed[32:40], 16)}.{mocks.region}.elb.{mocks.partition['dnsSuffix']}"
    return {"status": {"loadBalancer": {"ingress": [{"hostname": host}]}}}


# Computed outputs nested inside objects, which no naming rule can guess: by resource type.
_NESTED: dict[str, Callable[[OfflineMocks, str, dict[str, Any]], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "kubernetes:core/v1:Service": _kubernetes_service,
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
