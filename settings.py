"""Stack settings: the stack's config, read once, validated, as frozen typed dataclasses.

``parse(project, config)`` is pure (a mapping of ``namespace:key`` to the string values the
Pulumi engine hands a program) so it is tested without Pulumi. ``load()`` collects the running
program's config and calls it. Any bad value raises :class:`ConfigError` naming the config key,
the value and what is allowed, before a single resource is registered. ``ConfigError`` is a
``pulumi.RunError``, so the Pulumi CLI reports it as a plain message, without a traceback, and
the offline preview exits with status 2.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime

from components._validation import ArgumentError
from components.network import DEFAULT_INTERFACE_ENDPOINTS, NetworkArgs


class ConfigError(pulumi.RunError):
    """A stack config value is invalid; the message names the key."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key = key
        super().__init__(f"invalid config {key}={value!r}: {allowed}")


@dataclass(frozen=True)
class PlatformSettings:
    project: str
    region: str
    network: NetworkArgs


# Project config keys (without the project namespace): how each value is read, and which Args
# field it becomes. Pulumi.yaml declares the same keys with their defaults and descriptions.
_INTEGER = "integer"
_STRING = "string"
_STRING_LIST = "array of strings"

_KEYS: dict[str, tuple[str, str]] = {
    "vpcCidr": (_STRING, "cidr_block"),
    "azCount": (_INTEGER, "az_count"),
    "subnetPrefixLength": (_INTEGER, "subnet_prefix_length"),
    "natStrategy": (_STRING, "nat_strategy"),
    "interfaceEndpoints": (_STRING_LIST, "interface_endpoints"),
    "flowLogRetentionDays": (_INTEGER, "flow_log_retention_days"),
}
_FIELD_TO_KEY = {field: key for key, (_, field) in _KEYS.items()}

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def _read(key: str, kind: str, raw: str) -> Any:
    if kind == _STRING:
        return raw
    if kind == _INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(key, raw, "must be an integer") from None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(key, raw, "must be a list of strings, e.g. [ecr.api, logs]")
    return tuple(value)


def parse(project: str, config: Mapping[str, str]) -> PlatformSettings:
    """Validate the stack config (``namespace:key`` -> string value) into settings."""
    prefix = f"{project}:"
    unknown = sorted(k for k in config if k.startswith(prefix) and k[len(prefix) :] not in _KEYS)
    if unknown:
        raise ConfigError(
            unknown[0], config[unknown[0]], "unknown config key; the project's keys are " + ", ".join(sorted(_KEYS))
        )

    region = config.get("aws:region")
    if not region:
        raise ConfigError("aws:region", region, "must be set: pulumi config set aws:region eu-west-1")
    if not _REGION.match(region):
        raise ConfigError("aws:region", region, "must be an AWS region name such as eu-west-1")

    values = {
        field: _read(prefix + key, kind, config[prefix + key])
        for key, (kind, field) in _KEYS.items()
        if prefix + key in config
    }
    network = _build(prefix, NetworkArgs, values)
    return PlatformSettings(project=project, region=region, network=network)


def _build(prefix: str, args_type: Callable[..., Any], values: dict[str, Any]) -> Any:
    """Construct an Args dataclass, turning its field-named error into a key-named one."""
    try:
        return args_type(**values)
    except ArgumentError as e:
        keys = " / ".join(prefix + _FIELD_TO_KEY.get(f, f) for f in e.fields)
        shown = e.value
        if isinstance(shown, (tuple, list)):
            shown = list(shown)
        raise ConfigError(keys, shown, e.allowed) from None


def load() -> PlatformSettings:
    """Read the running program's config (as the engine passed it) and parse it."""
    config: dict[str, Any] = dict(pulumi.runtime.get_config_env())
    # The language host stores the engine's config here; there is no public "all keys" API.
    config.update(pulumi.runtime.config.CONFIG.get())
    return parse(pulumi.get_project(), {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})


__all__ = ["DEFAULT_INTERFACE_ENDPOINTS", "ConfigError", "PlatformSettings", "load", "parse"]
