"""The tool schemas as sent in tools/list: every constraint pydantic writes, none of its padding.

pydantic titles every property ("User Id"), repeats examples, wraps each optional value in
`anyOf [X, null]` and puts enums in `$defs` behind a `$ref`. A client pays for all of it on every
session, and a model reads it as part of its context. `lean` keeps what a schema checks and what
describes it, and drops the rest; the result accepts exactly the same values.

Output schemas are published only by tools whose result says `publish_output_schema` (the lists): see
TaskAPIServer.list_tools for why the others send their structured result without one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.models import ID_PATTERN

_SCHEMA_MAPS = ("properties", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains")
_ANNOTATIONS = ("title", "examples")  # kept at the root only: the title names what a tool returns
_NULL = {"type": "null"}
_DEFS = "#/$defs/"


def lean(schema: dict[str, Any], *, nullable: bool = True) -> dict[str, Any]:
    """`schema` with property titles, examples and `default: null` dropped, and single-use `$ref`s inlined.

    A definition used once is written where it is used; one used more than once stays in `$defs`, shared
    (written once, referred to by each use). `anyOf [X, null]` becomes X with `"type": [X's type, "null"]`
    when `nullable` (results, where null is a value), or plain X when not (arguments: an optional argument
    is one to leave out; null is still taken).
    """
    definitions: dict[str, Any] = schema.get("$defs", {})
    uses = Counter(_refs(schema))
    shared = {name for name in definitions if uses[name] > 1}
    leaned = _lean(schema, definitions, shared, nullable=nullable, root=True)
    if shared:
        leaned["$defs"] = {
            name: _lean(definitions[name], definitions, shared, nullable=nullable, root=False)
            for name in sorted(shared)
        }
    return leaned


def _refs(schema: Any) -> list[str]:
    """The names of the definitions `schema` refers to, once per reference, those in `$defs` too: a definition
    that refers to itself counts twice, so it stays shared rather than being inlined forever."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        own = [ref.removeprefix(_DEFS)] if isinstance(ref, str) and ref.startswith(_DEFS) else []
        return own + [name for value in schema.values() for name in _refs(value)]
    if isinstance(schema, list):
        return [name for item in schema for name in _refs(item)]
    return []


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


def _lean(
    schema: dict[str, Any], definitions: dict[str, Any], shared: set[str], *, nullable: bool, root: bool
) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS) and ref.removeprefix(_DEFS) not in shared:
        target = definitions[ref.removeprefix(_DEFS)]
        schema = {**target, **{key: value for key, value in schema.items() if key != "$ref"}}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$defs" or (key in _ANNOTATIONS and not root) or (key == "default" and value is None):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {
                name: _lean(sub, definitions, shared, nullable=nullable, root=False) for name, sub in value.items()
            }
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_lean(sub, definitions, shared, nullable=nullable, root=False) for sub in value]
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = _lean(value, definitions, shared, nullable=nullable, root=False)
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
