"""/mcp on the REST server's own port: a real MCP client over streamable HTTP, the key, and parity with REST."""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

from shared.storage import Storage
from tests.api.conftest import API_KEY, make_user, stdio_env

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw-http-test", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def mcp_client(base_url: str, headers: dict[str, str]) -> Client:
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60))
    return Client(streamable_http_client(f"{base_url}/mcp", http_client=http))


async def structured(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


@pytest.mark.parametrize(
    "headers", [{"X-API-Key": API_KEY}, {"Authorization": f"Bearer {API_KEY}"}], ids=["x-api-key", "bearer"]
)
async def test_an_mcp_client_with_the_key_lists_and_calls_tools(base_url: str, headers: dict[str, str]) -> None:
    async with mcp_client(base_url, headers) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"create_user", "schedule_call", "update_task_status", "find_users"} <= names
        user = await structured(client, "create_user", {"name": "Ana", "email": "ana@example.com", "company": "Acme"})
        assert user["user_type"] == "client"


async def test_made_over_mcp_is_read_over_rest(base_url: str, client: httpx.Client) -> None:
    async with mcp_client(base_url, {"X-API-Key": API_KEY}) as mcp:
        user = await structured(
            mcp, "create_user", {"name": "María García", "email": "maria@example.com", "company": "Azollon"}
        )
        call = await structured(
            mcp,
            "schedule_call",
            {"user_id": user["id"], "title": "Onboarding", "scheduled_for": "2025-10-25T12:00:00+02:00"},
        )
        task = await structured(mcp, "create_task", {"title": "Deck", "user_id": user["id"]})
        done = await structured(mcp, "update_task_status", {"task_id": task["id"], "status": "done"})
    # The MCP writes answer compact: the same values as the whole entity, for the fields they have.
    for path, made in ((f"/users/{user['id']}", user), (f"/calls/{call['id']}", call), (f"/tasks/{task['id']}", done)):
        stored = client.get(path).json()
        assert made == {key: stored[key] for key in made}
    assert client.get(f"/tasks/{task['id']}").json()["status"] == "done"
    assert client.get("/calls").json()[0]["scheduled_for"] == "2025-10-25T10:00:00Z"


async def test_made_over_rest_is_read_over_mcp(base_url: str, client: httpx.Client) -> None:
    user = make_user(client)
    call = client.post(
        "/calls", json={"user_id": user["id"], "title": "Kickoff", "scheduled_for": "2025-10-25T10:00:00Z"}
    ).json()
    call = client.patch(f"/calls/{call['id']}/status", params={"new_status": "completed"}).json()
    async with mcp_client(base_url, {"X-API-Key": API_KEY}) as mcp:
        assert await structured(mcp, "get_user", {"user_id": user["id"]}) == user
        found = await structured(mcp, "find_users", {"query": "maria garcia"})
        assert [u["id"] for u in found["items"]] == [user["id"]]
        calls = await structured(mcp, "list_calls", {"user_id": user["id"], "status": "completed", "fields": ["all"]})
        assert calls["items"] == [call]
        resource = await mcp.read_resource(f"taskapi://users/{user['id']}")
        [content] = resource.contents
        overview = json.loads(content.text)  # type: ignore[union-attr]
        assert overview["user"] == user
        assert overview["calls"] == [call]


async def test_the_same_rules_hold_over_mcp_an_unknown_user_is_an_actionable_error(base_url: str) -> None:
    async with mcp_client(base_url, {"X-API-Key": API_KEY}) as mcp:
        result = await mcp.call_tool(
            "schedule_call", {"user_id": "ghost", "title": "x", "scheduled_for": "2025-10-25T10:00:00Z"}
        )
    assert result.is_error
    [content] = result.content
    assert isinstance(content, TextContent)
    assert "User ghost not found" in content.text
    assert "find_users" in content.text


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "Missing API key"), ({"X-API-Key": "wrong"}, "Invalid API key"), ({"Authorization": "Bearer x"}, "Invalid")],
)
async def test_mcp_without_the_right_key_is_403_json(base_url: str, headers: dict[str, str], message: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base_url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **headers})
    assert response.status_code == 403
    assert response.json()["success"] is False
    assert message in response.json()["message"]


async def test_mcp_client_without_the_key_fails_to_connect(base_url: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the SDK's error type for an HTTP 403 is not public API
        async with mcp_client(base_url, {}) as client:
            await client.list_tools()


async def test_raw_initialize_answers_json_without_a_session(base_url: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base_url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "X-API-Key": API_KEY})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["result"]["serverInfo"]["name"] == "task-api"
    assert "mcp-session-id" not in response.headers  # stateless: any replica can answer the next request


@pytest.mark.parametrize(
    "headers",
    [{"Host": "evil.example:8000"}, {"Origin": "http://evil.example"}],
    ids=["foreign-host", "foreign-origin"],
)
async def test_dns_rebinding_is_refused_even_with_the_key(base_url: str, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base_url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "X-API-Key": API_KEY, **headers}
        )
    assert response.status_code in (403, 421)
    assert "serverInfo" not in response.text


async def test_the_servers_own_origin_is_allowed(base_url: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base_url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "X-API-Key": API_KEY, "Origin": base_url}
        )
    assert response.status_code == 200


async def test_a_stdio_mcp_server_and_the_rest_server_share_one_store(
    api_storage: Storage, client: httpx.Client
) -> None:
    user = make_user(client)
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_server"], env=stdio_env(api_storage))
    async with Client(params) as stdio:
        assert await structured(stdio, "get_user", {"user_id": user["id"]}) == user
        task = await structured(stdio, "create_task", {"title": "Send the deck", "user_id": user["id"]})
    stored = client.get(f"/tasks/{task['id']}").json()
    assert task == {key: stored[key] for key in task}  # the MCP write answers compact
    assert [t["id"] for t in client.get("/tasks", params={"user_id": user["id"]}).json()] == [task["id"]]
