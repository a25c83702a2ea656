"""The children of awsx components, offline.

awsx components are *remote* components: in a real deployment the awsx provider constructs their
children (a VPC's subnets and NAT gateways, a Fargate service's task definition and security
group...) and the policy pack judges those children. Under the SDK's mocks nothing constructs
them, so a program using awsx would be judged on nothing. For the components this platform's
users reach for, the engine builds the children awsx documents, with awsx's defaults, read from
its source (pulumi/pulumi-awsx, ``awsx/ec2/vpc.ts``, ``subnetDistributorLegacy.ts``,
``awsx/ecs/fargateService.ts``, ``fargateTaskDefinition.ts``, ``awsx/lb/applicationLoadBalancer.ts``,
``awsx/ecr/repository.ts``):

* ``awsx:ec2:Vpc``: the VPC (10.0.0.0/16 by default; DNS attributes only as given), an internet
  gateway, per AZ (3 by default) a private and a public subnet (the AZ's block split as awsx's
  legacy layout does; public subnets map public IPs), a route table, association and route each
  (public: to the internet gateway; private: to a NAT gateway unless the strategy is ``None``),
  NAT gateways with Elastic IPs (one per AZ by default, or ``Single``);
* ``awsx:ecs:FargateTaskDefinition``: a log group (no KMS key), a task role and an execution role
  (``AmazonECSTaskExecutionRolePolicy``), the task definition with awslogs logging;
* ``awsx:ecs:FargateService``: its task definition (as above) and the service; without a network
  configuration, a security group in the default VPC open to the world and the default VPC's
  subnets, as awsx does;
* ``awsx:lb:ApplicationLoadBalancer``: a security group open to the world (awsx's default), the
  load balancer, a target group and a listener (HTTP 80 unless given);
* ``awsx:ecr:Repository``: the repository and a lifecycle policy; ``awsx:ecr:Image`` (built and
  pushed with Docker, no AWS resources of its own): the pushed image by digest.

Subnet-spec layouts beyond the default, VPC endpoint specs and other options awsx supports are
approximated (the subnets of each type, the endpoints as given); any other remote component is
reported as not verifiable offline (its outputs are unknown).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc

if TYPE_CHECKING:
    from .engine import RecordingMonitor

UNKNOWN = rpc.UNKNOWN
_SIG = rpc._special_sig_key
_RESOURCE = rpc._special_resource_sig
_SECRET = rpc._special_secret_sig
_OUTPUT = rpc._special_output_value_sig


class AwsxError(Exception):
    """An awsx component's arguments that awsx itself refuses (its own message)."""


@dataclass(frozen=True)
class Ref:
    """A resource passed to or made by a component."""

    urn: str
    id: Any

    def as_output(self) -> dict[str, Any]:
        return {_SIG: _RESOURCE, "urn": self.urn, "id": self.id if self.id else UNKNOWN, "packageVersion": ""}


def plain(v: Any) -> Any:
    """A component's inputs (a protobuf struct as dict) as plain data: secrets and output values
    unwrapped, resource references as :class:`Ref`, unknowns kept."""
    if isinstance(v, struct_pb2.Struct):
        v = json_format.MessageToDict(v)
    if isinstance(v, dict):
        sig = v.get(_SIG)
        if sig == _RESOURCE:
            return Ref(str(v.get("urn")), v.get("id", ""))
        if sig == _SECRET:
            return plain(v.get("value"))
        if sig == _OUTPUT:
            return plain(v["value"]) if "value" in v else UNKNOWN
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


@dataclass
class Child:
    urn: str
    id: Any
    state: dict[str, Any]

    def out(self, key: str) -> Any:
        v = self.state.get(key)
        return UNKNOWN if v is None else v

    @property
    def ref(self) -> Ref:
        return Ref(self.urn, self.id)


