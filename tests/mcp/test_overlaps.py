"""Overlapping calls over MCP: refused by default with free slots, booked with allow_overlap=true."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.mcp.conftest import Tools

pytestmark = pytest.mark.anyio

SLOT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def free_slots_in(text: str) -> list[str]:
    _, _, offered = text.partition("Free slots of ")
    return SLOT.findall(offered.split(".")[0])


def interval(call: dict[str, Any]) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(call["scheduled_for"])
    return start, start + timedelta(minutes=call["duration_minutes"])


async def book(tools: Tools, user_id: str, at: str, minutes: int = 30, **more: Any) -> dict[str, Any]:
    return await tools.ok(
        "schedule_call", user_id=user_id, title=f"Call at {at}", scheduled_for=at, duration_minutes=minutes, **more
    )


async def test_an_overlapping_call_is_refused_naming_the_clash_and_offering_free_slots(tools: Tools) -> None:
    user = await tools.make_user()
    busy = await book(tools, user["id"], "2025-10-27T10:00:00Z", 60)

    text = await tools.error(
        "schedule_call", user_id=user["id"], title="Demo", scheduled_for="2025-10-27T10:30:00Z", duration_minutes=45
    )

    assert busy["id"] in text
    assert "“Call at 2025-10-27T10:00:00Z” at 2025-10-27T10:00:00Z for 60 min" in text
    assert "allow_overlap=true" in text
    slots = free_slots_in(text)
    assert slots == ["2025-10-27T11:00:00Z", "2025-10-27T11:15:00Z", "2025-10-27T11:30:00Z"]
    page = await tools.ok("list_calls", user_id=user["id"])
    assert [c["id"] for c in page["items"]] == [busy["id"]]  # nothing booked
    busy_start, busy_end = interval(busy)
    for slot in slots:  # free, for the same length: each can be booked without allow_overlap
        start = datetime.fromisoformat(slot)
        assert start + timedelta(minutes=45) <= busy_start or start >= busy_end
    offered = await book(tools, user["id"], slots[0], 45)
    assert (offered["scheduled_for"], offered["duration_minutes"]) == (slots[0], 45)


async def test_allow_overlap_books_it_anyway(tools: Tools) -> None:
    user = await tools.make_user()
    await book(tools, user["id"], "2025-10-27T10:00:00Z", 60)
    both = await book(tools, user["id"], "2025-10-27T10:30:00Z", allow_overlap=True)
    assert both["status"] == "scheduled"
    assert len((await tools.ok("list_calls", user_id=user["id"]))["items"]) == 2


async def test_touching_calls_and_other_users_calls_do_not_clash(tools: Tools) -> None:
    ana = await tools.make_user()
    bob = await tools.make_user(name="Bob", email="bob@example.com")
    await book(tools, ana["id"], "2025-10-27T10:00:00Z", 60)
    await book(tools, ana["id"], "2025-10-27T11:00:00Z")
    await book(tools, ana["id"], "2025-10-27T09:30:00Z")
    await book(tools, bob["id"], "2025-10-27T10:00:00Z")


async def test_cancelled_and_completed_calls_do_not_block(tools: Tools) -> None:
    user = await tools.make_user()
    cancelled = await book(tools, user["id"], "2025-10-27T10:00:00Z")
    completed = await book(tools, user["id"], "2025-10-27T10:30:00Z")
    await tools.ok("update_call_status", call_id=cancelled["id"], status="cancelled")
    await tools.ok("update_call_status", call_id=completed["id"], status="completed")
    await book(tools, user["id"], "2025-10-27T10:00:00Z", 60)


async def test_a_reschedule_into_a_clash_is_refused_unless_allowed(tools: Tools) -> None:
    user = await tools.make_user()
    busy = await book(tools, user["id"], "2025-10-27T10:00:00Z", 60)
    moving = await book(tools, user["id"], "2025-10-28T10:00:00Z")
    # Moving a call by a few minutes does not clash with itself.
    await tools.ok("reschedule_call", call_id=moving["id"], scheduled_for="2025-10-28T10:10:00Z")

    text = await tools.error("reschedule_call", call_id=moving["id"], scheduled_for="2025-10-27T10:45:00Z")
    assert busy["id"] in text
    assert free_slots_in(text)[0] == "2025-10-27T11:00:00Z"
    assert (await tools.ok("get_call", call_id=moving["id"]))["scheduled_for"] == "2025-10-28T10:10:00Z"

    moved = await tools.ok(
        "reschedule_call", call_id=moving["id"], scheduled_for="2025-10-27T10:45:00Z", allow_overlap=True
    )
    assert (moved["scheduled_for"], moved["status"]) == ("2025-10-27T10:45:00Z", "rescheduled")


async def test_free_slots_are_utc_instants_an_agent_can_pass_back(tools: Tools) -> None:
    # Slots are UTC instants with a Z: passed back as they are, they mean the same time in any zone.
    user = await tools.make_user()
    await book(tools, user["id"], "2025-10-27T10:00:00Z")
    text = await tools.error("schedule_call", user_id=user["id"], title="Demo", scheduled_for="2025-10-27T10:00:00Z")
    assert all(slot.endswith("Z") for slot in free_slots_in(text))
