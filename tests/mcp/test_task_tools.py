"""The task tools through an MCP client: create, get, list with filters, status, edit."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.storage import LocalStorage
from tests.mcp.conftest import Tools, part_of

pytestmark = pytest.mark.anyio


async def test_create_task_for_a_user_with_a_due_date(tools: Tools) -> None:
    user = await tools.make_user()

    task = await tools.make_task(
        description="Custom deck with use cases", user_id=user["id"], due_date="2025-10-26T12:00:00Z"
    )

    stored = await tools.get("task", task["id"])

    assert task == {
        "id": task["id"],
        "user_id": user["id"],
        "title": "Prepare onboarding materials",
        "status": "todo",
        "due_date": "2025-10-26T12:00:00Z",
    }
    assert stored["description"] == "Custom deck with use cases"
    assert part_of(task, stored)


async def test_create_task_needs_neither_a_user_nor_a_due_date(tools: Tools) -> None:
    task = await tools.make_task()

    stored = await tools.get("task", task["id"])

    assert task["user_id"] is None
    assert task["due_date"] is None
    assert stored["description"] is None


async def test_list_tasks_filters_by_user_status_and_due_before(tools: Tools) -> None:
    user = await tools.make_user()
    early = await tools.make_task(user_id=user["id"], due_date="2025-10-20T12:00:00Z")
    late = await tools.make_task(user_id=user["id"], due_date="2025-11-20T12:00:00Z")
    await tools.make_task(user_id=user["id"])  # no due date: never "due before"
    unassigned = await tools.make_task(due_date="2025-10-20T12:00:00Z")
    await tools.ok("update_task_status", task_id=late["id"], status="in_progress")

    users_tasks = await tools.ok("list_tasks", user_id=user["id"])
    due_soon = await tools.ok("list_tasks", due_before="2025-11-01T00:00:00Z")
    in_progress = await tools.ok("list_tasks", status="in_progress")

    assert len(users_tasks["items"]) == 3
    assert [task["id"] for task in due_soon["items"]] == [early["id"], unassigned["id"]]
    assert [task["id"] for task in in_progress["items"]] == [late["id"]]


async def test_list_tasks_pages_with_limit_and_cursor(tools: Tools) -> None:
    tasks = [await tools.make_task(title=f"Task {n}") for n in range(3)]

    first = await tools.ok("list_tasks", limit=1)
    second = await tools.ok("list_tasks", limit=1, cursor=first["next_cursor"])
    third = await tools.ok("list_tasks", limit=1, cursor=second["next_cursor"])

    assert [page["items"][0]["id"] for page in (first, second, third)] == [task["id"] for task in tasks]
    assert [page["has_more"] for page in (first, second, third)] == [True, True, False]
    assert "next_cursor" not in third


async def test_update_task_status_moves_it_along_and_repeating_it_changes_nothing(tools: Tools) -> None:
    task = await tools.make_task()

    started = await tools.ok("update_task_status", task_id=task["id"], status="in_progress")
    again = await tools.ok("update_task_status", task_id=task["id"], status="in_progress")
    done = await tools.ok("update_task_status", task_id=task["id"], status="done")

    assert started["status"] == "in_progress"
    assert again == started
    assert done["status"] == "done"


async def test_update_task_changes_only_the_fields_given(tools: Tools) -> None:
    task = await tools.make_task(description="Custom deck", due_date="2025-10-26T12:00:00Z")
    before = await tools.get("task", task["id"])

    retitled = await tools.ok("update_task", task_id=task["id"], title="Send onboarding deck")
    after = await tools.get("task", task["id"])

    assert retitled["title"] == "Send onboarding deck"
    assert retitled["due_date"] == "2025-10-26T12:00:00Z"
    assert after["description"] == "Custom deck"
    assert part_of(retitled, after)
    assert datetime.fromisoformat(after["updated_at"]) > datetime.fromisoformat(before["updated_at"])


async def test_update_task_treats_null_as_keep_not_as_remove(tools: Tools) -> None:
    task = await tools.make_task(description="Custom deck", due_date="2025-10-26T12:00:00Z")

    edited = await tools.ok("update_task", task_id=task["id"], title="New", description=None, due_date=None)

    assert (await tools.get("task", task["id"]))["description"] == "Custom deck"
    assert edited["due_date"] == "2025-10-26T12:00:00Z"


async def test_update_task_moves_the_due_date_and_blanks_the_description(tools: Tools) -> None:
    task = await tools.make_task(description="Custom deck", due_date="2025-10-26T12:00:00Z")

    edited = await tools.ok("update_task", task_id=task["id"], description="", due_date="2025-10-30T09:00:00")

    assert (await tools.get("task", task["id"]))["description"] == ""
    assert edited["due_date"] == "2025-10-30T09:00:00Z"
    assert edited["title"] == task["title"]


async def test_update_task_with_nothing_to_change_says_what_to_give(tools: Tools) -> None:
    task = await tools.make_task()

    text = await tools.error("update_task", task_id=task["id"])

    assert "Nothing to change: give at least one of title, description, due_date." in text


async def test_a_list_notes_stored_objects_left_out_and_get_names_the_key(tools: Tools, storage: LocalStorage) -> None:
    fine = await tools.make_task()
    storage.create("tasks", "broken", b'{"id": "half-written')

    page = await tools.ok("list_tasks")
    text = await tools.error("get_task", task_id="broken")

    assert [t["id"] for t in page["items"]] == [fine["id"]]
    assert "tasks/broken.json" in page["note"] and "left out" in page["note"]
    assert "tasks/broken.json" in text and "fix or remove" in text
    assert "note" not in await tools.ok("list_users")  # only when something was left out