@dataclass
class Builder:
    """Registers the children of one component."""

    monitor: RecordingMonitor
    component_urn: str
    name: str
    inputs: dict[str, Any]
    region: str
    input_deps: dict[str, list[str]] = field(default_factory=dict)
    """The component's property dependencies (input key -> URNs). awsx receives its inputs as
    outputs that carry them, so what it builds from an input depends on the same resources."""
    built: list[Child] = field(default_factory=list)

    def deps_of(self, *keys: str) -> list[Child | Ref]:
        """The resources the component's inputs ``keys`` were computed from."""
        return [Ref(urn, None) for urn in dict.fromkeys(u for k in keys for u in self.input_deps.get(k, []))]

    def child(
        self,
        typ: str,
        name: str,
        inputs: dict[str, Any],
        parent: Child | str | None = None,
        deps: dict[str, list[Child | Ref]] | None = None,
    ) -> Child:
        parent_urn = parent.urn if isinstance(parent, Child) else parent or self.component_urn
        property_dependencies = {k: list(dict.fromkeys(d.urn for d in v)) for k, v in (deps or {}).items()}
        urn, id_, state = self.monitor.register_child(
            parent_urn, typ, name, {k: v for k, v in inputs.items() if v is not None}, property_dependencies
        )
        made = Child(urn, id_, state)
        self.built.append(made)
        return made

    def approximated(self, what: str) -> None:
        """Say in the report that part of this component is an approximation of awsx's."""
        self.monitor.notes.append(
            f"awsx component '{self.name}': {what} are approximated offline (the children may differ from "
            "awsx's in size, name or placement); a real preview shows the exact children"
        )

    def component(self, typ: str, name: str) -> str:
        return self.monitor.register_child_component(self.component_urn, typ, name)

    def resolve(self, v: Any, key: str = "id") -> Any:
        """A value given as a resource (a :class:`Ref`) as one of its outputs."""
        if isinstance(v, Ref):
            return self.monitor.output_of(v.urn, key)
        return v

    def default_vpc(self) -> dict[str, Any]:
        """awsx's getDefaultVpc: the region's default VPC and its subnets, through the invokes a
        real preview would make (answered offline as data sources)."""
        vpc = self.monitor.invoke("aws:ec2/getVpc:getVpc", {"default": True})
        subnet_ids = self.monitor.invoke(
            "aws:ec2/getSubnets:getSubnets", {"filters": [{"name": "vpc-id", "values": [vpc["id"]]}]}
        )["ids"]
        subnets = [self.monitor.invoke("aws:ec2/getSubnet:getSubnet", {"id": s}) for s in subnet_ids]
        return {
            "vpcId": vpc["id"],
            "publicSubnetIds": [s["id"] for s in subnets if s.get("mapPublicIpOnLaunch")],
            "privateSubnetIds": [s["id"] for s in subnets if not s.get("mapPublicIpOnLaunch")],
        }


# -- awsx:ec2:Vpc ----------------------------------------------------------------------------


def _next_pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def _legacy_layout(cidr: str, zones: list[str], kinds: list[str]) -> list[tuple[str, str, int]]:
    """(type, CIDR, AZ index) per subnet: the VPC's block split evenly between the AZs, then in
    each AZ a private block (half), a public block (a quarter, after it) and an isolated one (awsx
    ``getSubnetSpecsLegacy`` / ``generateDefaultSubnets``)."""
    network = ipaddress.ip_network(cidr, strict=False)
    bits = (_next_pow2(len(zones)) - 1).bit_length()
    per_az: list[Any] = list(network.subnets(new_prefix=min(network.prefixlen + bits, 28)))
    out = []
    for i, _ in enumerate(zones):
        base = per_az[i % len(per_az)]
        halves: list[Any] = list(base.subnets(prefixlen_diff=1)) if base.prefixlen < 28 else [base, base]
        quarters: list[Any] = list(halves[1].subnets(prefixlen_diff=1)) if halves[1].prefixlen < 28 else [halves[1]] * 2
        blocks = {"Private": halves[0], "Public": quarters[0], "Isolated": quarters[1]}
        for kind in kinds:
            out.append((kind, str(blocks.get(kind, quarters[1])), i))
    return out


