"""Runs a Pulumi Python program on the SDK's mock engine and records the resource graph.

The program runs as the Python language host runs it (``runpy`` inside ``run_in_stack``), with
the stack's config set, against a :class:`RecordingMonitor`: a ``MockMonitor`` that keeps every
RegisterResource request (type, name, parent, custom, inputs, dependencies, property
dependencies, provider, protect...) as it arrived, and the outputs the mocks answered. Inputs and
outputs are kept as the protobuf structs the engine would see, so the policy analyzer receives
exactly what the Pulumi CLI would send it (unknowns and secrets included).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import runpy
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
import pulumi.runtime.resource
from google.protobuf import empty_pb2, struct_pb2
from pulumi import _types
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockEngine, MockMonitor, MockResourceArgs, MockSettings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import configure, set_root_resource
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from . import awsx
from .invokes import InvokeAnswers
from .mocks import OfflineMocks, output_names
from .modules import own_modules
from .project import StackConfig

STACK_TYPE = "pulumi:pulumi:Stack"


_PER_CLASS = (
    "resource_types",
    "output_type_types",
    "input_type_types",
    "resource_pulumi_to_py_names",
    "resource_py_to_pulumi_names",
    "input_type_py_to_pulumi_names",
)
_SDK_ORIGINALS: dict[tuple[Any, str], Any] = {}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during the body; the collector runs again after it.

    A program run allocates many objects that live to its end (outputs, futures, the graph) on
    top of the SDKs' hundreds of thousands of classes and functions, and every full collection
    walks them all, to free almost nothing: a preview of 3,250 resources took 42 s with the
    collector and 19 s without, at the same peak memory (benchmarks/scale.py). Reference
    counting still frees everything that is not in a cycle as it goes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sdk_fast_paths(on: bool = True) -> None:
    """Skip two costs of the Pulumi SDK that change nothing the recording engine sees (on by
    default; ``on=False`` restores the SDK as shipped, for the test that proves the graphs equal):

    * Each registration walks the Python stack and turns every frame into a file URI for the
      request's ``sourcePosition`` and ``stackTrace``. The CLI shows them in diagnostics; this
      engine records neither, so the SDK is given an empty trace.
    * Each resource's outputs are typed by evaluating its class's annotations with
      ``typing.get_type_hints``, again for every resource of the class. The answer depends on the
      class alone, so it is computed once per class (callers get their own copy of the dict).
    """
    runtime_resource: Any = pulumi.runtime.resource
    targets = [(runtime_resource, "_get_stack_trace"), *((_types, name) for name in _PER_CLASS)]
    for module, name in targets:
        if not hasattr(module, name):
            continue  # another SDK version: nothing to skip
        original = _SDK_ORIGINALS.setdefault((module, name), getattr(module, name))
        if not on:
            setattr(module, name, original)
        elif module is runtime_resource:
            setattr(module, name, runtime_resource.source_pb2.StackTrace)
        else:
            cached = functools.cache(original)

            def per_class(cls: type, _cached: Any = cached) -> dict[str, Any]:
                return dict(_cached(cls))

            setattr(module, name, per_class)


sdk_fast_paths()


@dataclass
class Resource:
    """One registered resource, as the engine saw it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: struct_pb2.Struct
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool | None
    ignore_changes: list[str]
    additional_secret_outputs: list[str]
    aliases: list[str]
    id: str = ""
    outputs: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    """The ``customTimeouts`` option (create/update/delete), as the engine passes it to the provider."""
    external: bool = False
    """Read, not managed: ``Resource.get(...)``, a stack reference."""


@dataclass
class Graph:
    project: str
    stack: str
    resources: list[Resource]
    outputs: struct_pb2.Struct
    notes: list[str] = field(default_factory=list)
    """What the engine could not model, so no policy could check it."""


