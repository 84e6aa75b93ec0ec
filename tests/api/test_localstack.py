"""End to end on a real LocalStack (the S3 of the spec and of Compose): REST, MCP over HTTP and stdio, one bucket."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from shared.services import Services
from shared.settings import Settings
from shared.storage import S3Storage
from task_api.app import create_app
from tests.api.conftest import stdio_env
from tests.conftest import unique_bucket
from tests.live_server import serve

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "localstack-e2e-key"

pytestmark = pytest.mark.anyio


@pytest.fixture
def storage(localstack_url: str, aws_credentials: None) -> S3Storage:
    # The bucket does not exist yet: the server makes it at start, as it does on a fresh LocalStack.
    return S3Storage(unique_bucket(), endpoint_url=localstack_url)


@pytest.fixture
def server(storage: S3Storage) -> Iterator[str]:
    app = create_app(Settings(TASK_API_KEY=API_KEY), services=Services(storage))
    with serve(app) as url:
        yield url


async def structured(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_rest_mcp_http_and_a_stdio_server_share_one_localstack_bucket(server: str, storage: S3Storage) -> None:
    rest = httpx.Client(base_url=server, headers={"X-API-Key": API_KEY}, timeout=30)
    user = rest.post("/users", json={"name": "María García", "email": "maria@techcorp.example", "company": "TechCorp"})
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]

    http = httpx2.AsyncClient(headers={"X-API-Key": API_KEY}, timeout=httpx2.Timeout(30, read=60))
    async with Client(streamable_http_client(f"{server}/mcp", http_client=http)) as mcp:
        found = await structured(mcp, "find_users", {"query": "maria garcia"})
        assert [u["id"] for u in found["items"]] == [user_id]
        call = await structured(
            mcp,
            "schedule_call",
            {"user_id": user_id, "title": "Onboarding call - TechCorp", "scheduled_for": "2025-10-31T10:00:00Z"},
        )
        done = await structured(mcp, "update_call_status", {"call_id": call["id"], "status": "completed"})

    stdio = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server"], env=stdio_env(storage), cwd=REPO_ROOT
    )
    async with Client(stdio, read_timeout_seconds=30) as agent:
        task = await structured(agent, "create_task", {"title": "Send the welcome pack", "user_id": user_id})

    # The MCP writes answer compact: the same values as the whole entity, for the fields they have.
    stored_call, stored_task = rest.get(f"/calls/{call['id']}").json(), rest.get(f"/tasks/{task['id']}").json()
    assert done == {key: stored_call[key] for key in done} and done["status"] == "completed"
    assert task == {key: stored_task[key] for key in task}
    assert [t["id"] for t in rest.get("/tasks", params={"user_id": user_id}).json()] == [task["id"]]
    board = rest.get("/board/state").json()
    assert {t["id"] for t in board["tasks"]} == {task["id"]}
    assert [u["id"] for u in board["users"]] == [user_id]
    rest.close()


def test_compose_pins_the_localstack_version_ci_runs() -> None:
    compose = (REPO_ROOT / "docker-compose.yml").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()

    image = re.search(r"image:\s*localstack/localstack:(\d+)\.(\d+)\s", compose)
    package = re.search(r'localstack-core\[runtime\]==(\d+)\.(\d+)\.\d+"', ci)
    assert image is not None and package is not None
    assert image.groups() == package.groups()