def build_vpc(b: Builder) -> dict[str, Any]:
    args = b.inputs
    zones = args.get("availabilityZoneNames") or [
        f"{b.region}{letter}" for letter in "abcdef"[: int(args.get("numberOfAvailabilityZones") or 3)]
    ]
    strategy = str((args.get("natGateways") or {}).get("strategy") or "OnePerAz")
    if args.get("subnetSpecs"):
        b.approximated("custom subnetSpecs")
        kinds = list(dict.fromkeys(str(s.get("type", "Private")).capitalize() for s in args["subnetSpecs"]))
    else:
        kinds = ["Private", "Public"]
    cidr = args.get("cidrBlock") or ("10.0.0.0/16" if not args.get("ipv4IpamPoolId") else None)
    tags = {"Name": b.name, **(args.get("tags") or {})}
    vpc = b.child(
        "aws:ec2/vpc:Vpc",
        b.name,
        {
            "cidrBlock": cidr,
            "enableDnsHostnames": args.get("enableDnsHostnames"),
            "enableDnsSupport": args.get("enableDnsSupport"),
            "instanceTenancy": args.get("instanceTenancy"),
            "ipv4IpamPoolId": args.get("ipv4IpamPoolId"),
            "ipv4NetmaskLength": args.get("ipv4NetmaskLength"),
            "assignGeneratedIpv6CidrBlock": args.get("assignGeneratedIpv6CidrBlock"),
            "tags": tags,
        },
    )
    igw = b.child(
        "aws:ec2/internetGateway:InternetGateway", b.name, {"vpcId": vpc.id, "tags": tags}, vpc, {"vpcId": [vpc]}
    )
    layout = (
        _legacy_layout(cidr, zones, kinds)
        if isinstance(cidr, str)
        else [(k, UNKNOWN, i) for i in range(len(zones)) for k in kinds]
    )
    # awsx creates the subnets of each AZ public first (NAT gateways live there), then private.
    order = {"Public": 0, "Private": 1, "Isolated": 2}
    layout.sort(key=lambda s: (s[2], order.get(s[0], 3)))
    out: dict[str, Any] = {
        k: []
        for k in (
            "subnets",
            "publicSubnets",
            "privateSubnets",
            "isolatedSubnets",
            "routeTables",
            "routes",
            "routeTableAssociations",
            "natGateways",
            "eips",
        )
    }
    nat_gateways: list[Child] = []
    for kind, block, i in layout:
        name = f"{b.name}-{kind.lower()}-{i + 1}"
        subnet = b.child(
            "aws:ec2/subnet:Subnet",
            name,
            {
                "vpcId": vpc.id,
                "availabilityZone": zones[i],
                "cidrBlock": block,
                "mapPublicIpOnLaunch": kind == "Public",
                "tags": {**tags, "Name": name, "SubnetType": kind},
            },
            vpc,
            {"vpcId": [vpc]},
        )
        out["subnets"].append(subnet)
        out[f"{kind.lower()}Subnets"].append(subnet)
        table = b.child(
            "aws:ec2/routeTable:RouteTable", name, {"vpcId": vpc.id, "tags": tags}, subnet, {"vpcId": [vpc]}
        )
        out["routeTables"].append(table)
        out["routeTableAssociations"].append(
            b.child(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                name,
                {"routeTableId": table.id, "subnetId": subnet.id},
                table,
                {"routeTableId": [table], "subnetId": [subnet]},
            )
        )
        if kind == "Public" and (strategy == "OnePerAz" or (strategy == "Single" and not nat_gateways)):
            eip = b.child("aws:ec2/eip:Eip", f"{b.name}-{i + 1}", {"domain": "vpc", "tags": tags}, subnet)
            out["eips"].append(eip)
            nat = b.child(
                "aws:ec2/natGateway:NatGateway",
                f"{b.name}-{i + 1}",
                {"subnetId": subnet.id, "allocationId": eip.out("allocationId")},
                subnet,
                {"subnetId": [subnet], "allocationId": [eip]},
            )
            nat_gateways.append(nat)
        if kind == "Public":
            route = b.child(
                "aws:ec2/route:Route",
                name,
                {"routeTableId": table.id, "gatewayId": igw.id, "destinationCidrBlock": "0.0.0.0/0"},
                table,
                {"routeTableId": [table], "gatewayId": [igw]},
            )
            out["routes"].append(route)
        elif kind == "Private" and strategy != "None" and nat_gateways:
            nat = nat_gateways[0] if strategy == "Single" else nat_gateways[-1]
            route = b.child(
                "aws:ec2/route:Route",
                name,
                {"routeTableId": table.id, "natGatewayId": nat.id, "destinationCidrBlock": "0.0.0.0/0"},
                table,
                {"routeTableId": [table], "natGatewayId": [nat]},
            )
            out["routes"].append(route)
    out["natGateways"] = nat_gateways
    endpoints = []
    if args.get("vpcEndpointSpecs"):
        b.approximated("vpcEndpointSpecs")
    for spec in args.get("vpcEndpointSpecs") or []:
        endpoints.append(
            b.child(
                "aws:ec2/vpcEndpoint:VpcEndpoint",
                str(spec.get("serviceName")),
                {**{k: v for k, v in spec.items() if k != "region"}, "vpcId": vpc.id},
                None,
                {"vpcId": [vpc]},
            )
        )
    result: dict[str, Any] = {k: [c.ref.as_output() for c in v] for k, v in out.items()}
    result.update(
        vpc=vpc.ref.as_output(),
        vpcId=vpc.id,
        internetGateway=igw.ref.as_output(),
        vpcEndpoints=[e.ref.as_output() for e in endpoints],
        publicSubnetIds=[s.id for s in out["publicSubnets"]],
        privateSubnetIds=[s.id for s in out["privateSubnets"]],
        isolatedSubnetIds=[s.id for s in out["isolatedSubnets"]],
        subnetLayout=[{"type": k} for k in kinds],
    )
    return result


