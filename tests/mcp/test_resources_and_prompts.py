"""The user overview resource and the demo prompts, read through an MCP client."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from mcp import Client, MCPError
from mcp.types import INVALID_PARAMS, TextContent, TextResourceContents

from mcp_server import build_mcp
from shared.services import Services
from tests.mcp.conftest import Tools

pytestmark = pytest.mark.anyio


async def test_user_overview_template_is_listed_as_json(client: Client) -> None:
    [template] = (await client.list_resource_templates()).resource_templates

    assert template.uri_template == "taskapi://users/{user_id}"
    assert template.mime_type == "application/json"
    assert template.description


async def test_user_overview_shows_the_user_with_their_calls_and_tasks_only(client: Client, tools: Tools) -> None:
    maria = await tools.make_user()
    mario = await tools.make_user(name="Mario Rossi", email="mario@example.com")
    call = await tools.make_call(maria["id"])
    task = await tools.make_task(user_id=maria["id"])
    await tools.make_call(mario["id"])
    await tools.make_task(user_id=mario["id"])
    await tools.make_task()

    result = await client.read_resource(f"taskapi://users/{maria['id']}")

    [contents] = result.contents
    assert isinstance(contents, TextResourceContents)
    assert contents.mime_type == "application/json"
    whole = {
        "user": await tools.get("user", maria["id"]),
        "calls": [await tools.get("call", call["id"])],
        "tasks": [await tools.get("task", task["id"])],
    }
    assert json.loads(contents.text) == whole


async def test_user_overview_of_an_unknown_user_is_a_clean_error_that_says_where_to_find_ids(
    client: Client,
) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource("taskapi://users/nobody-here")

    assert caught.value.error.message == (
        "User nobody-here not found. Call find_users or list_users to get a valid user_id."
    )


async def test_prompts_are_listed_with_their_arguments(client: Client) -> None:
    prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}

    assert set(prompts) == {"onboard_client", "weekly_follow_ups"}
    onboard = prompts["onboard_client"]
    assert onboard.title and onboard.description
    assert [(arg.name, arg.required) for arg in onboard.arguments or []] == [
        ("name", True),
        ("email", True),
        ("company", True),
    ]
    assert all(arg.description for arg in onboard.arguments or [])
    assert prompts["weekly_follow_ups"].arguments == []


async def render(client: Client, prompt: str, arguments: dict[str, str] | None = None) -> str:
    result = await client.get_prompt(prompt, arguments)
    [message] = result.messages
    assert message.role == "user"
    assert isinstance(message.content, TextContent)
    return message.content.text


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


WEDNESDAY = datetime(2025, 10, 22, 15, 30, tzinfo=UTC)
FRIDAY = datetime(2025, 10, 24, 15, 30, tzinfo=UTC)


async def test_onboard_client_checks_for_a_duplicate_then_registers_and_books_the_next_working_day(
    services: Services,
) -> None:
    async with Client(build_mcp(services, clock=MovableClock(FRIDAY))) as client:
        text = await render(
            client, "onboard_client", {"name": "Ana Pérez", "email": "ana@example.com", "company": "Acme"}
        )

    assert text.index("find_users") < text.index("create_user") < text.index("schedule_call")
    assert 'query "ana@example.com"' in text
    assert 'name "Ana Pérez", email "ana@example.com", company "Acme"' in text
    assert 'title "Onboarding call - Acme"' in text
    assert 'scheduled_for "2025-10-27T10:00:00Z"' in text  # Friday -> Monday, not Saturday
    assert "duration_minutes 45" in text


async def test_weekly_follow_ups_covers_this_week_and_checks_existing_tasks_first(services: Services) -> None:
    async with Client(build_mcp(services, clock=MovableClock(WEDNESDAY))) as client:
        text = await render(client, "weekly_follow_ups")

    assert 'scheduled_from "2025-10-20T00:00:00Z" and scheduled_to "2025-10-26T23:59:59Z"' in text
    assert text.index("list_calls") < text.index("list_tasks") < text.index("create_task")
    assert "next_cursor" in text
    assert 'due_date "2025-10-27T12:00:00Z"' in text


async def test_prompts_are_dated_when_rendered_not_when_the_server_was_built(services: Services) -> None:
    clock = MovableClock(WEDNESDAY)
    async with Client(build_mcp(services, clock=clock)) as client:
        this_week = await render(client, "weekly_follow_ups")
        clock.now += timedelta(days=7)
        next_week = await render(client, "weekly_follow_ups")

    assert '"2025-10-20T00:00:00Z"' in this_week
    assert '"2025-10-27T00:00:00Z"' in next_week


async def test_a_prompt_without_its_arguments_is_an_invalid_params_error_not_a_logged_crash(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(MCPError) as caught:
        await client.get_prompt("onboard_client", {"name": "Ana"})

    assert caught.value.error.code == INVALID_PARAMS
    assert caught.value.error.message == "Prompt onboard_client needs the arguments: company, email."
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
