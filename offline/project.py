"""A Pulumi project directory and the config of one of its stacks, merged as the CLI does.

``Pulumi.yaml``'s ``config:`` block declares project keys (``type``, ``default``, ``items``,
``secret``) and may give values for other namespaces (``aws:region: {value: ...}``);
``Pulumi.<stack>.yaml`` overrides them. Values reach the program as strings (objects and arrays
as JSON), like the engine hands them over. Declared types are checked the way ``pulumi preview``
checks them, so a stack file with ``azCount: three`` fails here too.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SECRET_PLACEHOLDER = "offline-secret-placeholder"


class ProjectError(Exception):
    """The project or stack files are missing or invalid."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    program_dir: Path
    main: Path
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)
    # A stack needs no config file (``pulumi stack init`` writes none); say when there was none.
    config_file_missing: bool = False

    @property
    def region(self) -> str | None:
        return self.config.get("aws:region")

    def namespace(self, package: str) -> dict[str, str]:
        """Config of one namespace (e.g. ``aws``), keys without the prefix."""
        prefix = package + ":"
        return {k[len(prefix) :]: v for k, v in self.config.items() if k.startswith(prefix)}


def _without_secure(value: Any) -> tuple[Any, bool]:
    """``value`` with each ``{secure: ...}`` in it replaced by the placeholder, and whether any was."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        items = {k: _without_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(found for _, found in items.values())
    if isinstance(value, list):
        pairs = [_without_secure(v) for v in value]
        return [v for v, _ in pairs], any(found for _, found in pairs)
    return value, False


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads it: a key given twice in one mapping is an error (go-yaml v3:
    "mapping key ... already defined at line N"), where PyYAML would silently keep the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping key {key!r} already defined at line {seen[key] + 1}", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


#: The top-level keys of a stack file (the CLI's ProjectStack: pkg/workspace/project.go).
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(), Loader=_UniqueKeyLoader) or {}  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as e:
        raise ProjectError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping at the top level")
    return data


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _type_error(key: str, value: Any, declared: dict[str, Any]) -> str | None:
    kind = declared.get("type")
    is_int = not isinstance(value, bool) and isinstance(value, int)
    if kind == "integer" and not is_int and not (isinstance(value, str) and value.lstrip("-").isdigit()):
        return f"{key}: {value!r} is not an integer (declared type integer in Pulumi.yaml)"
    if kind == "boolean" and not isinstance(value, bool) and value not in ("true", "false"):
        return f"{key}: {value!r} is not a boolean (declared type boolean in Pulumi.yaml)"
    if kind == "string" and isinstance(value, (dict, list)):
        return f"{key}: {value!r} is not a string (declared type string in Pulumi.yaml)"
    if kind == "array":
        if not isinstance(value, list):
            return f"{key}: {value!r} is not a list (declared type array in Pulumi.yaml)"
        item_type = (declared.get("items") or {}).get("type")
        for item in value:
            error = _type_error(f"{key}[]", item, {"type": item_type}) if item_type else None
            if error:
                return error
    return None


#: The project schema's config types (sdk/go/common/workspace/project.json); the CLI refuses others.
CONFIG_TYPES = ("string", "integer", "boolean", "array")
_DECLARATION_KEYS = {"type", "items", "description", "secret", "default", "value"}


def _check_declaration(project_file: Path, key: str, spec: dict[str, Any]) -> None:
    """Refuse a config declaration the Pulumi CLI would refuse, so offline and real agree."""
    where = f"{project_file}: config.{key}"
    unknown = sorted(set(spec) - _DECLARATION_KEYS)
    if unknown:
        raise ProjectError(f"{where}: unknown fields {', '.join(unknown)}")
    if "value" in spec:
        return  # a value for the key, not a declaration
    if "type" not in spec:
        # A declaration may be untyped: the CLI then takes the default (or stack value) as given
        # (pulumi/pulumi sdk/go/common/workspace/project.go, Project.Validate checks only
        # explicitly typed keys; project.json, configTypeDeclaration, requires no type).
        return
    kind = spec.get("type")
    if kind not in CONFIG_TYPES:
        raise ProjectError(f"{where}: type {kind!r} is not one the Pulumi CLI accepts ({', '.join(CONFIG_TYPES)})")
    items = spec.get("items")
    if kind == "array" and not (isinstance(items, dict) and items.get("type") in CONFIG_TYPES):
        raise ProjectError(f"{where}: an array needs items with a type ({', '.join(CONFIG_TYPES)})")


def load(program_dir: Path, stack: str) -> StackConfig:
    """Read ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` from ``program_dir``."""
    program_dir = program_dir.resolve()
    project_file = program_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise ProjectError(f"{program_dir} is not a Pulumi project: no Pulumi.yaml")
    project_doc = _yaml(project_file)
    name = project_doc.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{project_file}: 'name' is missing")
    runtime = project_doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(
            f"{project_file}: runtime {runtime_name!r} is not python; the offline engine runs Python programs"
        )
    main = program_dir / str(project_doc.get("main") or "")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise ProjectError(
            f"{program_dir}: no program entry point {main.name} (set 'main' in Pulumi.yaml or add __main__.py)"
        )

    config_dir = program_dir / str(project_doc.get("stackConfigDir") or "")
    stack_file = config_dir / f"Pulumi.{stack}.yaml"
    missing = not stack_file.is_file()
    if missing:
        # The CLI runs a stack without a config file (the project's defaults apply). When other
        # stacks have files, a missing one is most likely a mistyped name: refuse and list them.
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
        if known:
            raise ProjectError(f"no stack config {stack_file.name} in {config_dir}; stacks here: {', '.join(known)}")
    stack_doc = {} if missing else _yaml(stack_file)
    for key in stack_doc:
        if key not in STACK_FILE_KEYS:
            close = difflib.get_close_matches(str(key), STACK_FILE_KEYS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ProjectError(
                f"{stack_file.name}: unknown top-level key '{key}': {hint}a stack file holds "
                + ", ".join(STACK_FILE_KEYS)
            )

    declared: dict[str, dict[str, Any]] = {}
    raw: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, spec in (project_doc.get("config") or {}).items():
        if ":" in key and not key.startswith(name + ":"):
            raw[key] = spec.get("value") if isinstance(spec, dict) else spec
            continue
        full = key if ":" in key else f"{name}:{key}"
        if isinstance(spec, dict):
            _check_declaration(project_file, key, spec)
        schema = spec if isinstance(spec, dict) else {"default": spec}
        declared[full] = schema
        if "default" in schema:
            raw[full] = schema["default"]
        elif "value" in schema:
            raw[full] = schema["value"]
        if schema.get("secret"):
            secret_keys.add(full)

    for key, given in (stack_doc.get("config") or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        value, secure = _without_secure(given)
        if secure:
            # The CLI decrypts `secure:` values (also leaves of a structured value) and marks the
            # whole key secret; offline the program sees a placeholder in their place.
            secret_keys.add(full)
        raw[full] = value

    errors = [e for k, v in raw.items() if k in declared for e in [_type_error(k, v, declared[k])] if e]
    if errors:
        raise ProjectError(f"{stack_file.name}: " + "; ".join(errors))

    config = {k: _as_config_string(v) for k, v in raw.items() if v is not None}
    return StackConfig(name, stack, program_dir, main, config, sorted(secret_keys), config_file_missing=missing)