def _open_group_args(vpc_id: Any) -> dict[str, Any]:
    """The security group awsx makes when given none (Fargate service, load balancer): all traffic
    in from anywhere, TCP out to anywhere (awsx/ecs/fargateService.ts, awsx/lb/applicationLoadBalancer.ts:
    "we default to open SG rules at this point - we should review this!")."""
    return {
        "vpcId": vpc_id,
        "ingress": [
            {"fromPort": 0, "toPort": 0, "protocol": "-1", "cidrBlocks": ["0.0.0.0/0"], "ipv6CidrBlocks": ["::/0"]}
        ],
        "egress": [
            {"fromPort": 0, "toPort": 65535, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"], "ipv6CidrBlocks": ["::/0"]}
        ],
    }


# -- awsx:ecs ---------------------------------------------------------------------------------

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Effect": "Allow", "Sid": ""}
    ],
}
_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def _role(b: Builder, parent: str, name: str, given: Any, policies: list[str]) -> Any:
    """awsx ``defaultRoleWithPolicies`` (awsx/role.ts): nothing with ``skip``, an existing role's
    ARN, or a role of ``{...defaults, ...args}`` with one attachment per ARN of ``args.policyArns``
    (the defaults' when ``args`` has none), named ``<role>-<first 8 hex of sha1(arn)>``."""
    given = given or {}
    if given.get("roleArn") is not None and given.get("args") is not None:
        raise AwsxError("Can't define role args if specified an existing role ARN")
    if given.get("skip") is True:
        return None, []
    if given.get("roleArn") is not None:
        return b.resolve(given["roleArn"], "arn"), []
    args = {"assumeRolePolicy": _TRUST, "policyArns": policies, **(given.get("args") or {})}
    trust = args["assumeRolePolicy"]
    role_args = {k: v for k, v in args.items() if k != "policyArns"}
    role_args["assumeRolePolicy"] = trust if isinstance(trust, str) or trust == UNKNOWN else json.dumps(trust)
    role = b.child("aws:iam/role:Role", name, role_args, parent)
    arns = args.get("policyArns") or []
    # awsx attaches inside an apply of the list: a list not known in a preview attaches nothing yet.
    if isinstance(arns, list) and all(isinstance(arn, str) and arn != UNKNOWN for arn in arns):
        for arn in arns:
            b.child(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                f"{name}-{hashlib.sha1(arn.encode()).hexdigest()[:8]}",  # noqa: S324 - awsx's name, not a secret
                {"role": role.out("name"), "policyArn": arn},
                parent,
                {"role": [role]},
            )
    return role.out("arn"), [role]


