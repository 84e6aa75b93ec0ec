"""get_history and revert_change through a real MCP client in memory: small answers, and undo as a new version."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from mcp import Client

from mcp_server import build_mcp
from shared.services import Services
from tests.mcp.conftest import Tools

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "0192f5e0-8a2d-7dd4-8e3f-7a2b3c4d5e6f"


async def edited_task(tools: Tools) -> dict[str, Any]:
    task = await tools.make_task(description="The Q3 one")
    await tools.ok("update_task_status", task_id=task["id"], status="done")
    await tools.ok("update_task", task_id=task["id"], title="Send the new deck")
    return task


async def test_get_history_gives_each_version_with_only_what_it_changed(tools: Tools) -> None:
    task = await edited_task(tools)

    history = await tools.ok("get_history", kind="tasks", id=task["id"])

    assert history["current_version"] == 3
    first, done, renamed = history["versions"]
    # The create tool answered with the compact task; version 1 holds the whole of it.
    assert (first["version"], first["action"]) == (1, "create")
    assert {name: first["changes"].get(name) for name in task} == task  # null fields are left out
    assert first["changes"]["description"] == "The Q3 one"
    assert (done["version"], done["action"], done["changes"]) == (2, "update", {"status": "done"})
    assert (renamed["version"], renamed["changes"]) == (3, {"title": "Send the new deck"})
    assert first["at"] == first["changes"]["updated_at"]
    assert "reverted_to" not in done  # absent rather than null: answers stay small


async def test_revert_change_restores_the_old_fields_and_shows_in_the_history(tools: Tools) -> None:
    task = await edited_task(tools)

    result = await tools.ok("revert_change", kind="tasks", id=task["id"], version=1, expected_version=3)

    assert (result["current_version"], result["changed"]) == (4, True)
    restored = result["entity"]
    assert (restored["title"], restored["status"], restored["description"]) == (
        "Prepare onboarding materials",
        "todo",
        "The Q3 one",
    )
    assert await tools.ok("get_task", task_id=task["id"]) == restored
    history = await tools.ok("get_history", kind="tasks", id=task["id"])
    last = history["versions"][-1]
    assert (last["version"], last["action"], last["reverted_to"]) == (4, "revert", 1)
    assert last["changes"] == {"title": "Prepare onboarding materials", "status": "todo"}


async def test_reverting_to_the_current_version_changes_nothing(tools: Tools) -> None:
    task = await edited_task(tools)

    result = await tools.ok("revert_change", kind="tasks", id=task["id"], version=3)

    assert (result["current_version"], result["changed"]) == (3, False)


async def test_a_revert_at_another_version_than_expected_is_refused_with_what_to_do(tools: Tools) -> None:
    task = await edited_task(tools)

    text = await tools.error("revert_change", kind="tasks", id=task["id"], version=1, expected_version=2)

    assert f"Task {task['id']} is at version 3, not 2" in text
    assert "history again" in text
    assert (await tools.ok("get_history", kind="tasks", id=task["id"]))["current_version"] == 3


async def test_a_version_that_does_not_exist_is_refused_naming_those_that_do(tools: Tools) -> None:
    task = await edited_task(tools)

    text = await tools.error("revert_change", kind="tasks", id=task["id"], version=9)

    assert "has no version 9; its versions are 1 to 3" in text


@pytest.mark.parametrize(("kind", "hint"), [("users", "find_users"), ("calls", "list_calls"), ("tasks", "list_tasks")])
async def test_an_unknown_entity_is_refused_with_where_to_find_ids(tools: Tools, kind: str, hint: str) -> None:
    for tool, arguments in (("get_history", {}), ("revert_change", {"version": 1})):
        text = await tools.error(tool, kind=kind, id=UNKNOWN_ID, **arguments)
        assert f"{UNKNOWN_ID} not found" in text and hint in text


async def test_an_unknown_kind_is_refused_naming_the_kinds(tools: Tools) -> None:
    text = await tools.error("get_history", kind="notes", id=UNKNOWN_ID)

    assert "kind" in text and "'users', 'calls' or 'tasks'" in text


async def test_a_call_and_its_user_have_histories(tools: Tools) -> None:
    user = await tools.make_user()
    call = await tools.make_call(user["id"])
    await tools.ok("update_call_status", call_id=call["id"], status="cancelled")

    result = await tools.ok("revert_change", kind="calls", id=call["id"], version=1)

    assert result["entity"]["status"] == "scheduled"
    user_history = await tools.ok("get_history", kind="users", id=user["id"])
    assert [v["action"] for v in user_history["versions"]] == ["create"]


async def test_the_history_names_who_made_each_change_over_mcp(services: Services) -> None:
    # Without an HTTP request, calls run as the server's local label (stdio: "stdio"; over /mcp, the key's label).
    async with Client(build_mcp(services, local_label="claude-desktop")) as client:
        created = await client.call_tool("create_task", {"title": "Send the deck"})
        assert created.structured_content is not None
        task_id = created.structured_content["id"]
        await client.call_tool("update_task_status", {"task_id": task_id, "status": "done"})
        history = await client.call_tool("get_history", {"kind": "tasks", "id": task_id})

    assert history.structured_content is not None
    assert [(v["actor"], v["via"]) for v in history.structured_content["versions"]] == [("claude-desktop", "mcp")] * 2
    assert [v.actor for v in services.history("tasks", task_id).versions] == ["claude-desktop"] * 2


async def test_history_tool_calls_log_their_entity(tools: Tools, caplog: pytest.LogCaptureFixture) -> None:
    task = await tools.make_task()
    caplog.set_level(logging.INFO, logger="task_api.mcp")

    await tools.ok("get_history", kind="tasks", id=task["id"])
    await tools.error("revert_change", kind="calls", id=UNKNOWN_ID, version=1)

    lines = [r.getMessage() for r in caplog.records if r.name == "task_api.mcp"]
    assert re.fullmatch(rf"MCP get_history task={task['id']} ok \(\d+ ms\) by local", lines[0])
    assert re.fullmatch(rf"MCP revert_change call={UNKNOWN_ID} refused: NotFound: .* \(\d+ ms\) by local", lines[1])
