"""The list tools answer with compact items, take `fields` for more or less, and say whether more follow."""

from __future__ import annotations

import pytest

from tests.mcp.conftest import Tools

pytestmark = pytest.mark.anyio

NOTES = "Met at PyCon; prefers mornings, wants the Spanish deck. " * 5


async def test_list_items_are_compact_by_default_and_get_gives_the_whole_entity(tools: Tools) -> None:
    user = await tools.make_user(notes=NOTES)
    call = await tools.make_call(user["id"], notes=NOTES)
    task = await tools.make_task(user_id=user["id"], description=NOTES, due_date="2025-10-27T12:00:00Z")
    # A write answers with the same compact item a list shows.

    [listed_user] = (await tools.ok("list_users"))["items"]
    [found_user] = (await tools.ok("find_users", query="maria"))["items"]
    [listed_call] = (await tools.ok("list_calls"))["items"]
    [listed_task] = (await tools.ok("list_tasks"))["items"]

    compact_user = {key: user[key] for key in ("id", "name", "email", "company", "user_type")}
    assert listed_user == found_user == compact_user
    # A list item leaves out the call's length; the answer to the booking carried it too.
    assert listed_call == {key: call[key] for key in ("id", "user_id", "title", "scheduled_for", "status")}
    assert call["duration_minutes"] == 30
    assert listed_task == {key: task[key] for key in ("id", "user_id", "title", "status", "due_date")}
    assert (await tools.ok("get_user", user_id=user["id"]))["notes"] == NOTES.strip()
    assert (await tools.ok("get_task", task_id=task["id"]))["description"] == NOTES.strip()


async def test_fields_asks_for_more_or_less_in_the_objects_order(tools: Tools) -> None:
    user = await tools.get("user", (await tools.make_user(notes="VIP"))["id"])
    call = await tools.get("call", (await tools.make_call(user["id"]))["id"])

    [more] = (await tools.ok("find_users", query="maria", fields=["notes", "id", "created_at"]))["items"]
    [less] = (await tools.ok("list_calls", fields=["user_id"]))["items"]
    [everything] = (await tools.ok("list_calls", fields=["all"]))["items"]
    [as_text] = (await tools.ok("list_users", fields="id,notes"))["items"]

    assert list(more) == ["id", "notes", "created_at"]
    assert more == {"id": user["id"], "notes": "VIP", "created_at": user["created_at"]}
    assert less == {"user_id": user["id"]}
    assert everything == call  # all: the same object get_call returns
    assert as_text == {"id": user["id"], "notes": "VIP"}


async def test_a_selected_field_that_is_empty_is_there_as_null(tools: Tools) -> None:
    await tools.make_task()

    [task] = (await tools.ok("list_tasks", fields=["description", "user_id"]))["items"]

    assert task == {"description": None, "user_id": None}


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("list_tasks", {"fields": ["title", "notes"]}, "unknown task field notes. Valid: all, id, title, description"),
        ("list_calls", {"fields": ["colour", "title"]}, "unknown call field colour. Valid: all, id, user_id, title"),
        ("find_users", {"query": "maria", "fields": ["phone"]}, "unknown user field phone. Valid: all, id, name"),
        ("list_users", {"fields": []}, "name at least one user field, or all"),
    ],
)
async def test_unknown_fields_are_an_error_naming_the_valid_ones(
    tools: Tools, tool: str, arguments: dict[str, object], named: str
) -> None:
    text = await tools.error(tool, **arguments)

    assert named in text


async def test_has_more_is_false_on_a_page_that_ends_exactly_at_the_last_item(tools: Tools) -> None:
    for n in range(4):
        await tools.make_task(title=f"Task {n}")

    exact = await tools.ok("list_tasks", limit=4)
    short = await tools.ok("list_tasks", limit=3)
    rest = await tools.ok("list_tasks", limit=3, cursor=short["next_cursor"])

    assert (len(exact["items"]), exact["has_more"]) == (4, False)
    assert "next_cursor" not in exact
    assert (len(short["items"]), short["has_more"]) == (3, True)
    assert (len(rest["items"]), rest["has_more"]) == (1, False)


async def test_has_more_at_the_boundary_of_a_filtered_list(tools: Tools) -> None:
    maria = await tools.make_user()
    other = await tools.make_user(name="Mario Rossi", email="mario@example.com")
    for _ in range(2):
        await tools.make_call(maria["id"])
        await tools.make_call(other["id"])

    exact = await tools.ok("list_calls", user_id=maria["id"], limit=2)
    over = await tools.ok("list_calls", user_id=maria["id"], limit=1)
    found = await tools.ok("find_users", query="mari", limit=2)

    assert (len(exact["items"]), exact["has_more"]) == (2, False)
    assert (len(over["items"]), over["has_more"]) == (1, True)
    assert (len(found["items"]), found["has_more"]) == (2, False)