def build_task_definition(
    b: Builder, args: dict[str, Any], name: str, parent: str, deps_of: Callable[[str], list[Child | Ref]]
) -> dict[str, Any]:
    """``deps_of(key)``: the resources the input ``key`` of ``args`` was computed from."""
    containers = args.get("containers") or {}
    if args.get("container") is not None:
        container = args["container"]
        containers = {str(container.get("name") or "container"): container}
    if not containers:
        raise AwsxError("Exactly one of [container] or [containers] must be provided")
    log_args = args.get("logGroup") or {}
    log_group = None
    if not log_args.get("skip") and not log_args.get("existing"):
        log_group = b.child("aws:cloudwatch/logGroup:LogGroup", name, dict(log_args.get("args") or {}), parent)
    task_role_arn, task_roles = _role(b, parent, f"{name}-task", args.get("taskRole"), [])
    execution_role_arn, execution_roles = _role(
        b, parent, f"{name}-execution", args.get("executionRole"), [_EXECUTION_POLICY]
    )
    definitions = []
    for container_name, container in containers.items():
        definition = {k: b.resolve(v, "arn") for k, v in container.items() if k != "portMappings"}
        definition["name"] = container_name
        mappings = []
        for mapping in container.get("portMappings") or []:
            port = mapping.get("containerPort") or mapping.get("hostPort") or 80
            mappings.append({k: v for k, v in mapping.items() if k != "targetGroup"} | {"containerPort": port})
        if mappings:
            definition["portMappings"] = mappings
        if "logConfiguration" not in definition and log_group is not None:
            definition["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group.out("name"),
                    "awslogs-region": b.region,
                    "awslogs-stream-prefix": container_name,
                },
            }
        definitions.append(definition)
    unknown = any(v == UNKNOWN for d in definitions for v in _leaves(d))
    family = args.get("family") or f"{name}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"  # noqa: S324 - a name
    task = b.child(
        "aws:ecs/taskDefinition:TaskDefinition",
        name,
        {
            **{
                k: v
                for k, v in args.items()
                if k not in ("container", "containers", "logGroup", "taskRole", "executionRole")
            },
            "family": family,
            "cpu": str(args.get("cpu") or 256),
            "memory": str(args.get("memory") or 512),
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            **({"taskRoleArn": task_role_arn} if task_role_arn is not None else {}),
            **({"executionRoleArn": execution_role_arn} if execution_role_arn is not None else {}),
            "containerDefinitions": UNKNOWN if unknown else json.dumps(definitions),
        },
        parent,
        {
            **{
                k: deps_of(k)
                for k in args
                if k not in ("container", "containers", "logGroup", "taskRole", "executionRole")
            },
            # A given roleArn depends on what it was computed from, as awsx passes it through.
            "taskRoleArn": task_roles or deps_of("taskRole"),
            "executionRoleArn": execution_roles or deps_of("executionRole"),
            "containerDefinitions": [
                *([log_group] if log_group else []),
                *deps_of("container"),
                *deps_of("containers"),
            ],
        },
    )
    load_balancers = [
        {
            "targetGroupArn": b.resolve(m["targetGroup"], "arn"),
            "containerName": n,
            "containerPort": m.get("containerPort") or m.get("hostPort") or 80,
        }
        for n, c in containers.items()
        for m in c.get("portMappings") or []
        if m.get("targetGroup")
    ]
    roles = {"taskRole": task_roles, "executionRole": execution_roles}
    return {
        "taskDefinition": task.ref.as_output(),
        "logGroup": log_group.ref.as_output() if log_group else None,
        **{k: v[0].ref.as_output() if v else None for k, v in roles.items()},
        "loadBalancers": load_balancers,
        "_task": task,
    }


def _leaves(v: Any) -> list[Any]:
    if isinstance(v, dict):
        return [x for y in v.values() for x in _leaves(y)]
    if isinstance(v, list):
        return [x for y in v for x in _leaves(y)]
    return [v]


def build_fargate_task_definition(b: Builder) -> dict[str, Any]:
    result = build_task_definition(b, b.inputs, b.name, b.component_urn, b.deps_of)
    result.pop("_task")
    return result