class RecordingMonitor(MockMonitor):
    """A MockMonitor that records the full RegisterResource requests (thread-safe: the SDK
    registers resources from several threads)."""

    def __init__(self, mocks: OfflineMocks) -> None:
        super().__init__(mocks)
        self._lock = threading.Lock()
        self.recorded: dict[str, Resource] = {}
        self.stack_outputs = struct_pb2.Struct()
        self.notes: list[str] = []
        """What this engine could not model (a remote component it does not expand)."""
        self.mocks: OfflineMocks = mocks

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack out of its children's type chain.
        if parent and parent.split("::")[2] == STACK_TYPE:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        record = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=request.object,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            provider=request.provider,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None,
            ignore_changes=list(request.ignoreChanges),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            aliases=list(request.aliasURNs),
            custom_timeouts={
                op: value for op in ("create", "update", "delete") if (value := getattr(request.customTimeouts, op, ""))
            },
        )
        if request.type == STACK_TYPE:
            with self._lock:
                self.recorded[urn] = record
            return resource_pb2.RegisterResourceResponse(urn=urn)

        _ensure_event_loop()
        if request.remote:
            return self._remote_component(record)
        if request.custom:
            id_, state = self.mocks.new_resource(
                MockResourceArgs(
                    typ=request.type,
                    name=request.name,
                    # A provider receives a resource passed as an input as its id (or URN).
                    inputs=rpc.deserialize_properties(engine_view(request.object), keep_unknowns=True),
                    provider=request.provider,
                    resource_id=request.importId or None,
                    custom=True,
                )
            )
            id_ = id_ or ""
        else:
            id_, state = "", {}
        record.id = id_
        if request.custom:
            # The state a provider reports includes the id (``rpc.UNKNOWN`` while not known);
            # the engine hands the program the same state without it.
            record.outputs = _sync_await(rpc.serialize_properties({**state, "id": id_ or rpc.UNKNOWN}, {}))
            outputs = struct_pb2.Struct()
            outputs.CopyFrom(record.outputs)
            if "id" not in state:
                del outputs.fields["id"]
        else:
            outputs = record.outputs = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.recorded[urn] = record
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=outputs)

    def _remote_component(self, record: Resource) -> Any:
        """A remote component (awsx...): its provider constructs its children. The engine builds
        those of the components it models (offline/awsx.py); any other gets unknown outputs and a
        note that its children cannot be verified offline."""
        with self._lock:
            self.recorded[record.urn] = record
        build = awsx.BUILDERS.get(record.type)
        if build is None:
            self.notes.append(
                f"{record.type} '{record.name}' is a remote component this engine does not expand: its children "
                "are not in the graph and cannot be verified offline (a real preview checks them)"
            )
            state: dict[str, Any] = {name: rpc.UNKNOWN for name in output_names(record.type)}
        else:
            builder = awsx.Builder(
                self,
                record.urn,
                record.name,
                awsx.plain(record.inputs),
                self.mocks.region,
                record.property_dependencies,
            )
            state = {k: v for k, v in build(builder).items() if v is not None}
        outputs = record.outputs = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.resources[record.urn] = MockMonitor.ResourceRegistration(record.urn, "", state)
        return resource_pb2.RegisterResourceResponse(urn=record.urn, id="", object=outputs)

    def register_child(
        self,
        parent: str,
        typ: str,
        name: str,
        inputs: dict[str, Any],
        property_dependencies: dict[str, list[str]],
    ) -> tuple[str, Any, dict[str, Any]]:
        """Record a custom resource a remote component's provider would register: (urn, id or
        unknown, state)."""
        urn = self.make_urn(parent, typ, name)
        id_, state = self.mocks.new_resource(
            MockResourceArgs(typ=typ, name=name, inputs=dict(inputs), provider="", resource_id=None, custom=True)
        )
        dependencies = list(dict.fromkeys(u for urns in property_dependencies.values() for u in urns))
        record = Resource(
            urn=urn,
            type=typ,
            name=name,
            parent=parent,
            custom=True,
            inputs=_sync_await(rpc.serialize_properties(inputs, {})),
            dependencies=dependencies,
            property_dependencies={k: v for k, v in property_dependencies.items() if v},
            provider="",
            protect=False,
            retain_on_delete=False,
            delete_before_replace=None,
            ignore_changes=[],
            additional_secret_outputs=[],
            aliases=[],
            id=id_ or "",
            outputs=_sync_await(rpc.serialize_properties({**state, "id": id_ or rpc.UNKNOWN}, {})),
        )
        with self._lock:
            self.recorded[urn] = record
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_ or "", state)
        return urn, id_ or rpc.UNKNOWN, state

    def register_child_component(self, parent: str, typ: str, name: str) -> str:
        """Record a component a remote component's provider would register (no state)."""
        urn = self.make_urn(parent, typ, name)
        record = Resource(
            urn=urn, type=typ, name=name, parent=parent, custom=False, inputs=struct_pb2.Struct(),
            dependencies=[], property_dependencies={}, provider="", protect=False, retain_on_delete=False,
            delete_before_replace=None, ignore_changes=[], additional_secret_outputs=[], aliases=[],
        )  # fmt: skip
        with self._lock:
            self.recorded[urn] = record
        return urn

    def state_by_id(self, token: str, rid: str) -> dict[str, Any] | None:
        """The state of a registered resource of type ``token`` whose id is ``rid``."""
        with self._lock:
            urns = [r.urn for r in self.recorded.values() if r.type == token and r.id == rid]
        registration = self.resources.get(urns[0]) if urns else None
        return dict(registration.state or {}) if registration is not None else None

    def output_of(self, urn: str, key: str) -> Any:
        """An output of a resource already registered (unknown when not known)."""
        registration = self.resources.get(urn)
        if registration is None:
            return rpc.UNKNOWN
        if key == "id":
            return registration.id or rpc.UNKNOWN
        value = (registration.state or {}).get(key)
        return rpc.UNKNOWN if value is None else value

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """What a component's provider would get from an invoke (answered as the program's are)."""
        result, _ = self.mocks.call(MockCallArgs(token=token, args=args, provider=""))
        return result

    def ReadResource(self, request: Any) -> Any:
        """A read resource (``aws.ec2.Subnet.get(...)``, a stack reference): the engine reads its
        state and keeps it in the stack as an external resource, which stack analyzers see."""
        _ensure_event_loop()
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = rpc.deserialize_properties(engine_view(request.properties), keep_unknowns=True)
        id_, state = self.mocks.new_resource(
            MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=inputs,
                provider=request.provider,
                resource_id=request.id,
                custom=True,
            )
        )
        outputs = _sync_await(rpc.serialize_properties(state, {}))
        record = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=True,
            inputs=request.properties,
            dependencies=list(request.dependencies),
            property_dependencies={},
            provider=request.provider,
            protect=False,
            retain_on_delete=False,
            delete_before_replace=None,
            ignore_changes=[],
            additional_secret_outputs=list(request.additionalSecretOutputs),
            aliases=[],
            id=str(id_ or request.id),
            outputs=outputs,
            external=True,
        )
        with self._lock:
            self.recorded[urn] = record
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, record.id, state)
        # The id the read found: the SDK resolves a read's id from the response, and leaves it
        # unknown in a dry run when the response has none (pulumi/runtime/resource.py,
        # read_resource), which the real engine never does for a resource that exists.
        return resource_pb2.ReadResourceResponse(urn=urn, properties=outputs, id=record.id)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        with self._lock:
            record = self.recorded.get(request.urn)
            if record is not None and not record.custom:
                record.outputs = request.outputs
            if record is not None and record.type == STACK_TYPE:
                self.stack_outputs = request.outputs
        return empty_pb2.Empty()


