"""What the offline preview shows and writes: a ``pulumi preview``-like tree, a count per
resource type, the policy verdicts, the JSON report and the Kubernetes manifests."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi_policy import proxy

from .analysis import Violation
from .engine import Graph, Resource

UNKNOWN_MARK = "[unknown]"
SECRET_MARK = "[secret]"
_UNKNOWNS = {
    rpc.UNKNOWN,
    proxy.UNKNOWN_BOOLEAN_VALUE,
    proxy.UNKNOWN_NUMBER_VALUE,
    proxy.UNKNOWN_ARRAY_VALUE,
    proxy.UNKNOWN_OBJECT_VALUE,
}


def plain(value: Any) -> Any:
    """A struct (or a value inside one) as plain JSON: secrets masked, unknowns marked,
    resource references as their URN, whole-number floats as ints."""
    if isinstance(value, struct_pb2.Struct):
        value = json_format.MessageToDict(value)
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return SECRET_MARK
        if sig == rpc._special_resource_sig:
            return value.get("urn")
        if sig == rpc._special_output_value_sig:
            if value.get("secret"):
                return SECRET_MARK
            return plain(value["value"]) if "value" in value else UNKNOWN_MARK
        return {k: plain(v) for k, v in value.items() if k != rpc._special_sig_key}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value in _UNKNOWNS:
        return UNKNOWN_MARK
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def resource_json(r: Resource) -> dict[str, Any]:
    outputs = plain(r.outputs)
    if r.custom:
        outputs = {"id": r.id or UNKNOWN_MARK, **outputs}
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "parent": r.parent,
        "custom": r.custom,
        "inputs": plain(r.inputs),
        "outputs": outputs,
        "dependencies": r.dependencies,
        "propertyDependencies": r.property_dependencies,
        "protect": r.protect,
        "retainOnDelete": r.retain_on_delete,
        "customTimeouts": r.custom_timeouts or None,
        "external": r.external,
        "provider": r.provider or None,
    }


def report_json(graph: Graph, violations: list[Violation] | None) -> dict[str, Any]:
    return {
        "project": graph.project,
        "stack": graph.stack,
        "resources": [resource_json(r) for r in graph.resources],
        "outputs": plain(graph.outputs),
        "policyViolations": [v.as_json() for v in violations or []],
        "notVerifiedOffline": list(graph.notes),
    }


def display_type(token: str) -> str:
    """``aws:ec2/securityGroup:SecurityGroup`` -> ``aws:ec2:SecurityGroup``, as ``pulumi preview``
    shows types (the JSON report keeps full tokens)."""
    parts = token.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        module, member = parts[1].rsplit("/", 1)
        if member.lower() == parts[2].lower():
            return f"{parts[0]}:{module}:{parts[2]}"
    return token


def _where(v: Violation) -> str:
    """``aws:lb:Listener web-http`` for a resource's violation (its own type, without the parent
    types a URN carries), ``stack`` for a stack-wide one."""
    if not v.urn:
        return "stack"
    qualified, name = v.urn.rsplit("::", 2)[-2:]
    return f"{display_type(qualified.rsplit('$', 1)[-1])} {name}"


def print_tree(graph: Graph, out: TextIO) -> None:
    children: dict[str | None, list[Resource]] = {}
    known = {r.urn for r in graph.resources}
    for r in graph.resources:
        children.setdefault(r.parent if r.parent in known else None, []).append(r)
    rows: list[tuple[str, str, str]] = []

    def walk(r: Resource, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        # As `pulumi preview` marks them: + create, >- read.
        rows.append((">-" if r.external else "+ ", prefix + branch + display_type(r.type), r.name))
        kids = children.get(r.urn, [])
        next_prefix = prefix if depth == 0 else prefix + ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, next_prefix, i == len(kids) - 1, depth + 1)

    for root in children.get(None, []):
        walk(root, "", True, 0)
    width = max([len(t) for _, t, _ in rows] + [4]) + 3
    out.write(f"     {'Type':<{width}}Name\n")
    for op, type_col, name in rows:
        out.write(f" {op}  {type_col:<{width}}{name}\n")


@dataclass(frozen=True)
class Counts:
    """What ``pulumi preview`` would count: every resource it creates (the stack, components and
    explicit providers included), and the reads apart; per type in its display form."""

    create: int
    read: int
    by_type: list[tuple[str, int]]

    @classmethod
    def of(cls, graph: Graph) -> Counts:
        read = sum(1 for r in graph.resources if r.external)
        by_type = Counter(display_type(r.type) for r in graph.resources)
        return cls(len(graph.resources) - read, read, sorted(by_type.items()))

    def line(self) -> str:
        return f"Resources: {self.create} to create" + (f", {self.read} to read" if self.read else "")


def print_summary(graph: Graph, out: TextIO) -> None:
    counts = Counts.of(graph)
    out.write(f"\n{counts.line()}\n")
    for token, count in counts.by_type:
        out.write(f"    {count:>4}  {token}\n")


def print_outputs(graph: Graph, out: TextIO) -> None:
    outputs = plain(graph.outputs)
    if outputs:
        out.write("\nOutputs:\n")
        for key in sorted(outputs):
            out.write(f"    {key}: {json.dumps(outputs[key])}\n")


def print_notes(graph: Graph, out: TextIO, quiet: bool = False) -> None:
    """What the offline engine could not model: no policy saw it, so no verdict covers it
    (listed even when ``quiet``: it must never pass silently)."""
    if not graph.notes:
        return
    out.write("Not verified offline:\n" if quiet else "\nNot verified offline:\n")
    for note in graph.notes:
        out.write(f"    {note}\n")


_ORDER = {"mandatory": 0, "advisory": 1}


def _sorted(violations: list[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (_ORDER.get(v.level, 2), v.policy, v.urn))


def verdict(pack_name: str, violations: list[Violation], policy_config: str) -> str:
    """``Policies: <pack>: passed (0 mandatory, 2 advisory) with <config>``."""
    mandatory = sum(v.level == "mandatory" for v in violations)
    advisory = len(violations) - mandatory
    state = "FAILED" if mandatory else "passed"
    return f"Policies: {pack_name}: {state} ({mandatory} mandatory, {advisory} advisory) with {policy_config}"


_TOKEN = re.compile(r"\b[a-z][\w-]*:[\w.-]+/\w+:\w+\b")


def displayed(text: str) -> str:
    """``text`` with every full type token in its display form (policy messages name types)."""
    return _TOKEN.sub(lambda m: display_type(m.group(0)), text)


def print_violations(
    pack_name: str, violations: list[Violation], out: TextIO, policy_config: str, quiet: bool = False
) -> None:
    """The verdict, then each violation with its message (``quiet``: a mandatory one's only)."""
    out.write(f"{'' if quiet else chr(10)}{verdict(pack_name, violations, policy_config)}\n")
    for v in _sorted(violations):
        out.write(f"    [{v.level}] {v.policy}  ({_where(v)})\n")
        if not quiet or v.level == "mandatory":
            for line in displayed(v.message).splitlines():
                out.write(f"        {line}\n")


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    lines = (line.strip() for line in displayed(text).splitlines())
    return "<br>".join(line for line in lines if line).replace("|", "\\|")


def summary_markdown(
    graph: Graph,
    violations: list[Violation] | None,
    pack_name: str | None,
    policy_config: str,
    unknowns: bool,
) -> str:
    """A pull-request comment or job summary of one preview: the stack, the verdict with each
    violation, what was not verified offline, and the resources by type."""
    mode = " (new stack: unknowns)" if unknowns else ""
    counts = Counts.of(graph)
    lines = [f"### Offline preview: {graph.project} / {graph.stack}{mode}", ""]
    if pack_name is None:
        lines += ["**Policies: not run** (`--no-policy`)", ""]
    else:
        found = violations or []
        lines += [f"**{verdict(pack_name, found, policy_config)}**", ""]
        if found:
            lines += ["| level | rule | resource | message |", "|---|---|---|---|"]
            lines += [f"| {v.level} | `{v.policy}` | `{_where(v)}` | {_cell(v.message)} |" for v in _sorted(found)]
            lines.append("")
    if graph.notes:
        lines += ["**Not verified offline** (no policy saw these):", ""]
        lines += [f"- {_cell(note)}" for note in graph.notes]
        lines.append("")
    lines += [f"<details><summary>{counts.line()}</summary>", "", "| type | count |", "|---|---:|"]
    lines += [f"| `{token}` | {count} |" for token, count in counts.by_type]
    lines += ["", "</details>", "", ""]
    return "\n".join(lines)


def write_kubernetes(graph: Graph, out_dir: Path) -> list[Path]:
    """Every Kubernetes object the program would apply, one YAML file each."""
    written = []
    target = out_dir / "kubernetes"
    for r in graph.resources:
        if not r.custom or not r.type.startswith("kubernetes:") or r.type.startswith("kubernetes:helm"):
            continue
        manifest = plain(r.inputs)
        if "apiVersion" not in manifest or "kind" not in manifest:
            continue
        meta = dict(manifest.get("metadata") or {})
        if not meta.get("name"):
            # An auto-named object: the provider's name for it is in the recorded outputs.
            meta["name"] = (plain(r.outputs).get("metadata") or {}).get("name") or r.name
        # The order kubectl users read: apiVersion, kind, metadata, then the rest.
        manifest = {"apiVersion": manifest.pop("apiVersion"), "kind": manifest.pop("kind"), "metadata": meta,
                    **{k: v for k, v in manifest.items() if k != "metadata"}}  # fmt: skip
        name = meta["name"]
        stem = "-".join(p for p in (manifest["kind"].lower(), meta.get("namespace"), name) if p)
        target.mkdir(parents=True, exist_ok=True)
        path = target / (re.sub(r"[^A-Za-z0-9_.-]", "_", stem) + ".yaml")
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        written.append(path)
    return written