def build_fargate_service(b: Builder) -> dict[str, Any]:
    args = b.inputs
    if args.get("taskDefinition") is not None and args.get("taskDefinitionArgs") is not None:
        raise AwsxError("Only one of `taskDefinition` or `taskDefinitionArgs` can be provided.")
    if args.get("networkConfiguration") is not None and args.get("assignPublicIp") is not None:
        raise AwsxError("Only one of `networkConfiguration` or `assignPublicIp` can be provided.")
    task_arn: Any = b.resolve(args.get("taskDefinition"), "arn")
    task_output = None
    load_balancers = args.get("loadBalancers")
    task_deps: list[Child | Ref] = []
    if args.get("taskDefinitionArgs") is not None:
        component = b.component("awsx:ecs:FargateTaskDefinition", b.name)
        built = build_task_definition(
            b, args["taskDefinitionArgs"], b.name, component, lambda _: b.deps_of("taskDefinitionArgs")
        )
        task = built.pop("_task")
        task_arn, task_output = task.out("arn"), task.ref.as_output()
        task_deps = [task]
        load_balancers = load_balancers or built["loadBalancers"] or None
    if task_arn is None:
        raise AwsxError("Either `taskDefinition` or `taskDefinitionArgs` must be provided.")
    network = args.get("networkConfiguration")
    network_deps: list[Child | Ref] = []
    if network is None:
        assign = bool(args.get("assignPublicIp"))
        default = b.default_vpc()
        if not assign and not default["privateSubnetIds"]:
            raise AwsxError(
                "The default VPC does not have any private subnets. Set `assignPublicIp` to `true`, provide "
                "`networkConfiguration`, or add private subnets to the default VPC."
            )
        group = b.child(
            "aws:ec2/securityGroup:SecurityGroup",
            f"{b.name}-sg",
            _open_group_args(default["vpcId"]),
        )
        network = {
            "subnets": default["publicSubnetIds"] if assign else default["privateSubnetIds"],
            "assignPublicIp": assign,
            "securityGroups": [group.id],
        }
        network_deps = [group]
    launch = (
        None
        if args.get("capacityProviderStrategies") or args.get("useClusterDefaultCapacityProviderStrategy")
        else "FARGATE"
    )
    skip = {
        "taskDefinitionArgs",
        "assignPublicIp",
        "continueBeforeSteadyState",
        "useClusterDefaultCapacityProviderStrategy",
    }
    service = b.child(
        "aws:ecs/service:Service",
        b.name,
        {
            "desiredCount": 1,
            **{k: v for k, v in args.items() if k not in skip},
            "cluster": b.resolve(args.get("cluster"), "arn"),
            "networkConfiguration": network,
            "launchType": launch,
            "loadBalancers": load_balancers,
            "waitForSteadyState": not args.get("continueBeforeSteadyState", False),
            "taskDefinition": task_arn,
        },
        None,
        {
            **{k: b.deps_of(k) for k in args if k not in skip},
            "taskDefinition": task_deps or b.deps_of("taskDefinition"),
            "networkConfiguration": network_deps or b.deps_of("networkConfiguration"),
            "loadBalancers": b.deps_of("loadBalancers")
            if args.get("loadBalancers")
            else b.deps_of("taskDefinitionArgs"),
        },
    )
    return {"service": service.ref.as_output(), "taskDefinition": task_output}


# -- awsx:lb:ApplicationLoadBalancer ------------------------------------------------------------


def build_application_load_balancer(b: Builder) -> dict[str, Any]:
    args = dict(b.inputs)
    subnet_ids = args.pop("subnetIds", None)
    subnets = args.pop("subnets", None)
    default_group = args.pop("defaultSecurityGroup", None) or {}
    target_group_args = args.pop("defaultTargetGroup", None) or {}
    target_port = args.pop("defaultTargetGroupPort", None)
    listener = args.pop("listener", None)
    listeners = args.pop("listeners", None)
    if subnets:
        subnet_ids = [b.resolve(s) for s in subnets]
    if subnet_ids:
        first = subnet_ids[0]
        vpc_id = (
            b.monitor.invoke("aws:ec2/getSubnet:getSubnet", {"id": first})["vpcId"] if first != UNKNOWN else UNKNOWN
        )
    elif args.get("subnetMappings"):
        vpc_id = UNKNOWN
    else:
        default = b.default_vpc()
        vpc_id, subnet_ids = default["vpcId"], default["publicSubnetIds"]
    group = None
    if not args.get("securityGroups") and not default_group.get("skip"):
        if default_group.get("securityGroupId"):
            args["securityGroups"] = [b.resolve(default_group["securityGroupId"])]
        else:
            group_args = default_group.get("args") or _open_group_args(vpc_id)
            group = b.child("aws:ec2/securityGroup:SecurityGroup", b.name, group_args)
            args["securityGroups"] = [group.id]
    lb = b.child(
        "aws:lb/loadBalancer:LoadBalancer",
        b.name,
        {**args, "subnets": subnet_ids, "loadBalancerType": "application"},
        None,
        {"securityGroups": [group] if group else []},
    )
    # awsx getDefaultProtocol: none when exactly one listener is given in `listeners`.
    one_listed = bool(listeners) and len(listeners) == 1
    protocol: dict[str, Any] | None = None if one_listed else _listener_protocol(listener, target_port)
    target_group = b.child(
        "aws:lb/targetGroup:TargetGroup",
        b.name,
        {"vpcId": vpc_id, "targetType": "ip", **(protocol or {}), **target_group_args},
    )
    actions = [{"type": "forward", "targetGroupArn": target_group.out("arn")}]
    made = []
    for i, spec in enumerate(listeners or [listener or {}]):
        made.append(
            b.child(
                "aws:lb/listener:Listener",
                f"{b.name}-{i}",
                {
                    "defaultActions": actions,
                    **(_listener_protocol(spec, None) if listeners else protocol or {}),
                    **(spec or {}),
                    "loadBalancerArn": lb.out("arn"),
                },
                None,
                {"loadBalancerArn": [lb], "defaultActions": [target_group]},
            )
        )
    return {
        "loadBalancer": lb.ref.as_output(),
        "defaultTargetGroup": target_group.ref.as_output(),
        "listeners": [m.ref.as_output() for m in made],
        "defaultSecurityGroup": group.ref.as_output() if group else None,
        "vpcId": vpc_id,
    }


