"""get_user_overview: what an agent needs before a meeting, in one small answer."""

from __future__ import annotations

import pytest
from mcp.types import TextContent

from tests.mcp.conftest import Tools

pytestmark = pytest.mark.anyio

# The conftest's services start their clock at 2025-10-24T10:30Z.
BUDGET = 1500  # characters of the result a model reads, for a user with a few calls and tasks


async def test_the_overview_shows_the_user_next_calls_open_tasks_and_counts(tools: Tools) -> None:
    maria = await tools.make_user(notes="Met at PyCon; prefers mornings")
    other = await tools.make_user(name="Mario", email="mario@example.com")
    await tools.make_call(other["id"], scheduled_for="2025-10-25T09:00:00Z")
    demo = await tools.make_call(maria["id"], title="Platform demo", scheduled_for="2025-10-29T15:00:00Z")
    onboarding = await tools.make_call(maria["id"], title="Onboarding call - Test Azollon", duration_minutes=45)
    past = await tools.make_call(maria["id"], title="Intro call", scheduled_for="2025-10-20T09:00:00Z")
    await tools.ok("update_call_status", call_id=past["id"], status="completed")
    deck = await tools.make_task(
        title="Prepare onboarding deck",
        description="Custom deck with use-case examples " * 20,
        user_id=maria["id"],
        due_date="2025-10-24T17:00:00Z",
    )
    contract = await tools.make_task(title="Send the contract", user_id=maria["id"])
    await tools.ok("update_task_status", task_id=contract["id"], status="in_progress")
    done = await tools.make_task(title="Book a room", user_id=maria["id"])
    await tools.ok("update_task_status", task_id=done["id"], status="done")

    result = await tools.client.call_tool("get_user_overview", {"user_id": maria["id"]})
    overview = await tools.ok("get_user_overview", user_id=maria["id"])

    assert overview["user"] == {
        "id": maria["id"],
        "name": "María García",
        "email": "maria@test-azollon.com",
        "company": "Test Azollon",
        "user_type": "client",
    }
    assert overview["upcoming_calls"] == [
        {
            "id": onboarding["id"],
            "title": "Onboarding call - Test Azollon",
            "scheduled_for": "2025-10-25T10:00:00Z",
            "duration_minutes": 45,
            "status": "scheduled",
        },
        {
            "id": demo["id"],
            "title": "Platform demo",
            "scheduled_for": "2025-10-29T15:00:00Z",
            "duration_minutes": 30,
            "status": "scheduled",
        },
    ]
    assert overview["open_tasks"] == [
        {"id": deck["id"], "title": "Prepare onboarding deck", "status": "todo", "due_date": "2025-10-24T17:00:00Z"},
        {"id": contract["id"], "title": "Send the contract", "status": "in_progress", "due_date": None},
    ]
    assert overview["calls_by_status"] == {"scheduled": 2, "completed": 1, "cancelled": 0, "rescheduled": 0}
    assert overview["tasks_by_status"] == {"todo": 1, "in_progress": 1, "done": 1, "cancelled": 0}
    assert (overview["more_upcoming_calls"], overview["more_open_tasks"]) == (0, 0)
    # Small: no notes or descriptions, whatever their length.
    [content] = result.content
    assert isinstance(content, TextContent)
    assert "Custom deck" not in content.text
    assert "PyCon" not in content.text
    assert len(content.text) < BUDGET, len(content.text)


async def test_the_overview_of_an_unknown_user_says_how_to_find_one(tools: Tools) -> None:
    text = await tools.error("get_user_overview", user_id="nobody")
    assert "User nobody not found" in text
    assert "find_users" in text
