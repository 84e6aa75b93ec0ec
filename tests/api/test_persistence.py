"""What the API stores: one JSON object per entity, equal to what the API returns; outages are 503s."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from shared.services import Services
from shared.settings import Settings
from shared.storage import S3Storage, Storage
from task_api.app import create_app
from tests.api.conftest import API_KEY, make_user, stdio_env
from tests.live_server import serve

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_each_entity_is_stored_as_the_json_the_api_returns(client: httpx.Client, api_storage: Storage) -> None:
    user = make_user(client)
    call = client.post(
        "/calls", json={"user_id": user["id"], "title": "Call", "scheduled_for": "2025-10-25T10:00:00Z"}
    ).json()
    task = client.post("/tasks", json={"title": "Task", "user_id": user["id"]}).json()
    for collection, entity in (("users", user), ("calls", call), ("tasks", task)):
        stored = api_storage.get(collection, str(entity["id"]))
        assert stored is not None
        assert json.loads(stored.body) == entity


def test_a_status_change_is_written_through_to_the_store(client: httpx.Client, api_storage: Storage) -> None:
    task = client.post("/tasks", json={"title": "Task"}).json()
    client.patch(f"/tasks/{task['id']}/status", params={"new_status": "in_progress"})
    stored = api_storage.get("tasks", task["id"])
    assert stored is not None
    assert json.loads(stored.body)["status"] == "in_progress"


def test_the_spec_complete_testing_flow(client: httpx.Client) -> None:
    user = client.post(
        "/users", json={"name": "Test User", "email": "test@example.com", "company": "Test Company"}
    ).json()
    call = client.post(
        "/calls",
        json={
            "user_id": user["id"],
            "title": "Test Call",
            "scheduled_for": "2025-10-25T10:00:00Z",
            "duration_minutes": 30,
        },
    ).json()
    task = client.post("/tasks", json={"title": "Follow up with Test User", "user_id": user["id"]}).json()
    assert [u["id"] for u in client.get("/users").json()] == [user["id"]]
    assert [c["id"] for c in client.get("/calls").json()] == [call["id"]]
    assert [t["id"] for t in client.get("/tasks").json()] == [task["id"]]
    assert client.patch(f"/calls/{call['id']}/status?new_status=completed").json()["status"] == "completed"
    assert client.patch(f"/tasks/{task['id']}/status?new_status=done").json()["status"] == "done"


@pytest.fixture
def unreachable_s3_url() -> Iterator[str]:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


def test_an_s3_outage_is_a_503_with_the_json_shape_and_the_server_stays_up(
    unreachable_s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    storage = S3Storage("mcp-pycon-demo-bucket", endpoint_url=unreachable_s3_url)
    app = create_app(Settings(TASK_API_KEY=API_KEY), services=Services(storage))
    with serve(app) as url, httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=60) as client:
        assert client.get("/health").status_code == 200
        for response in (
            client.get("/users"),
            client.post("/users", json={"name": "A", "email": "a@example.com", "company": "C"}),
            client.get("/users/some-id"),
        ):
            assert response.status_code == 503
            body = response.json()
            assert body["success"] is False
            assert "S3 is unavailable" in body["message"]
            assert response.headers["Retry-After"]


@pytest.mark.anyio
async def test_what_a_stdio_mcp_server_process_writes_is_in_the_next_rest_list(
    client: httpx.Client, api_storage: Storage
) -> None:
    tasks = [client.post("/tasks", json={"title": f"Task {n}"}).json() for n in range(3)]
    assert [t["id"] for t in client.get("/tasks").json()] == [t["id"] for t in tasks]  # the REST cache is warm
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server"], env=stdio_env(api_storage), cwd=REPO_ROOT
    )

    with anyio.fail_after(60):
        async with Client(params, read_timeout_seconds=30) as mcp:
            changed = await mcp.call_tool("update_task_status", {"task_id": tasks[1]["id"], "status": "done"})
            added = await mcp.call_tool("create_task", {"title": "Booked by the agent"})
    assert not changed.is_error and not added.is_error
    assert added.structured_content is not None

    listed = client.get("/tasks").json()
    assert [t["id"] for t in listed] == [*(t["id"] for t in tasks), added.structured_content["id"]]
    assert listed[1]["status"] == "done"
    assert [t["id"] for t in client.get("/tasks", params={"status_filter": "done"}).json()] == [tasks[1]["id"]]
    page = client.get(
        "/tasks", params={"limit": 2, "cursor": client.get("/tasks", params={"limit": 2}).headers["X-Next-Cursor"]}
    )
    assert [t["id"] for t in page.json()] == [tasks[2]["id"], added.structured_content["id"]]
