"""What a client learns from listing the server: names, titles, hints, and schemas it can rely on."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp.types import Tool

from mcp_server import build_mcp
from mcp_server.server import TaskAPIServer
from shared.services import Services
from shared.storage import LocalStorage, ObjectRef, StoredObject
from tests.mcp.conftest import BUCKET, READS, output_validator

pytestmark = pytest.mark.anyio

READ_ONLY = READS
ADDITIVE = {"create_user", "schedule_call", "create_task"}
IDEMPOTENT_UPDATES = {"update_call_status", "reschedule_call", "update_task_status", "update_task", "revert_change"}


@pytest.fixture
async def listed(client: Client) -> dict[str, Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


def properties(tool: Tool) -> dict[str, Any]:
    props: dict[str, Any] = tool.input_schema["properties"]
    return props


def resolve(tool: Tool, schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema, with a `$ref` (or a nullable `anyOf` around one) replaced by its definition."""
    if "anyOf" in schema:
        [schema] = [option for option in schema["anyOf"] if option.get("type") != "null"]
    if "$ref" in schema:
        definition: dict[str, Any] = tool.input_schema["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        return definition
    return schema


async def test_the_server_introduces_itself_and_the_domain(client: Client) -> None:
    assert client.server_info is not None
    assert client.server_info.name == "task-api"
    instructions = client.instructions or ""
    for word in ("users", "calls", "tasks", "find_users", "create_user", "user_id", "next_cursor"):
        assert word in instructions


async def test_every_tool_of_the_spec_is_listed_with_a_title_and_a_description(
    listed: dict[str, Tool],
) -> None:
    assert set(listed) == READ_ONLY | ADDITIVE | IDEMPOTENT_UPDATES
    for tool in listed.values():
        assert tool.title, tool.name
        assert tool.description, tool.name
        assert not tool.description.startswith(" ")
        assert "\n    " not in tool.description  # docstring indentation is not sent to the model


async def test_tool_annotations_tell_reads_from_additive_and_idempotent_writes(listed: dict[str, Tool]) -> None:
    for name, tool in listed.items():
        hints = tool.annotations
        assert hints is not None, name
        assert hints.open_world_hint is False, name
        if name in READ_ONLY:
            assert hints.read_only_hint is True, name
        else:
            assert hints.read_only_hint is False, name
            assert hints.destructive_hint is False, name
            assert hints.idempotent_hint is (name in IDEMPOTENT_UPDATES), name


@pytest.mark.parametrize(
    ("tool", "prerequisites"),
    [
        ("schedule_call", ["find_users", "create_user"]),
        ("create_user", ["find_users"]),
        ("create_task", ["find_users", "list_tasks"]),
        ("get_user", ["find_users"]),
        ("get_call", ["list_calls"]),
        ("update_call_status", ["list_calls", "reschedule_call"]),
        ("reschedule_call", ["list_calls", "schedule_call"]),
        ("get_task", ["list_tasks"]),
        ("update_task", ["list_tasks", "update_task_status"]),
        ("list_users", ["next_cursor", "find_users"]),
        ("get_user_overview", ["find_users", "get_call", "get_task"]),
    ],
)
async def test_descriptions_say_what_to_call_first_or_instead(
    listed: dict[str, Tool], tool: str, prerequisites: list[str]
) -> None:
    for name in prerequisites:
        assert name in (listed[tool].description or "")


async def test_input_schemas_carry_the_rest_limits(listed: dict[str, Tool]) -> None:
    create_user = properties(listed["create_user"])
    assert (create_user["name"]["minLength"], create_user["name"]["maxLength"]) == (1, 100)
    assert (create_user["company"]["minLength"], create_user["company"]["maxLength"]) == (1, 100)
    assert create_user["email"]["format"] == "email"
    assert resolve(listed["create_user"], create_user["user_type"])["enum"] == ["client", "prospect", "partner"]
    assert create_user["user_type"]["default"] == "client"
    assert resolve(listed["create_user"], create_user["notes"])["maxLength"] == 500
    assert set(listed["create_user"].input_schema["required"]) == {"name", "email", "company"}

    schedule_call = properties(listed["schedule_call"])
    assert (
        schedule_call["duration_minutes"] | {"minimum": 15, "maximum": 240, "default": 30}
        == (schedule_call["duration_minutes"])
    )
    assert schedule_call["scheduled_for"]["format"] == "date-time"
    assert schedule_call["title"]["maxLength"] == 200
    assert schedule_call["user_id"]["type"] == "string"

    call_status = resolve(listed["update_call_status"], properties(listed["update_call_status"])["status"])
    assert call_status["enum"] == ["scheduled", "completed", "cancelled", "rescheduled"]
    task_status = resolve(listed["update_task_status"], properties(listed["update_task_status"])["status"])
    assert task_status["enum"] == ["todo", "in_progress", "done", "cancelled"]

    create_task = properties(listed["create_task"])
    assert resolve(listed["create_task"], create_task["description"])["maxLength"] == 1000
    assert resolve(listed["create_task"], create_task["due_date"])["format"] == "date-time"
    reschedule = properties(listed["reschedule_call"])
    assert resolve(listed["reschedule_call"], reschedule["duration_minutes"])["minimum"] == 15


@pytest.mark.parametrize("tool", ["list_users", "find_users", "list_calls", "list_tasks"])
async def test_list_tools_take_a_limit_of_1_to_200_defaulting_to_50_and_a_cursor(
    listed: dict[str, Tool], tool: str
) -> None:
    limit = properties(listed[tool])["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 200, 50)
    assert "cursor" in properties(listed[tool])


async def test_every_argument_is_described(listed: dict[str, Tool]) -> None:
    for tool in listed.values():
        for name, schema in properties(tool).items():
            assert schema.get("description"), f"{tool.name}.{name}"


PAGES = {"list_users": "UserPage", "find_users": "UserPage", "list_calls": "CallPage", "list_tasks": "TaskPage"}


async def test_the_lists_publish_a_lean_output_schema_and_the_entity_tools_none(listed: dict[str, Tool]) -> None:
    published = {name: tool.output_schema for name, tool in listed.items() if tool.output_schema is not None}

    assert {name: schema.get("title") for name, schema in published.items()} == PAGES
    for schema in published.values():
        assert schema["type"] == "object"
        assert schema["required"] == ["items", "has_more"]
        item = schema["properties"]["items"]["items"]
        assert "required" not in item  # `fields` decides which are there
        assert "$defs" not in json.dumps(schema)
        assert all("title" not in field for field in item["properties"].values())


async def test_every_tool_result_is_checked_against_a_schema_named_for_what_it_returns(
    server: TaskAPIServer, listed: dict[str, Tool]
) -> None:
    titles = {name: (server.result_schema(name) or {}).get("title") for name in listed}

    # get: the whole entity; writes: its compact form, the fields a list item has by default.
    assert titles == PAGES | {
        "create_user": "UserItemWithNote",
        "get_user": "User",
        "schedule_call": "ScheduledCallItem",
        "get_call": "ScheduledCall",
        "update_call_status": "ScheduledCallItem",
        "reschedule_call": "ScheduledCallItem",
        "create_task": "TaskItem",
        "get_task": "Task",
        "update_task_status": "TaskItem",
        "update_task": "TaskItem",
        "get_history": "HistoryDigest",
        "revert_change": "RevertResult",
        "get_current_time": "CurrentTime",
        "get_user_overview": "UserBriefing",
    }
    for name, title in titles.items():
        if title and title.endswith("Item"):
            schema = server.result_schema(name) or {}
            assert set(schema["properties"]) == set(schema["required"])  # every compact field is always there


async def test_output_schema_check_is_strict_about_date_times(server: TaskAPIServer, listed: dict[str, Tool]) -> None:
    # The spec's examples show naive times; RFC 3339 (format date-time) needs an offset, so a strict
    # client such as the TypeScript SDK would refuse them. Every other test validates real results.
    user = {
        "id": "u1",
        "name": "María García",
        "email": "maria@test-azollon.com",
        "company": "Test Azollon",
        "user_type": "client",
        "notes": None,
        "created_at": "2025-10-24T10:30:00Z",
        "updated_at": "2025-10-24T10:30:00Z",
    }
    validator = output_validator(server.result_schema("get_user") or {})
    validator.validate(user)
    page = output_validator(listed["list_users"].output_schema or {})
    page.validate({"items": [user], "has_more": False})

    with pytest.raises(jsonschema.ValidationError, match="date-time"):
        validator.validate(user | {"created_at": "2025-10-24T10:30:00.000000"})
    with pytest.raises(jsonschema.ValidationError, match="date-time"):
        page.validate({"items": [{"created_at": "2025-10-24T10:30:00.000000"}], "has_more": False})


class ThreadRecordingStorage(LocalStorage):
    """A real local store that notes which thread each storage call ran on."""

    def __init__(self, data_dir: Path, bucket: str) -> None:
        super().__init__(data_dir, bucket)
        self.threads: set[int] = set()

    def get(self, collection: str, object_id: str) -> StoredObject | None:
        self.threads.add(threading.get_ident())
        return super().get(collection, object_id)

    def create(self, collection: str, object_id: str, body: bytes) -> str:
        self.threads.add(threading.get_ident())
        return super().create(collection, object_id, body)

    def replace(self, collection: str, object_id: str, body: bytes, if_version: str) -> str:
        self.threads.add(threading.get_ident())
        return super().replace(collection, object_id, body, if_version)

    def list_refs(
        self, collection: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[ObjectRef]:
        self.threads.add(threading.get_ident())
        return super().list_refs(collection, start_after=start_after, limit=limit)


async def test_no_tool_or_resource_touches_storage_on_the_event_loop(tmp_path: Path) -> None:
    storage = ThreadRecordingStorage(tmp_path, BUCKET)
    storage.ensure_ready()
    loop_thread = threading.get_ident()
    when = "2025-10-25T10:00:00Z"

    async with Client(build_mcp(Services(storage))) as client:

        async def call(tool: str, **arguments: Any) -> Any:
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, result.content
            return result.structured_content

        user = await call("create_user", name="María García", email="maria@example.com", company="Azollon")
        await call("get_user", user_id=user["id"])
        await call("list_users")
        await call("find_users", query="maria")
        meeting = await call("schedule_call", user_id=user["id"], title="Onboarding", scheduled_for=when)
        await call("get_call", call_id=meeting["id"])
        await call("list_calls", user_id=user["id"])
        await call("reschedule_call", call_id=meeting["id"], scheduled_for="2025-10-26T10:00:00Z")
        await call("update_call_status", call_id=meeting["id"], status="completed")
        task = await call("create_task", title="Follow up", user_id=user["id"])
        await call("get_task", task_id=task["id"])
        await call("list_tasks", user_id=user["id"])
        await call("update_task", task_id=task["id"], title="Follow up with María")
        await call("update_task_status", task_id=task["id"], status="done")
        await client.read_resource(f"taskapi://users/{user['id']}")

    assert storage.threads
    assert loop_thread not in storage.threads
