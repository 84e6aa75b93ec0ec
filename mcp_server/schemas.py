"""The tool schemas as sent in tools/list: every constraint pydantic writes, none of its padding.

pydantic titles every property ("User Id"), repeats examples, wraps each optional value in
`anyOf [X, null]` and puts enums in `$defs` behind a `$ref`. A client pays for all of it on every
session, and a model reads it as part of its context. `lean` keeps what a schema checks and what
describes it, and drops the rest; the result accepts exactly the same values.

Output schemas are published only by tools whose result says `publish_output_schema` (the lists): see
TaskAPIServer.list_tools for why the others send their structured result without one.
"""

from __future__ import annotations

from typing import Any

from shared.models import ID_PATTERN

_SCHEMA_MAPS = ("properties", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains")
_ANNOTATIONS = ("title", "examples")  # kept at the root only: the title names what a tool returns
_NULL = {"type": "null"}


def lean(schema: dict[str, Any], *, nullable: bool = True) -> dict[str, Any]:
    """`schema` with its `$ref`s inlined and property titles, examples and `default: null` dropped.

    `anyOf [X, null]` becomes X with `"type": [X's type, "null"]` when `nullable` (results, where null is a
    value), or plain X when not (arguments: an optional argument is one to leave out; null is still taken).
    """
    definitions: dict[str, Any] = schema.get("$defs", {})
    return _lean(schema, definitions, nullable=nullable, root=True)


def lean_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """An input schema, lean; also without its title (the SDK's "<tool>Arguments" says nothing) and without
    the id pattern: ids are opaque, copied from a result and never composed, and the server still checks
    them (ID_PATTERN), answering a bad one with what to call to get a valid one."""
    leaned = lean(schema, nullable=False)
    leaned.pop("title", None)
    for argument in leaned.get("properties", {}).values():
        if argument.get("pattern") == ID_PATTERN:
            del argument["pattern"]
    return leaned


def _lean(schema: dict[str, Any], definitions: dict[str, Any], *, nullable: bool, root: bool) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = definitions[ref.removeprefix("#/$defs/")]
        schema = {**target, **{key: value for key, value in schema.items() if key != "$ref"}}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$defs" or (key in _ANNOTATIONS and not root) or (key == "default" and value is None):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _lean(sub, definitions, nullable=nullable, root=False) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_lean(sub, definitions, nullable=nullable, root=False) for sub in value]
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = _lean(value, definitions, nullable=nullable, root=False)
        else:
            out[key] = value
    return _collapse_nullable(out, nullable=nullable)


def _collapse_nullable(schema: dict[str, Any], *, nullable: bool) -> dict[str, Any]:
    options = schema.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or _NULL not in options:
        return schema
    [other] = [option for option in options if option != _NULL]
    kind = other.get("type")
    if nullable and not isinstance(kind, str):
        return schema  # nothing to fold the null into (an enum without a type): keep the anyOf
    merged = {**other, **{key: value for key, value in schema.items() if key != "anyOf"}}
    if nullable:
        merged["type"] = [kind, "null"]
        if "enum" in merged:
            merged["enum"] = [*merged["enum"], None]
    return merged
