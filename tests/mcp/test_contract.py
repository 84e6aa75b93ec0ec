"""The MCP door keeps the REST contract: unknown arguments refused, dates as ISO 8601 strings only, reserved-domain
emails accepted, an unknown prompt a proper JSON-RPC error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

pytestmark = pytest.mark.anyio


def text_of(result: Any) -> str:
    return str(result.content[0].text)


@pytest.mark.parametrize(
    ("tool", "arguments", "unknown"),
    [
        ("create_task", {"title": "Send the deck", "descripton": "typo"}, "descripton"),
        ("create_user", {"name": "Ana", "email": "ana@example.com", "company": "A", "role": "x", "zz": 1}, "role, zz"),
        ("list_tasks", {"stauts": "todo"}, "stauts"),
    ],
)
async def test_an_unknown_argument_is_an_error_naming_it(
    client: Client, tool: str, arguments: dict[str, Any], unknown: str
) -> None:
    result = await client.call_tool(tool, arguments)

    assert result.is_error
    assert f"unknown argument{'s' if ',' in unknown else ''} {unknown}." in text_of(result)
    assert f"{tool} takes: " in text_of(result)
    # Nothing was made from the rest of the arguments.
    listed = await client.call_tool("list_tasks", {})
    assert listed.structured_content == {"items": [], "has_more": False}


@pytest.mark.parametrize("due_date", ["-1", 1, "1700000000", 2.5])
async def test_a_number_is_not_a_date(client: Client, due_date: object) -> None:
    result = await client.call_tool("create_task", {"title": "Send the deck", "due_date": due_date})

    assert result.is_error
    assert "due_date" in text_of(result)
    assert "ISO 8601" in text_of(result)


async def test_an_email_at_a_reserved_domain_is_accepted_as_over_rest(client: Client) -> None:
    result = await client.call_tool("create_user", {"name": "Ana", "email": "ana@azollon.test", "company": "A"})

    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["email"] == "ana@azollon.test"


async def test_an_unknown_prompt_is_an_invalid_params_error_without_a_traceback(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MCPError) as raised:
        await client.get_prompt("onboard_custmer", {"name": "Ana"})

    assert raised.value.error.code == INVALID_PARAMS
    assert raised.value.error.message == "Unknown prompt: onboard_custmer. Prompts: onboard_client, weekly_follow_ups."
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
