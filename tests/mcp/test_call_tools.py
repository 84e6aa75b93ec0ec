"""The call tools through an MCP client: schedule, get, list with filters, status, reschedule."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.mcp.conftest import Tools, part_of

pytestmark = pytest.mark.anyio


async def test_schedule_call_books_a_scheduled_call_for_the_user(tools: Tools) -> None:
    user = await tools.make_user()

    call = await tools.make_call(user["id"], duration_minutes=45, notes="Platform overview")
    stored = await tools.get("call", call["id"])

    assert call["user_id"] == user["id"]
    assert call["title"] == "Onboarding call"
    assert call["scheduled_for"] == "2025-10-25T10:00:00Z"
    assert call["duration_minutes"] == 45
    assert call["status"] == "scheduled"
    assert "notes" not in call  # the answer is compact: the model has just sent the notes
    assert stored["notes"] == "Platform overview"
    assert part_of(call, stored)


async def test_schedule_call_defaults_to_thirty_minutes(tools: Tools) -> None:
    user = await tools.make_user()

    call = await tools.make_call(user["id"])

    assert call["duration_minutes"] == 30


async def test_schedule_call_reads_a_naive_time_as_utc_and_keeps_the_instant_of_an_offset(
    tools: Tools,
) -> None:
    user = await tools.make_user()

    naive = await tools.make_call(user["id"], scheduled_for="2025-10-25T10:00:00")
    offset = await tools.make_call(user["id"], scheduled_for="2025-10-25T12:00:00+02:00")

    assert naive["scheduled_for"] == "2025-10-25T10:00:00Z"
    assert offset["scheduled_for"] == "2025-10-25T10:00:00Z"


async def test_list_calls_filters_by_a_window_on_scheduled_for_inclusive(tools: Tools) -> None:
    user = await tools.make_user()
    monday = await tools.make_call(user["id"], scheduled_for="2025-10-20T00:00:00Z")
    friday = await tools.make_call(user["id"], scheduled_for="2025-10-24T15:00:00Z")
    await tools.make_call(user["id"], scheduled_for="2025-10-27T09:00:00Z")  # the next week
    await tools.make_call(user["id"], scheduled_for="2025-10-19T23:59:59Z")  # the week before

    week = await tools.ok("list_calls", scheduled_from="2025-10-20T00:00:00Z", scheduled_to="2025-10-26T23:59:59Z")

    assert [call["id"] for call in week["items"]] == [monday["id"], friday["id"]]


async def test_list_calls_filters_by_user_and_status(tools: Tools) -> None:
    maria = await tools.make_user()
    mario = await tools.make_user(name="Mario Rossi", email="mario@example.com")
    done = await tools.make_call(maria["id"])
    open_call = await tools.make_call(maria["id"])
    await tools.make_call(mario["id"])
    await tools.ok("update_call_status", call_id=done["id"], status="completed")

    marias = await tools.ok("list_calls", user_id=maria["id"])
    marias_open = await tools.ok("list_calls", user_id=maria["id"], status="scheduled")

    assert [call["id"] for call in marias["items"]] == [done["id"], open_call["id"]]
    assert [call["id"] for call in marias_open["items"]] == [open_call["id"]]


async def test_list_calls_pages_with_limit_and_cursor(tools: Tools) -> None:
    user = await tools.make_user()
    calls = [await tools.make_call(user["id"]) for _ in range(3)]

    first = await tools.ok("list_calls", limit=2)
    rest = await tools.ok("list_calls", limit=2, cursor=first["next_cursor"])

    assert [call["id"] for call in first["items"] + rest["items"]] == [call["id"] for call in calls]
    assert (first["has_more"], rest["has_more"]) == (True, False)
    assert "next_cursor" not in rest


async def test_list_calls_with_an_empty_window_names_the_bad_bound(tools: Tools) -> None:
    text = await tools.error("list_calls", scheduled_from="2025-10-27T00:00:00Z", scheduled_to="2025-10-20T00:00:00Z")

    assert "scheduled_from must not be later than scheduled_to" in text


async def test_update_call_status_changes_the_status_and_repeating_it_changes_nothing(tools: Tools) -> None:
    user = await tools.make_user()
    call = await tools.make_call(user["id"])

    booked = await tools.get("call", call["id"])
    completed = await tools.ok("update_call_status", call_id=call["id"], status="completed")
    after_first = await tools.get("call", call["id"])
    again = await tools.ok("update_call_status", call_id=call["id"], status="completed")

    assert completed["status"] == "completed"
    assert datetime.fromisoformat(after_first["updated_at"]) > datetime.fromisoformat(booked["updated_at"])
    assert again == completed
    assert await tools.get("call", call["id"]) == after_first


async def test_reschedule_call_moves_it_and_marks_it_rescheduled(tools: Tools) -> None:
    user = await tools.make_user()
    call = await tools.make_call(user["id"], duration_minutes=45)

    moved = await tools.ok("reschedule_call", call_id=call["id"], scheduled_for="2025-10-28T14:30:00Z")
    longer = await tools.ok(
        "reschedule_call", call_id=call["id"], scheduled_for="2025-10-29T09:00:00Z", duration_minutes=60
    )

    assert moved["scheduled_for"] == "2025-10-28T14:30:00Z"
    assert moved["status"] == "rescheduled"
    assert moved["duration_minutes"] == 45  # kept when not given
    assert longer["scheduled_for"] == "2025-10-29T09:00:00Z"
    assert longer["duration_minutes"] == 60
    assert part_of(longer, await tools.get("call", call["id"]))


async def test_reschedule_a_cancelled_call_is_a_conflict_that_says_to_book_a_new_one(tools: Tools) -> None:
    user = await tools.make_user()
    call = await tools.make_call(user["id"])
    await tools.ok("update_call_status", call_id=call["id"], status="cancelled")

    text = await tools.error("reschedule_call", call_id=call["id"], scheduled_for="2025-10-28T14:30:00Z")

    assert f"Call {call['id']} is cancelled" in text
    assert "Schedule a new call instead" in text
    assert (await tools.ok("get_call", call_id=call["id"]))["scheduled_for"] == call["scheduled_for"]
