"""Small answers: tools/list and the three stage scenarios, measured through a real MCP client, against budgets.

The scenarios play what an agent does on stage, over the demo data set (task_api/seed.py) on a fixed day:
each is a plain async function of a `Stage`, so a step or an argument is one line to add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_server import build_mcp
from shared.services import Services
from shared.storage import LocalStorage
from task_api.demo import iso, next_friday, this_week
from task_api.seed import seed
from tests.clocks import START, FakeClock
from tests.mcp.conftest import BUCKET, Recorder, tools_list_bytes

pytestmark = pytest.mark.anyio

TOOLS_LIST_BUDGET = 20_000  # bytes, with every tool of issue 10
SCENARIOS_BUDGET = 4_000  # bytes of tool results the model reads, the three scenarios together

MARIA = {"name": "María García", "email": "maria.garcia@techcorp.example", "company": "TechCorp"}
ONBOARDING = {"title": "Onboarding call - TechCorp", "duration_minutes": 45}
FOLLOW_UP = "Follow up on this week's call"
PENDING = ("scheduled", "rescheduled")


async def test_tools_list_fits_the_budget(client: Client) -> None:
    size = await tools_list_bytes(client)

    print(f"tools/list: {size} bytes for {len((await client.list_tools()).tools)} tools (budget {TOOLS_LIST_BUDGET})")
    assert size < TOOLS_LIST_BUDGET


@dataclass
class Stage:
    """What a scenario works with: the tools (through a recorder that sizes every answer) and today."""

    tools: Recorder
    now: datetime
    done: dict[str, Any] = field(default_factory=dict)  # what each scenario did, for the checks

    def week(self) -> dict[str, str]:
        start, end = this_week(self.now)
        return {"scheduled_from": iso(start), "scheduled_to": iso(end)}

    async def every(self, tool: str, /, **arguments: Any) -> list[dict[str, Any]]:
        """Every item of a list, page after page at the default page size."""
        page = await self.tools.call(tool, **arguments)
        items = list(page["items"])
        while page["has_more"]:
            page = await self.tools.call(tool, **arguments, cursor=page["next_cursor"])
            items += page["items"]
        return items


async def register_maria_and_book_her_onboarding(stage: Stage) -> None:
    """1. Register María García at TechCorp (find her first) and book an onboarding call next Friday at 10:00."""
    found = await stage.every("find_users", query=MARIA["name"])
    user = found[0] if found else await stage.tools.call("create_user", **MARIA)
    booked = await stage.tools.call(
        "schedule_call", user_id=user["id"], scheduled_for=iso(next_friday(stage.now)), **ONBOARDING
    )
    stage.done["maria"], stage.done["onboarding"] = user["id"], booked


async def complete_the_first_pending_call(stage: Stage) -> None:
    """2. List this week's pending calls and complete the first."""
    # Default items; the status filter leaves the status out of them (every item has the one asked for).
    pending = [call for status in PENDING for call in await stage.every("list_calls", **stage.week(), status=status)]
    pending.sort(key=lambda call: call["scheduled_for"])
    completed = await stage.tools.call("update_call_status", call_id=pending[0]["id"], status="completed")
    stage.done["completed"] = completed


async def follow_up_everyone_with_a_call_this_week(stage: Stage) -> None:
    """3. A follow-up task for everyone with a call this week, unless they already have a task: no duplicates."""
    monday = datetime.fromisoformat(stage.week()["scheduled_from"])
    # Only what the agent needs from each item: whose call it is, and whether it was cancelled.
    calls = await stage.every("list_calls", **stage.week(), fields=["user_id", "status"])
    user_ids = list(dict.fromkeys(call["user_id"] for call in calls if call["status"] != "cancelled"))
    created = []
    for user_id in user_ids:
        if not await stage.every("list_tasks", user_id=user_id, fields=["title", "status"]):
            due = iso(monday + timedelta(days=7, hours=12))
            created.append(await stage.tools.call("create_task", title=FOLLOW_UP, user_id=user_id, due_date=due))
    stage.done["followed_up"], stage.done["follow_ups"] = user_ids, created


SCENARIOS = (
    register_maria_and_book_her_onboarding,
    complete_the_first_pending_call,
    follow_up_everyone_with_a_call_this_week,
)


@pytest.fixture
def stage_services(tmp_path: Path) -> Services:
    """The demo data set, seeded as `task-api seed` does, on a fixed Friday (START): "this week" is 20-26 Oct 2025."""
    storage = LocalStorage(tmp_path, BUCKET)
    storage.ensure_ready()
    clock = FakeClock(START)
    services = Services(storage, clock=clock)
    seed(services, clock())
    return services


@pytest.fixture
async def stage(stage_services: Services) -> AsyncIterator[Stage]:
    async with Client(build_mcp(stage_services, clock=FakeClock(START))) as client:
        yield Stage(Recorder(client, []), START)


async def test_the_three_stage_scenarios_read_under_the_budget(stage: Stage, stage_services: Services) -> None:
    users_with_tasks = {task.user_id for task in stage_services.list_tasks().items}
    start, end = this_week(START)
    week = [call for call in stage_services.list_calls().items if start <= call.scheduled_for <= end]
    first_pending = min((call for call in week if call.status in PENDING), key=lambda call: call.scheduled_for)

    for scenario in SCENARIOS:
        await scenario(stage)

    print(f"\nThe three stage scenarios, at the default page size:\n{stage.tools.report()}")
    assert stage.tools.total("text") < SCENARIOS_BUDGET
    # And they did the job.
    [maria] = [user for user in stage_services.list_users().items if user.email == MARIA["email"]]
    assert stage.done["maria"] == maria.id
    assert stage.done["onboarding"]["scheduled_for"] == "2025-10-31T10:00:00Z"
    assert (stage.done["completed"]["id"], stage.done["completed"]["status"]) == (first_pending.id, "completed")
    assert stage_services.get_call(first_pending.id).status == "completed"
    assert set(stage.done["followed_up"]) == {call.user_id for call in week if call.status != "cancelled"}
    created = {task["user_id"] for task in stage.done["follow_ups"]}
    assert created == set(stage.done["followed_up"]) - users_with_tasks
    assert created  # the seed leaves some of them without a task

    before = len(stage_services.list_tasks().items)
    await follow_up_everyone_with_a_call_this_week(stage)

    assert stage.done["follow_ups"] == []
    assert len(stage_services.list_tasks().items) == before
