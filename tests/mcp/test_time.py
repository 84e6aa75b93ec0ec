"""Time over MCP: naive date-times read in TASK_API_TIMEZONE, get_current_time, and "now" in the instructions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from mcp_server import build_mcp
from shared.context import input_zone
from shared.services import Services
from shared.storage import LocalStorage
from tests.clocks import FakeClock
from tests.mcp.conftest import Tools

pytestmark = pytest.mark.anyio

MADRID = ZoneInfo("Europe/Madrid")
FRIDAY = datetime(2025, 10, 24, 10, 30, tzinfo=UTC)  # 12:30 in Madrid


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FRIDAY)


@pytest.fixture
def server(storage: LocalStorage, clock: FakeClock) -> MCPServer:
    return build_mcp(Services(storage, clock=clock), zone=MADRID)


@pytest.fixture
async def client(server: MCPServer) -> AsyncIterator[Client]:
    async with Client(server) as client:
        yield client


async def test_a_naive_time_is_read_in_the_configured_zone(tools: Tools) -> None:
    user = await tools.make_user()
    summer = await tools.make_call(user["id"], scheduled_for="2025-10-24T12:00:00")
    winter = await tools.make_call(user["id"], scheduled_for="2025-12-01T12:00:00")
    task = await tools.make_task(due_date="2025-10-31T09:00")

    assert summer["scheduled_for"] == "2025-10-24T10:00:00Z"
    assert winter["scheduled_for"] == "2025-12-01T11:00:00Z"
    assert task["due_date"] == "2025-10-31T08:00:00Z"
    moved = await tools.ok("reschedule_call", call_id=summer["id"], scheduled_for="2025-10-27T09:00:00")
    assert moved["scheduled_for"] == "2025-10-27T08:00:00Z"


async def test_a_time_with_an_offset_keeps_its_instant(tools: Tools) -> None:
    user = await tools.make_user()
    call = await tools.make_call(user["id"], scheduled_for="2025-10-24T12:00:00-04:00")
    assert call["scheduled_for"] == "2025-10-24T16:00:00Z"


async def test_list_filters_read_naive_bounds_in_the_zone(tools: Tools) -> None:
    user = await tools.make_user()
    early = await tools.make_call(user["id"], scheduled_for="2025-10-24T00:30:00Z")  # 02:30 in Madrid
    late = await tools.make_call(user["id"], scheduled_for="2025-10-23T22:30:00Z")  # 00:30 in Madrid, the 24th
    await tools.make_call(user["id"], scheduled_for="2025-10-23T21:30:00Z")  # 23:30 in Madrid, the 23rd

    page = await tools.ok("list_calls", scheduled_from="2025-10-24T00:00:00", scheduled_to="2025-10-24T23:59:59")
    assert {c["id"] for c in page["items"]} == {early["id"], late["id"]}
    due = await tools.ok("list_tasks", due_before="2025-10-24T00:00:00")
    assert due["items"] == []


async def test_a_time_the_clocks_skip_is_refused_naming_the_zone(tools: Tools) -> None:
    user = await tools.make_user()
    text = await tools.error("schedule_call", user_id=user["id"], title="Call", scheduled_for="2026-03-29T02:30:00")
    assert "scheduled_for: 2026-03-29T02:30:00 does not exist in Europe/Madrid" in text
    assert "offset" in text


async def test_the_zone_is_set_only_around_tool_calls(tools: Tools) -> None:
    await tools.ok("get_current_time")
    assert input_zone() is UTC  # nothing leaks into the caller's context


async def test_get_current_time_tells_the_instant_the_zone_and_the_local_day(tools: Tools, clock: FakeClock) -> None:
    now = await tools.ok("get_current_time")
    assert now == {
        "utc": "2025-10-24T10:30:00Z",
        "time_zone": "Europe/Madrid",
        "local": "2025-10-24T12:30:00+02:00",
        "weekday": "Friday",
        "today": "2025-10-24",
        "week_start": "2025-10-20",
        "next_week_start": "2025-10-27",
    }
    clock.advance(days=3, hours=13)  # 23:30Z on Monday: already Tuesday in Madrid, now on winter time
    later = await tools.ok("get_current_time")
    assert (later["local"], later["weekday"], later["week_start"]) == (
        "2025-10-28T00:30:00+01:00",
        "Tuesday",
        "2025-10-27",
    )


async def test_the_instructions_tell_now_in_the_zone(client: Client) -> None:
    instructions = client.instructions or ""
    assert "It is Friday 24 October 2025, 12:30 in Europe/Madrid (2025-10-24T10:30:00Z)" in instructions
    assert "this week began on Monday 20 October" in instructions
    assert "without an offset is read in Europe/Madrid" in instructions
    assert "get_current_time" in instructions


async def test_the_instructions_are_dated_when_a_client_connects_not_when_the_server_was_built(
    server: MCPServer, clock: FakeClock
) -> None:
    async with Client(server) as first:
        assert "Friday 24 October 2025" in (first.instructions or "")
    clock.advance(days=4)
    async with Client(server) as second:
        assert "It is Tuesday 28 October 2025, 11:30 in Europe/Madrid" in (second.instructions or "")


async def test_without_a_zone_naive_times_are_utc(services: Services) -> None:
    async with Client(build_mcp(services)) as client:
        assert "without an offset is read in UTC" in (client.instructions or "")
        result = await client.call_tool("create_task", {"title": "T", "due_date": "2025-10-31T09:00:00"})
        assert result.structured_content is not None
        assert result.structured_content["due_date"] == "2025-10-31T09:00:00Z"
        now = await client.call_tool("get_current_time", {})
        assert now.structured_content is not None
        assert now.structured_content["time_zone"] == "UTC"
