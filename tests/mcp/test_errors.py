"""Failed tool calls: an error result whose text tells the model what was wrong and what to call next."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, ValidationError

from mcp_server import build_mcp
from mcp_server.errors import explain, service_tool
from shared.errors import Conflict, InvalidInput, NotFound, StorageUnavailable
from shared.services import Services
from shared.storage import LocalStorage
from tests.mcp.conftest import BUCKET, Tools

pytestmark = pytest.mark.anyio

UNKNOWN = "0f3c2a1e-unknown"


# Unknown ids


async def test_get_user_for_an_unknown_id_is_an_actionable_error(tools: Tools) -> None:
    text = await tools.error("get_user", user_id=UNKNOWN)

    assert text.endswith(f"User {UNKNOWN} not found. Call find_users or list_users to get a valid user_id.")


async def test_schedule_call_for_unknown_user_is_an_actionable_error(tools: Tools) -> None:
    text = await tools.error("schedule_call", user_id=UNKNOWN, title="Onboarding", scheduled_for="2025-10-25T10:00:00Z")

    assert f"User {UNKNOWN} not found. Call find_users or list_users to get a valid user_id." in text
    assert (await tools.ok("list_calls"))["items"] == []


async def test_create_task_for_unknown_user_is_an_actionable_error(tools: Tools) -> None:
    text = await tools.error("create_task", title="Follow up", user_id=UNKNOWN)

    assert f"User {UNKNOWN} not found. Call find_users or list_users to get a valid user_id." in text
    assert (await tools.ok("list_tasks"))["items"] == []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_call", {}),
        ("update_call_status", {"status": "completed"}),
        ("reschedule_call", {"scheduled_for": "2025-10-28T10:00:00Z"}),
    ],
)
async def test_call_tools_for_an_unknown_call_point_to_list_calls(
    tools: Tools, tool: str, arguments: dict[str, Any]
) -> None:
    text = await tools.error(tool, call_id=UNKNOWN, **arguments)

    assert text.endswith(f"Call {UNKNOWN} not found. Call list_calls to get a valid call_id.")


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("get_task", {}), ("update_task_status", {"status": "done"}), ("update_task", {"title": "New"})],
)
async def test_task_tools_for_an_unknown_task_point_to_list_tasks(
    tools: Tools, tool: str, arguments: dict[str, Any]
) -> None:
    text = await tools.error(tool, task_id=UNKNOWN, **arguments)

    assert text.endswith(f"Task {UNKNOWN} not found. Call list_tasks to get a valid task_id.")


# Arguments the input schema refuses: the SDK validates them before the tool runs


async def test_create_user_with_an_invalid_email_names_the_field_and_stores_nothing(tools: Tools) -> None:
    text = await tools.error("create_user", name="María", email="not-an-email", company="Test Azollon")

    assert "email" in text
    assert "value is not a valid email address" in text
    assert (await tools.ok("list_users"))["items"] == []


@pytest.mark.parametrize(
    ("duration", "problem"),
    [(5, "greater than or equal to 15"), (241, "less than or equal to 240")],
)
async def test_schedule_call_with_a_duration_out_of_range_names_the_limit(
    tools: Tools, duration: int, problem: str
) -> None:
    user = await tools.make_user()

    text = await tools.error(
        "schedule_call",
        user_id=user["id"],
        title="Onboarding",
        scheduled_for="2025-10-25T10:00:00Z",
        duration_minutes=duration,
    )

    assert "duration_minutes" in text
    assert problem in text


async def test_an_unknown_status_lists_the_allowed_ones(tools: Tools) -> None:
    user = await tools.make_user()
    call = await tools.make_call(user["id"])

    text = await tools.error("update_call_status", call_id=call["id"], status="done")

    assert "status" in text
    assert "'scheduled', 'completed', 'cancelled' or 'rescheduled'" in text


async def test_an_unknown_user_type_lists_the_allowed_ones(tools: Tools) -> None:
    text = await tools.error("create_user", name="A", email="a@example.com", company="C", user_type="vip")

    assert "user_type" in text
    assert "'client', 'prospect' or 'partner'" in text


async def test_a_time_that_is_not_iso_8601_names_the_field(tools: Tools) -> None:
    user = await tools.make_user()

    text = await tools.error("schedule_call", user_id=user["id"], title="Call", scheduled_for="tomorrow")

    assert "scheduled_for" in text
    assert "valid datetime" in text


@pytest.mark.parametrize(("limit", "problem"), [(201, "less than or equal to 200"), (0, "greater than")])
async def test_list_limit_outside_1_to_200_is_rejected(tools: Tools, limit: int, problem: str) -> None:
    text = await tools.error("list_users", limit=limit)

    assert "limit" in text
    assert problem in text


async def test_argument_errors_read_like_the_tools_own_without_pydantic_noise(tools: Tools) -> None:
    user = await tools.make_user()

    text = await tools.error(
        "schedule_call", user_id=user["id"], title="Call", scheduled_for="2025-10-25T10:00:00Z", duration_minutes=5
    )

    assert text == (
        "Error executing tool schedule_call: Invalid input: duration_minutes: Input should be greater than or "
        "equal to 15. Correct these arguments and call the tool again."
    )


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
async def test_a_time_past_the_calendar_once_in_utc_is_a_clear_argument_error(tools: Tools, instant: str) -> None:
    text = await tools.error("list_tasks", due_before=instant)

    assert "due_before: date-time is out of range once converted to UTC" in text
    assert "Correct these arguments" in text


async def test_an_id_that_could_escape_the_store_is_rejected_before_any_lookup(tools: Tools) -> None:
    text = await tools.error("get_user", user_id="../users/x")

    assert "user_id" in text
    assert "should match pattern" in text


# Errors found while the tool runs


async def test_a_cursor_that_was_not_returned_by_a_list_says_how_to_get_one(tools: Tools) -> None:
    text = await tools.error("list_tasks", cursor="not-a-cursor")

    assert "Invalid cursor: pass the next_cursor of a previous page unchanged, or omit it" in text


async def test_a_blank_name_is_refused_field_by_field_without_pydantic_noise(tools: Tools) -> None:
    # "   " passes the length check of the input schema, and is refused once stripped by UserCreate.
    text = await tools.error("create_user", name="   ", email="a@example.com", company="C")

    assert text == (
        "Error executing tool create_user: Invalid input: name: String should have at least 1 character. "
        "Correct these arguments and call the tool again."
    )


async def test_a_store_that_cannot_work_says_so_and_not_to_try_again(tmp_path: Path) -> None:
    (tmp_path / BUCKET).write_text("a file where the data folder should be")
    services = Services(LocalStorage(tmp_path, BUCKET))

    async with Client(build_mcp(services)) as client:
        result = await client.call_tool("get_user", {"user_id": UNKNOWN})

    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "Storage unavailable: cannot create the data folder " in text
    assert text.endswith("Not a directory. Trying again will not help until the server's storage is fixed.")


# The wrapper itself


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (NotFound("User", "u1"), "User u1 not found. Call find_users or list_users to get a valid user_id."),
        (NotFound("Call", "c1"), "Call c1 not found. Call list_calls to get a valid call_id."),
        (NotFound("Task", "t1"), "Task t1 not found. Call list_tasks to get a valid task_id."),
        (NotFound("Note", "n1"), "Note n1 not found."),
        (InvalidInput("limit", "limit must be at least 1."), "limit must be at least 1."),
        (Conflict("Call c1 is cancelled."), "Call c1 is cancelled."),
        (
            StorageUnavailable("S3 did not answer."),
            "Storage unavailable: S3 did not answer. Try again in a moment.",
        ),
        (
            StorageUnavailable("the data folder /x is missing", transient=False),
            "Storage unavailable: the data folder /x is missing. "
            "Trying again will not help until the server's storage is fixed.",
        ),
    ],
)
def test_explain_gives_each_domain_error_its_next_step(error: NotFound, text: str) -> None:
    assert explain(error) == text


def body(user_id: str, limit: int = 50) -> str:
    """Get something.

    Needs a user_id.
    """
    return f"{user_id}:{limit}:{threading.get_ident()}"


def test_service_tool_keeps_the_signature_the_schemas_are_built_from() -> None:
    tool = service_tool(body)

    assert inspect.iscoroutinefunction(tool)
    assert tool.__name__ == "body"
    assert inspect.signature(tool) == inspect.signature(body)
    assert tool.__doc__ == "Get something.\n\nNeeds a user_id."


async def test_service_tool_runs_the_body_in_a_worker_thread() -> None:
    result = await service_tool(body)("u1", limit=2)

    user_id, limit, thread = result.split(":")
    assert (user_id, limit) == ("u1", "2")
    assert int(thread) != threading.get_ident()


async def test_service_tool_turns_a_validation_error_into_a_tool_error_naming_each_field() -> None:
    class Payload(BaseModel):
        name: str = Field(min_length=1)
        age: int

    def build() -> Payload:
        return Payload.model_validate({"name": "", "age": "old"})

    with pytest.raises(ToolError) as caught:
        await service_tool(build)()

    assert str(caught.value) == (
        "Invalid input: name: String should have at least 1 character; age: Input should be a valid "
        "integer, unable to parse string as an integer. Correct these arguments and call the tool again."
    )
    assert isinstance(caught.value.__cause__, ValidationError)


async def test_service_tool_leaves_a_bug_to_the_sdk_as_a_crash() -> None:
    def broken() -> None:
        raise KeyError("internal detail")

    with pytest.raises(KeyError):
        await service_tool(broken)()