def _listener_protocol(listener: Any, default_port: Any) -> dict[str, Any]:
    listener = listener or {}
    port, protocol = listener.get("port"), listener.get("protocol")
    if port and protocol:
        return {"port": port, "protocol": protocol}
    if port:
        return {"port": port, "protocol": "HTTPS" if port == 443 else "HTTP"}
    if protocol:
        return {"protocol": protocol, "port": 443 if protocol == "HTTPS" else 80}
    return {"port": default_port or 80, "protocol": "HTTP"}


# -- awsx:ecr:Repository -----------------------------------------------------------------------


def build_repository(b: Builder) -> dict[str, Any]:
    args = dict(b.inputs)
    lifecycle = args.pop("lifecyclePolicy", None) or {}
    name = b.name.lower()
    repository = b.child("aws:ecr/repository:Repository", name, args)
    policy = None
    if not lifecycle.get("skip"):
        rules = lifecycle.get("rules") or [
            {"description": "remove untagged images", "tagStatus": "untagged", "maximumNumberOfImages": 1}
        ]
        document = {
            "rules": [
                {
                    "rulePriority": i + 1,
                    "description": r.get("description"),
                    "selection": {
                        "tagStatus": r.get("tagStatus", "any"),
                        "countType": "imageCountMoreThan",
                        "countNumber": r.get("maximumNumberOfImages", 1),
                    },
                    "action": {"type": "expire"},
                }
                for i, r in enumerate(rules)
            ]
        }
        policy = b.child(
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            name,
            {"repository": repository.out("name"), "policy": json.dumps(document)},
            None,
            {"repository": [repository]},
        )
    return {
        "repository": repository.ref.as_output(),
        "url": repository.out("repositoryUrl"),
        "lifecyclePolicy": policy.ref.as_output() if policy else None,
    }


def build_image(b: Builder) -> dict[str, Any]:
    """awsx:ecr:Image builds and pushes with Docker at deploy time (no AWS resources of its own):
    its output is the pushed image by digest, known once pushed."""
    url = b.inputs.get("repositoryUrl")
    if not isinstance(url, str) or url == UNKNOWN or b.monitor.mocks.unknowns:
        return {"imageUri": UNKNOWN}
    digest = hashlib.sha256(json.dumps(b.inputs, sort_keys=True, default=str).encode()).hexdigest()
    return {"imageUri": f"{url}@sha256:{digest}"}


BUILDERS: dict[str, Callable[[Builder], dict[str, Any]]] = {
    "awsx:ecr:Image": build_image,
    "awsx:ec2:Vpc": build_vpc,
    "awsx:ecs:FargateService": build_fargate_service,
    "awsx:ecs:FargateTaskDefinition": build_fargate_task_definition,
    "awsx:lb:ApplicationLoadBalancer": build_application_load_balancer,
    "awsx:ecr:Repository": build_repository,
}
