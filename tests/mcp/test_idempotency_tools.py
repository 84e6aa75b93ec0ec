"""Idempotent creates and the duplicate-email note, through a real MCP client in memory."""

from __future__ import annotations

import pytest
from mcp import Client

from shared.services import Services
from shared.storage.base import IDEMPOTENCY
from tests.mcp.conftest import Tools

pytestmark = pytest.mark.anyio


async def test_a_retried_create_user_with_one_key_returns_the_first_user_and_stores_one(
    tools: Tools, services: Services
) -> None:
    first = await tools.make_user(idempotency_key="register-maria-1")
    again = await tools.make_user(idempotency_key="register-maria-1")

    assert again == first
    assert [user.id for user in services.list_users().items] == [first["id"]]


async def test_a_retried_schedule_call_and_create_task_return_the_first_result(
    tools: Tools, services: Services
) -> None:
    maria = await tools.make_user()
    call = await tools.make_call(maria["id"], idempotency_key="book-onboarding")
    task = await tools.make_task(user_id=maria["id"], idempotency_key="book-onboarding")  # its own scope

    assert await tools.make_call(maria["id"], idempotency_key="book-onboarding") == call
    assert await tools.make_task(user_id=maria["id"], idempotency_key="book-onboarding") == task
    assert [c.id for c in services.list_calls().items] == [call["id"]]
    assert [t.id for t in services.list_tasks().items] == [task["id"]]


async def test_without_a_key_a_retry_creates_again(tools: Tools, services: Services) -> None:
    first = await tools.make_task()
    second = await tools.make_task()

    assert first["id"] != second["id"]
    assert services.storage.list_refs(IDEMPOTENCY) == []


async def test_the_same_key_with_other_arguments_is_an_error_naming_the_clash(tools: Tools, services: Services) -> None:
    first = await tools.make_task(idempotency_key="follow-up-1")

    text = await tools.error("create_task", title="Something else", idempotency_key="follow-up-1")

    assert "'follow-up-1'" in text
    assert "first used with a different task" in text
    assert "use a new key" in text
    assert [t.id for t in services.list_tasks().items] == [first["id"]]


@pytest.mark.parametrize("key", ["", "has space", "ñ", "k" * 256])
async def test_an_invalid_key_is_an_error_naming_the_argument(tools: Tools, services: Services, key: str) -> None:
    text = await tools.error("create_task", title="Deck", idempotency_key=key)

    assert "idempotency_key" in text
    assert "1-255 visible ASCII characters" in text
    assert services.list_tasks().items == []


async def test_the_create_tools_describe_an_optional_idempotency_key(client: Client) -> None:
    listing = await client.list_tools()
    for tool in listing.tools:
        if tool.name in {"create_user", "schedule_call", "create_task"}:
            argument = tool.input_schema["properties"]["idempotency_key"]
            assert "idempotency_key" not in tool.input_schema.get("required", [])
            assert "on a retry returns the first result" in argument["description"]
        else:
            assert "idempotency_key" not in tool.input_schema["properties"]


# Duplicate emails


async def test_create_user_notes_that_the_email_already_belongs_to_another_user(tools: Tools) -> None:
    maria = await tools.make_user()

    again = await tools.make_user(name="Maria Garcia", email="Maria@TEST-azollon.com")

    assert again["id"] != maria["id"]  # allowed, as the spec allows
    assert maria["id"] in again["note"]
    assert "already belongs to user" in again["note"]


async def test_create_user_has_no_note_for_a_new_email_nor_for_its_own_replay(tools: Tools) -> None:
    await tools.make_user(email="someone.else@test-azollon.com")

    first = await tools.make_user(idempotency_key="k")
    replay = await tools.make_user(idempotency_key="k")

    assert "note" not in first
    assert replay == first
