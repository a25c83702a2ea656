"""Runs a Pulumi Python program on the SDK's mock engine and records the resource graph.

The program runs as the Python language host runs it (``runpy`` inside ``run_in_stack``), with
the stack's config set, against a :class:`RecordingMonitor`: a ``MockMonitor`` that keeps every
RegisterResource request (type, name, parent, custom, inputs, dependencies, property
dependencies, provider, protect...) as it arrived, and the outputs the mocks answered. Inputs and
outputs are kept as the protobuf structs the engine would see, so the policy analyzer receives
exactly what the Pulumi CLI would send it (unknowns and secrets included).
"""

from __future__ import annotations

import logging
import os
import runpy
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockResourceArgs, MockSettings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import configure, set_root_resource
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from .invokes import InvokeAnswers
from .mocks import OfflineMocks
from .project import StackConfig

STACK_TYPE = "pulumi:pulumi:Stack"


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
    external: bool = False
    """Read, not managed: ``Resource.get(...)``, a stack reference."""


@dataclass
class Graph:
    project: str
    stack: str
    resources: list[Resource]
    outputs: struct_pb2.Struct


class RecordingMonitor(MockMonitor):
    """A MockMonitor that records the full RegisterResource requests (thread-safe: the SDK
    registers resources from several threads)."""

    def __init__(self, mocks: OfflineMocks) -> None:
        super().__init__(mocks)
        self._lock = threading.Lock()
        self.recorded: dict[str, Resource] = {}
        self.stack_outputs = struct_pb2.Struct()

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
        )
        if request.type == STACK_TYPE:
            with self._lock:
                self.recorded[urn] = record
            return resource_pb2.RegisterResourceResponse(urn=urn)

        _ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        # Remote components (awsx...) have their outputs computed by their provider; under
        # mocks their children never appear, but their outputs must still resolve.
        if request.custom or request.remote:
            id_, state = self.mocks.new_resource(
                MockResourceArgs(
                    typ=request.type,
                    name=request.name,
                    inputs=inputs,
                    provider=request.provider,
                    resource_id=request.importId or None,
                    custom=bool(request.custom),
                )
            )
            id_ = (id_ or "") if request.custom else ""
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

    def ReadResource(self, request: Any) -> Any:
        """A read resource (``aws.ec2.Subnet.get(...)``, a stack reference): the engine reads its
        state and keeps it in the stack as an external resource, which stack analyzers see."""
        _ensure_event_loop()
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = rpc.deserialize_properties(request.properties, keep_unknowns=True)
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
        return resource_pb2.ReadResourceResponse(urn=urn, properties=outputs)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        with self._lock:
            record = self.recorded.get(request.urn)
            if record is not None and not record.custom:
                record.outputs = request.outputs
            if record is not None and record.type == STACK_TYPE:
                self.stack_outputs = request.outputs
        return empty_pb2.Empty()


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
    program_dir = str(stack.program_dir)
    saved_path, saved_cwd = list(sys.path), os.getcwd()
    sys.path.insert(0, program_dir)
    os.chdir(program_dir)
    try:
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
        sys.path[:] = saved_path
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
        return Graph(project, stack, resources, monitor.stack_outputs)

    try:
        _sync_await(run_in_stack(body))
    except (Exception, SystemExit) as e:
        raise ProgramError(e, graph()) from e
    return graph()
