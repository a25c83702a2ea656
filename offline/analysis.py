"""Runs a CrossGuard policy pack on a recorded graph, through pulumi-policy's own analyzer.

The pack is loaded the way the Pulumi CLI loads it: its ``__main__.py`` runs and constructs
``PolicyPack(...)``. Where ``PolicyPack`` would register its analyzer servicer with a gRPC server
and serve forever, we take the servicer and call it in-process (``Configure``, ``Analyze`` per
resource with its inputs, ``AnalyzeStack`` with every resource's outputs, parent, dependencies
and property dependencies). Enforcement levels, policy config and unknown values are therefore
handled by the SDK's code, not ours. Like the CLI, we apply the config schema's defaults and the
pack's ``initial_config`` before the user's ``--policy-config``.
"""

from __future__ import annotations

import contextlib
import json
import runpy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import policy as _sdk_policy
from pulumi_policy.policy import _normalize_config
from pulumi_policy.proxy import UnknownValueError

from .engine import STACK_TYPE, Graph, Resource, collector_paused, engine_view
from .modules import own_modules
from .project import StackConfig

_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


class _OncePerCall:
    """pulumi-policy's ``json_format``, converting each struct once per analyzer call.

    The SDK's ``AnalyzeStack`` converts every resource's properties (and its provider's) to a dict
    once per stack policy, so a pack of P stack policies converts each struct P times; ``Analyze``
    does the same per resource policy. The conversion is a pure function of the struct, and the SDK
    only reads its result (``deserialize_properties`` builds new containers), so within one call
    the first result is reused. Outside a call (``Configure``, whose dicts reach the policies as
    their config) every conversion is fresh, as before.
    """

    def __init__(self, real: Any) -> None:
        self._real = real
        self._memo: dict[int, tuple[Any, Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        if self._memo is None or args or kwargs:
            return self._real.MessageToDict(message, *args, **kwargs)
        hit = self._memo.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        result = self._real.MessageToDict(message)
        self._memo[id(message)] = (message, result)  # the message is kept, so its id is not reused
        return result

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        self._memo = {}
        try:
            yield
        finally:
            self._memo = None


_JSON_FORMAT = _OncePerCall(json_format)


def sdk_fast_paths(on: bool = True) -> None:
    """Give pulumi-policy the once-per-call conversion (on by default; ``on=False`` restores the
    SDK as shipped, for the test that proves the verdicts equal)."""
    if hasattr(_sdk_policy, "json_format"):
        _sdk_policy.json_format = _JSON_FORMAT if on else json_format  # type: ignore[assignment]


sdk_fast_paths()


class PolicyPackError(Exception):
    """The policy pack or its config cannot be used."""


@dataclass(frozen=True)
class Violation:
    policy_pack: str
    policy: str
    level: str
    urn: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {
            "policyPack": self.policy_pack,
            "policy": self.policy,
            "level": self.level,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass
class LoadedPack:
    name: str
    version: str
    servicer: Any
    info: Any  # analyzer_pb2.AnalyzerInfo
    directory: Path


class _Captured(Exception):
    pass


def load_pack(pack_dir: Path) -> LoadedPack:
    """Run the pack's ``__main__.py`` up to the point where it would start serving."""
    pack_dir = pack_dir.resolve()
    manifest = pack_dir / "PulumiPolicy.yaml"
    if not manifest.is_file() or not (pack_dir / "__main__.py").is_file():
        raise PolicyPackError(f"{pack_dir} is not a Python policy pack (needs PulumiPolicy.yaml and __main__.py)")
    version = str((yaml.safe_load(manifest.read_text()) or {}).get("version") or "0.0.1")

    captured: list[Any] = []
    original = analyzer_pb2_grpc.add_AnalyzerServicer_to_server
    # A pack may replace the SDK's analyzer class (ours does, for its version); in its own process
    # that happens once, so each load here starts from the class as shipped.
    servicer_class = _sdk_policy._PolicyAnalyzerServicer

    def capture(servicer: Any, server: Any) -> None:
        captured.append(servicer)
        raise _Captured

    analyzer_pb2_grpc.add_AnalyzerServicer_to_server = capture
    try:
        with own_modules(pack_dir):
            runpy.run_path(str(pack_dir), run_name="__main__")
    except _Captured:
        pass
    except Exception as e:
        raise PolicyPackError(f"policy pack {pack_dir} failed to load: {type(e).__name__}: {e}") from e
    finally:
        analyzer_pb2_grpc.add_AnalyzerServicer_to_server = original
        _sdk_policy._PolicyAnalyzerServicer = servicer_class  # type: ignore[misc]
    if not captured:
        raise PolicyPackError(f"policy pack {pack_dir} did not construct a PolicyPack")
    servicer = captured[0]
    info = servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    return LoadedPack(info.name, version, servicer, info, pack_dir)


def effective_config(pack: LoadedPack, user: dict[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per policy: (enforcement level, properties), merged as the CLI does: schema defaults,
    the pack's initial config, then the user's config (``all`` applies to every policy)."""
    user = dict(user or {})
    policies = {p.name: p for p in pack.info.policies}
    unknown = sorted(k for k in user if k != "all" and k not in policies)
    if unknown:
        raise PolicyPackError(
            f"policy config names unknown policies: {', '.join(unknown)}; the pack has {', '.join(sorted(policies))}"
        )

    def split(value: Any, where: str) -> tuple[str | None, dict[str, Any]]:
        level: str | None
        if isinstance(value, str):
            level, props = value, {}
        elif isinstance(value, dict):
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            level = value.get("enforcementLevel")
        else:
            raise PolicyPackError(f"policy config {where}: expected an enforcement level or an object, got {value!r}")
        if level is not None and level not in _LEVELS:
            raise PolicyPackError(
                f"policy config {where}: enforcement level {level!r} is not one of {', '.join(_LEVELS)}"
            )
        return level, props

    # The pack's initial_config, as given to PolicyPack (the proto form cannot tell "advisory"
    # from "not set").
    initial = _normalize_config(getattr(pack.servicer, "_PolicyAnalyzerServicer__initial_config", None) or {})
    all_level, _ = split(user.pop("all"), "all") if "all" in user else (None, {})
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, policy in policies.items():
        schema = json_format.MessageToDict(policy.configSchema.properties) if policy.configSchema else {}
        props = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        level: str = _LEVEL_NAMES[policy.enforcementLevel]
        if name in initial:
            initial_level, initial_props = initial[name]
            props.update(initial_props or {})
            level = initial_level.value if initial_level is not None else level
        if all_level:
            level = all_level
        if name in user:
            user_level, user_props = split(user[name], name)
            bad = sorted(set(user_props) - set(schema))
            if bad:
                allowed = ", ".join(sorted(schema)) or "none"
                raise PolicyPackError(f"policy config {name}: unknown properties {', '.join(bad)}; allowed: {allowed}")
            props.update(user_props)
            level = user_level or level
        missing = [k for k in (policy.configSchema.required if policy.configSchema else []) if k not in props]
        if missing:
            raise PolicyPackError(f"policy config {name}: required properties missing: {', '.join(missing)}")
        result[name] = (level, props)
    return result


def _options(r: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = analyzer_pb2.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=r.ignore_changes,
        additionalSecretOutputs=r.additional_secret_outputs,
        aliases=r.aliases,
        parent=r.parent or "",
    )
    if r.delete_before_replace is not None:
        opts.deleteBeforeReplace = r.delete_before_replace
        opts.deleteBeforeReplaceDefined = True
    return opts


class Providers:
    """The provider of each resource: its explicit provider resource, or the default provider
    the CLI would create for its package, configured from the stack config."""

    def __init__(self, graph: Graph, stack: StackConfig) -> None:
        self._by_urn = {r.urn: r for r in graph.resources}
        self._graph, self._stack = graph, stack

    def of(self, r: Resource) -> analyzer_pb2.AnalyzerProviderResource | None:
        if r.type == STACK_TYPE or not r.custom:
            return None
        if r.provider:
            explicit = self._by_urn.get(r.provider.rsplit("::", 1)[0])  # a reference is "<urn>::<id>"
            if explicit is not None:
                return analyzer_pb2.AnalyzerProviderResource(
                    type=explicit.type, properties=explicit.inputs, urn=explicit.urn, name=explicit.name
                )
        package = r.type.split(":")[0]
        if package == "pulumi":
            return None
        props = struct_pb2.Struct()
        props.update(self._stack.namespace(package))
        urn = f"urn:pulumi:{self._graph.stack}::{self._graph.project}::pulumi:providers:{package}::default"
        return analyzer_pb2.AnalyzerProviderResource(
            type=f"pulumi:providers:{package}", properties=props, urn=urn, name="default"
        )


class PolicyCrash(PolicyPackError):
    """A policy raised while checking the program (a defect of the policy, not a verdict)."""

    def __init__(self, policy: str, cause: BaseException) -> None:
        self.policy = policy
        self.cause = cause
        super().__init__(f"policy {policy} crashed: {type(cause).__name__}: {cause}")


def _guard(pack: LoadedPack) -> None:
    """Make a policy that raises (other than the SDK's own unknown-value and not-applicable
    signals) fail with its name, once per loaded pack."""
    if getattr(pack.servicer, "_offline_guarded", False):
        return
    passthrough: tuple[type[BaseException], ...] = (UnknownValueError, *_sdk_signals())
    for policy in getattr(pack.servicer, "_PolicyAnalyzerServicer__policies", []):
        # A pack loaded again in this process may hand back the same policy objects (its modules
        # are kept, as a process keeps them): wrap the policy's own validate, never a guard.
        validate = policy._offline_unguarded = getattr(policy, "_offline_unguarded", policy.validate)

        def guarded(*args: Any, _validate: Any = validate, _name: str = policy.name) -> Any:
            try:
                return _validate(*args)
            except passthrough:
                raise
            except Exception as e:
                raise PolicyCrash(_name, e) from e

        policy.validate = guarded
    pack.servicer._offline_guarded = True


def _sdk_signals() -> tuple[type[BaseException], ...]:
    # Private names of the pinned SDK.
    return tuple(t for t in (getattr(_sdk_policy, "_NotApplicableError", None),) if isinstance(t, type))


def configure(pack: LoadedPack, user_config: dict[str, Any] | None = None) -> None:
    """Configure the pack's policies (levels and properties) as the CLI does before analyzing."""
    _guard(pack)
    config = effective_config(pack, user_config)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, props) in config.items():
        policy_config = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVELS[level])
        policy_config.properties.update(props)
        request.policyConfig[name].CopyFrom(policy_config)
    pack.servicer.Configure(request, None)


def violations_of(pack: LoadedPack, response: Any, default_urn: str) -> list[Violation]:
    return [
        Violation(
            policy_pack=d.policyPackName or pack.name,
            policy=d.policyName,
            level=_LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
            urn=d.urn or default_urn,
            message=d.message,
        )
        for d in response.diagnostics
    ]


def analyze_resource(pack: LoadedPack, r: Resource, providers: Providers) -> list[Violation]:
    """Every resource policy on one resource's inputs (the CLI's Analyze call)."""
    request = analyzer_pb2.AnalyzeRequest(
        type=r.type, properties=engine_view(r.inputs), urn=r.urn, name=r.name, options=_options(r)
    )
    provider = providers.of(r)
    if provider is not None:
        request.provider.CopyFrom(provider)
    with _JSON_FORMAT.call(), collector_paused():
        response = pack.servicer.Analyze(request, None)
    return violations_of(pack, response, r.urn)


def analyze_stack(pack: LoadedPack, graph: Graph, providers: Providers) -> list[Violation]:
    """Every stack policy on the whole graph: each resource's outputs, parent, dependencies and
    property dependencies (the CLI's AnalyzeStack call)."""
    request = stack_request(graph, providers)
    with _JSON_FORMAT.call(), collector_paused():
        response = pack.servicer.AnalyzeStack(request, None)
    return violations_of(pack, response, "")


def stack_request(graph: Graph, providers: Providers) -> Any:
    """The AnalyzeStackRequest the CLI sends for ``graph``."""
    request = analyzer_pb2.AnalyzeStackRequest()
    for r in graph.resources:
        resource = analyzer_pb2.AnalyzerResource(
            type=r.type,
            properties=engine_view(graph.outputs if r.type == STACK_TYPE else r.outputs),
            urn=r.urn,
            name=r.name,
            options=_options(r),
            parent=r.parent or "",
            dependencies=r.dependencies,
        )
        for key, urns in r.property_dependencies.items():
            resource.propertyDependencies[key].urns.extend(urns)
        provider = providers.of(r)
        if provider is not None:
            resource.provider.CopyFrom(provider)
        request.resources.append(resource)
    return request


def analyze(
    pack: LoadedPack, graph: Graph, stack: StackConfig, user_config: dict[str, Any] | None = None
) -> list[Violation]:
    """Configure the pack, run every resource policy on every resource's inputs and every stack
    policy on the whole graph; return the diagnostics as violations. A policy that raises gives
    :class:`PolicyCrash` naming it."""
    # The pack's own modules, as in the analyzer process the CLI starts in the pack's directory,
    # for a policy that imports at analysis time.
    with own_modules(pack.directory):
        configure(pack, user_config)
        providers = Providers(graph, stack)
        violations: list[Violation] = []
        for r in graph.resources:
            # Resource policies check what the program asks for; a read resource is not its to change.
            if r.type != STACK_TYPE and not r.external:
                violations += analyze_resource(pack, r, providers)
        return violations + analyze_stack(pack, graph, providers)


def read_policy_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as e:
        raise PolicyPackError(f"cannot read policy config {path}: {e.strerror}") from None
    except ValueError as e:
        raise PolicyPackError(f"policy config {path} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise PolicyPackError(f"policy config {path}: expected a JSON object of policy name -> config")
    return data