_SIG = "4dabf18193072939515e22adb298388d"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


def engine_view(props: struct_pb2.Struct) -> struct_pb2.Struct:
    """Properties as the Pulumi engine hands them to analyzers: it marshals without keeping
    resource references, so a resource passed as an input arrives as its id (unknown while it is
    not known), or as its URN when it has none, a component's (pulumi/pulumi
    sdk/go/common/resource/plugin/rpc.go, MarshalPropertyValue with KeepResources false)."""
    if not _has_reference(props):
        return props
    copy = struct_pb2.Struct()
    copy.CopyFrom(props)
    _replace_references(copy)
    return copy


def _is_reference(v: struct_pb2.Value) -> bool:
    if v.WhichOneof("kind") != "struct_value":
        return False
    fields = v.struct_value.fields
    return _SIG in fields and fields[_SIG].string_value == _RESOURCE_SIG


def _has_reference(container: Any) -> bool:
    values = container.fields.values() if isinstance(container, struct_pb2.Struct) else container.values
    for v in values:
        kind = v.WhichOneof("kind")
        if kind == "struct_value" and (_is_reference(v) or _has_reference(v.struct_value)):
            return True
        if kind == "list_value" and _has_reference(v.list_value):
            return True
    return False


def _replace_references(container: Any) -> None:
    values = container.fields.values() if isinstance(container, struct_pb2.Struct) else container.values
    for v in values:
        if _is_reference(v):
            ref = v.struct_value.fields
            known_id = "id" in ref and ref["id"].string_value
            v.string_value = ref["id"].string_value if known_id else ref["urn"].string_value
        elif v.WhichOneof("kind") == "struct_value":
            _replace_references(v.struct_value)
        elif v.WhichOneof("kind") == "list_value":
            _replace_references(v.list_value)


