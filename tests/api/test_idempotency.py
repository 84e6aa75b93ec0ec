"""Idempotency-Key on the REST creates, over a real server on the local folder and on S3; and across both doors."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from shared.services import Services
from shared.settings import Settings
from shared.storage import Storage
from task_api.app import create_app
from tests.api.conftest import API_KEY, make_user, stdio_env
from tests.live_server import serve

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
MARIA = {"name": "María García", "email": "maria@test-azollon.com", "company": "Test Azollon"}


def create(client: httpx.Client, path: str, body: dict[str, Any], key: str | None) -> httpx.Response:
    return client.post(path, json=body, headers={"Idempotency-Key": key} if key is not None else {})


def bodies(client: httpx.Client) -> dict[str, dict[str, Any]]:
    maria = make_user(client, email="owner@test-azollon.com")
    return {
        "/users": MARIA,
        "/calls": {"user_id": maria["id"], "title": "Onboarding", "scheduled_for": "2025-10-25T10:00:00Z"},
        "/tasks": {"title": "Prepare onboarding materials", "user_id": maria["id"]},
    }


@pytest.mark.parametrize("path", ["/users", "/calls", "/tasks"])
def test_a_retried_create_answers_201_with_the_first_result_and_idempotent_replayed(
    client: httpx.Client, path: str
) -> None:
    body = bodies(client)[path]
    before = len(client.get(path).json())

    first = create(client, path, body, "retry-me")
    again = create(client, path, body, "retry-me")

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(client.get(path).json()) == before + 1


def test_without_the_header_every_post_creates(client: httpx.Client) -> None:
    first = create(client, "/tasks", {"title": "Deck"}, None)
    second = create(client, "/tasks", {"title": "Deck"}, None)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second.headers


def test_the_same_key_with_another_body_is_422_naming_the_header_and_the_clash(client: httpx.Client) -> None:
    first = create(client, "/tasks", {"title": "Deck"}, "order-42")

    refused = create(client, "/tasks", {"title": "Another deck"}, "order-42")

    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["header", "Idempotency-Key"]
    assert "'order-42' was first used with a different task" in problem["msg"]
    assert [t["id"] for t in client.get("/tasks").json()] == [first.json()["id"]]


@pytest.mark.parametrize("key", ["", "two words", "x" * 256])
def test_an_invalid_key_is_422_naming_the_header_and_creates_nothing(client: httpx.Client, key: str) -> None:
    refused = create(client, "/tasks", {"title": "Deck"}, key)

    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["header", "Idempotency-Key"]
    assert "1-255 visible ASCII characters" in problem["msg"]
    assert client.get("/tasks").json() == []


def test_a_non_ascii_key_is_refused_too(base_url: str) -> None:
    # httpx refuses to send a non-ASCII header itself; a raw latin-1 byte gets the same 422.
    with httpx.Client(base_url=base_url, timeout=30) as raw:
        response = raw.post(
            "/tasks",
            content=b'{"title": "Deck"}',
            headers=[
                (b"X-API-Key", b"test-key-for-the-suite"),
                (b"Content-Type", b"application/json"),
                (b"Idempotency-Key", "cl\xe9".encode("latin-1")),
            ],
        )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_replay_is_logged_as_one(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="task_api.rest")
    task = create(client, "/tasks", {"title": "Deck"}, "k").json()
    create(client, "/tasks", {"title": "Deck"}, "k")

    lines = [r.getMessage() for r in caplog.records if r.name == "task_api.rest"]
    assert re.fullmatch(rf"REST POST /tasks task={task['id']} 201 \(\d+ ms\) by default", lines[0])
    assert re.fullmatch(rf"REST POST /tasks task={task['id']} 201 replayed \(\d+ ms\) by default", lines[1])


@pytest.mark.anyio
async def test_a_key_holds_across_a_rest_create_and_the_stdio_mcp_process_over_one_store(
    client: httpx.Client, api_storage: Storage
) -> None:
    maria = make_user(client)
    body = {"user_id": maria["id"], "title": "Onboarding", "scheduled_for": "2025-10-25T12:00:00+02:00"}
    over_rest = create(client, "/calls", body, "book-maria").json()

    # The stdio MCP server, its own process over the same store, through a real MCP client.
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server"], env=stdio_env(api_storage), cwd=REPO_ROOT
    )
    with anyio.fail_after(60):
        async with Client(params, read_timeout_seconds=30) as mcp:
            over_mcp = await mcp.call_tool(
                "schedule_call",
                {
                    "user_id": maria["id"],
                    "title": "Onboarding",
                    "scheduled_for": "2025-10-25T10:00:00Z",  # the same instant, written otherwise
                    "duration_minutes": 30,  # the default, given
                    "idempotency_key": "book-maria",
                },
            )
            task_over_mcp = await mcp.call_tool("create_task", {"title": "Send the deck", "idempotency_key": "deck-1"})

    # MCP answers a write with the compact call: the same call, its long fields left out.
    assert not over_mcp.is_error and over_mcp.structured_content is not None
    mcp_call = over_mcp.structured_content
    assert mcp_call["id"] == over_rest["id"]
    assert mcp_call == {name: over_rest[name] for name in mcp_call}
    assert [call["id"] for call in client.get("/calls").json()] == [over_rest["id"]]
    assert task_over_mcp.structured_content is not None
    replay = create(client, "/tasks", {"title": "Send the deck"}, "deck-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    replayed = replay.json()
    assert replayed["id"] == task_over_mcp.structured_content["id"]
    assert {name: replayed[name] for name in task_over_mcp.structured_content} == task_over_mcp.structured_content


def test_openapi_documents_the_header_and_the_replay(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/users", "/calls", "/tasks"):
        operation = paths[path]["post"]
        [parameter] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert parameter["in"] == "header" and not parameter["required"]
        assert "24 hours" in parameter["description"]
        assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
        assert "Idempotency-Key" in operation["responses"]["422"]["description"]


def readme_retry_command() -> str:
    [block] = [b for b in re.findall(r"```bash\n(.*?)```", README.read_text(), re.S) if "Idempotency-Key:" in b]
    return block


def test_the_readme_retry_command_run_twice_makes_one_task_and_says_so(base_url: str, client: httpx.Client) -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to run the README's command (apt-get install curl)")
    command = (
        readme_retry_command()
        .replace("http://localhost:8000", base_url)
        .replace("demo-secret-key-change-in-production", API_KEY)
    )

    first, again = (
        subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, check=True).stdout
        for _ in range(2)
    )

    assert first.startswith("HTTP/1.1 201") and again.startswith("HTTP/1.1 201")
    assert "idempotent-replayed: true" not in first.lower()
    assert "idempotent-replayed: true" in again.lower()
    assert first.rsplit("\n", 1)[-1] == again.rsplit("\n", 1)[-1]  # the same body
    [task] = client.get("/tasks").json()
    assert task["title"] == "Prepare onboarding materials" and task["id"] in again


def test_a_browser_at_a_configured_origin_may_send_the_key_and_read_the_replay(local_storage: Storage) -> None:
    origin = "http://localhost:6274"
    settings = Settings(TASK_API_KEY=API_KEY, TASK_API_CORS_ORIGINS=origin)
    with serve(create_app(settings, services=Services(local_storage))) as url:
        preflight = httpx.options(
            f"{url}/tasks",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key, content-type, idempotency-key",
            },
        )
        headers = {"Origin": origin, "X-API-Key": API_KEY, "Idempotency-Key": "k"}
        httpx.post(f"{url}/tasks", json={"title": "Deck"}, headers=headers)
        replay = httpx.post(f"{url}/tasks", json={"title": "Deck"}, headers=headers)

    assert preflight.status_code == 200
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "idempotent-replayed" in replay.headers["access-control-expose-headers"].lower()
