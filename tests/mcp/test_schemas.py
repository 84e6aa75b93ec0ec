"""Lean schemas accept exactly what pydantic's schemas accept, in fewer bytes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel, Field

from mcp_server.schemas import lean, lean_arguments
from shared.models import ID_PATTERN, CallStatus, EntityId
from tests.mcp.conftest import output_validator


class Sample(BaseModel):
    """A result with what the entities have: an enum, a nullable enum, nullable text, a property named title."""

    id: str
    title: str = Field(description="A property that happens to be called title.")
    status: CallStatus
    previous: CallStatus | None = None
    notes: str | None = None
    when: datetime
    tags: list[str] = []


VALUES: list[dict[str, Any]] = [
    {"id": "a", "title": "t", "status": "scheduled", "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "title": "t", "status": "scheduled", "previous": None, "notes": None, "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "title": "t", "status": "done", "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "title": "t", "status": "scheduled", "previous": "cancelled", "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "title": "t", "status": "scheduled", "previous": "gone", "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "title": 3, "status": "scheduled", "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "status": "scheduled", "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "title": "t", "status": "scheduled", "notes": 5, "when": "2025-10-24T10:30:00Z"},
    {"id": "a", "title": "t", "status": "scheduled", "when": "yesterday"},
    {"id": "a", "title": "t", "status": "scheduled", "when": "2025-10-24T10:30:00Z", "tags": ["x", 1]},
]


def accepts(schema: dict[str, Any], value: dict[str, Any]) -> bool:
    return bool(output_validator(schema).is_valid(value))


@pytest.mark.parametrize("value", VALUES)
def test_a_lean_result_schema_accepts_exactly_what_the_original_accepts(value: dict[str, Any]) -> None:
    original = Sample.model_json_schema()

    assert accepts(lean(original), value) == accepts(original, value)


def test_lean_inlines_a_definition_used_once_drops_titles_and_folds_null_into_the_type() -> None:
    class Once(BaseModel):
        title: str
        previous: CallStatus | None = None
        notes: str | None = None

    schema = lean(Once.model_json_schema())
    properties = schema["properties"]

    assert schema["title"] == "Once"  # the root keeps its name
    assert "$defs" not in schema and "$ref" not in json.dumps(schema)
    assert "title" in properties  # a property called title is a property, not an annotation
    assert all("title" not in prop for prop in properties.values())
    assert properties["notes"] == {"type": ["string", "null"]}
    assert properties["previous"] == {
        "enum": ["scheduled", "completed", "cancelled", "rescheduled", None],
        "type": ["string", "null"],
    }


def test_lean_keeps_a_definition_used_twice_shared() -> None:
    schema = lean(Sample.model_json_schema())

    assert schema["$defs"] == {
        "CallStatus": {"enum": ["scheduled", "completed", "cancelled", "rescheduled"], "type": "string"}
    }
    assert schema["properties"]["status"] == {"$ref": "#/$defs/CallStatus"}
    assert len(json.dumps(schema)) < len(json.dumps(Sample.model_json_schema()))


def test_lean_keeps_a_recursive_definition_shared() -> None:
    class Node(BaseModel):
        name: str
        children: list[Node] = []

    class Tree(BaseModel):
        root: Node

    schema = lean(Tree.model_json_schema())

    assert schema["properties"]["root"] == {"$ref": "#/$defs/Node"}
    assert schema["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert accepts(schema, {"root": {"name": "a", "children": [{"name": "b"}]}})
    assert not accepts(schema, {"root": {"name": "a", "children": [{"name": 1}]}})


def test_lean_arguments_leave_null_out_and_the_id_pattern_and_the_title() -> None:
    class Arguments(BaseModel):
        user_id: EntityId
        status: CallStatus | None = None
        notes: str | None = Field(default=None, description="Free text.")

    schema = lean_arguments(Arguments.model_json_schema())

    assert "title" not in schema
    assert schema["properties"]["user_id"] == {
        "description": "An id as returned when it was created.",
        "type": "string",
    }
    assert ID_PATTERN not in json.dumps(schema)
    assert schema["properties"]["status"] == {
        "enum": ["scheduled", "completed", "cancelled", "rescheduled"],
        "type": "string",
    }
    assert schema["properties"]["notes"] == {"type": "string", "description": "Free text."}
    assert schema["required"] == ["user_id"]