class ProgramError(Exception):
    """The program raised; ``cause`` is the exception, ``graph`` what it had registered."""

    def __init__(self, cause: BaseException, graph: Graph) -> None:
        self.cause = cause
        self.graph = graph
        super().__init__(str(cause))


def run(
    stack: StackConfig,
    unknowns: bool = False,
    invoke_answers: InvokeAnswers | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> Graph:
    """Run the program of ``stack`` on the mock engine and return what it registered.

    ``unknowns=True`` runs it as a preview of a new stack: computed outputs stay unknown.
    """
    main = str(stack.main)
    saved_cwd = os.getcwd()
    os.chdir(stack.program_dir)
    try:
        with own_modules(stack.program_dir):
            return run_callable(
                lambda: runpy.run_path(main, run_name="__main__"),
                project=stack.project,
                stack=stack.stack,
                config=stack.config,
                secret_keys=stack.secret_keys,
                unknowns=unknowns,
                invoke_answers=invoke_answers,
                stack_outputs=stack_outputs,
            )
    finally:
        os.chdir(saved_cwd)


def run_callable(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str] = (),
    unknowns: bool = False,
    invoke_answers: InvokeAnswers | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> Graph:
    """Run ``program`` (any code that registers resources) inside a new stack on the mock
    engine, as the language host runs a program, and return the recorded graph. The region
    comes from ``aws:region`` in ``config``. Each call starts from a fresh runtime state.
    """
    mocks = OfflineMocks(
        config.get("aws:region") or "us-east-1",
        unknowns=unknowns,
        invoke_answers=invoke_answers,
        stack_outputs=stack_outputs,
    )
    monitor = RecordingMonitor(mocks)
    mocks.lookup = monitor.state_by_id
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    settings = MockSettings(
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
        engine=MockEngine(logging.getLogger("offline.program")),
        project=project,
        stack=stack,
        dry_run=True,  # a preview is a dry run in every mode (`pulumi preview` always is)
        organization="organization",
        callbacks=None,
    )
    configure(settings)
    set_root_resource(None)  # type: ignore[arg-type]

    def body() -> None:
        program()

    def graph() -> Graph:
        # Registration order depends on thread timing; sort so reports and JSON are reproducible.
        resources = sorted(monitor.recorded.values(), key=lambda r: (r.type != STACK_TYPE, r.urn))
        return Graph(project, stack, resources, monitor.stack_outputs, list(monitor.notes))

    try:
        with collector_paused():
            _sync_await(run_in_stack(body))
    except (Exception, SystemExit) as e:
        raise ProgramError(e, graph()) from e
    return graph()
