"""Scoped keys through a real server: full keys (two, as in a rotation), a read-only key, a read-only server.

Over REST a read-only key reads and gets 403 on every write route (found from the app's own OpenAPI, so a
new write route is covered without touching this file). Over /mcp, with a real MCP client, a read-only key
sees no write tool and cannot call one. Every request runs as its key's label, down to the service layer.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from mcp.types import TextContent

from mcp_server.access import writes
from shared.context import Actor, current_actor
from shared.models import TaskCreate, UserCreate
from shared.services import Services
from shared.settings import Settings
from shared.storage import LocalStorage
from task_api.app import create_app
from task_api.security import WRITE_METHODS
from tests.api.test_mcp_http import INITIALIZE, MCP_HEADERS, mcp_client, structured
from tests.live_server import clean_env, serve, serve_process
from tests.mcp.conftest import ALWAYS, READS, TASK_READS, USER_READS

OLD = "old-key-0123456789abcdef"
NEW = "new-key-0123456789abcdef"
READER = "reader-key-0123456789abc"
KEYS = Settings(TASK_API_KEYS=f"laptop:{OLD},ci:{NEW}", TASK_API_READ_KEYS=f"dashboard:{READER}")
USER = {"name": "Ana Ruiz", "email": "ana@example.com", "company": "Acme"}


class RecordingServices(Services):
    """The services, noting who the request context says is acting when a user or a task is created."""

    def __init__(self, storage: LocalStorage) -> None:
        super().__init__(storage)
        self.actors: list[Actor] = []

    def create_user(self, data: UserCreate, **options: Any) -> Any:
        self.actors.append(current_actor())
        return super().create_user(data, **options)

    def create_task(self, data: TaskCreate, **options: Any) -> Any:
        self.actors.append(current_actor())
        return super().create_task(data, **options)


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the API that changes data, from the app's OpenAPI document."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in WRITE_METHODS
    ]


@pytest.fixture
def services(local_storage: LocalStorage) -> RecordingServices:
    return RecordingServices(local_storage)


@pytest.fixture
def app(services: RecordingServices) -> FastAPI:
    return create_app(KEYS, services=services)


@pytest.fixture
def url(app: FastAPI) -> Iterator[str]:
    with serve(app) as base:
        yield base


def http(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30)


# REST


def test_both_full_keys_of_a_rotation_read_and_write(url: str) -> None:
    for key in (OLD, NEW):
        with http(url, key) as client:
            assert client.post("/users", json=USER).status_code == 201
            assert client.get("/users").status_code == 200


def test_a_read_only_key_reads_everything(url: str) -> None:
    with http(url, OLD) as full:
        user = full.post("/users", json=USER).json()
        task = full.post("/tasks", json={"title": "Deck", "user_id": user["id"]}).json()
    with http(url, READER) as reader:
        for path in ("/users", "/calls", "/tasks", f"/users/{user['id']}", f"/tasks/{task['id']}", "/board/state"):
            assert reader.get(path).status_code == 200, path
        assert reader.get("/users", params={"q": "ana"}).json()[0]["id"] == user["id"]


def test_a_read_only_key_gets_403_on_every_write_route(app: FastAPI, url: str) -> None:
    routes = write_routes(app)
    assert {
        ("POST", "/users"),
        ("POST", "/calls"),
        ("POST", "/tasks"),
        ("PATCH", "/calls/{call_id}/status"),
        ("PATCH", "/calls/{call_id}"),
        ("PATCH", "/tasks/{task_id}/status"),
        ("PATCH", "/tasks/{task_id}"),
    } <= set(routes)
    with http(url, OLD) as full:
        user = full.post("/users", json=USER).json()
    ids = {"{user_id}": user["id"], "{call_id}": "any-call", "{task_id}": "any-task"}
    with http(url, READER) as reader:
        for method, path in routes:
            concrete = re.sub(r"\{[a-z_]+\}", lambda m: ids.get(m.group(0), "any-id"), path)
            response = reader.request(method, concrete, json={"title": "x"}, params={"new_status": "done"})
            assert response.status_code == 403, (method, path, response.text)
            assert response.json() == {
                "success": False,
                "message": "This API key (dashboard) is read-only: it can read but not change data. "
                "Use a full key (TASK_API_KEY or TASK_API_KEYS) to make changes.",
            }
        assert reader.get("/users").json() == [user]  # nothing changed


def test_a_read_only_server_refuses_writes_to_every_key(local_storage: LocalStorage) -> None:
    settings = KEYS.model_copy(update={"read_only": True})
    app = create_app(settings, services=Services(local_storage))
    with serve(app) as url:
        for key in (OLD, NEW, READER):
            with http(url, key) as client:
                for method, path in write_routes(app):
                    response = client.request(method, path.replace("{", "").replace("}", ""), json={})
                    assert response.status_code == 403, (key, method, path)
                    assert "TASK_API_READ_ONLY" in response.json()["message"]
                assert client.get("/users").status_code == 200


def test_a_wrong_key_is_still_403_never_401(url: str) -> None:
    for key in ("", "not-any-of-the-keys", OLD + "x", OLD[:-1]):
        with http(url, key) as client:
            assert client.get("/users").status_code == 403


def test_the_key_label_reaches_the_service_layer_and_the_change_log(
    url: str, services: RecordingServices, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="task_api.rest")
    with http(url, NEW) as client:
        user = client.post("/users", json=USER).json()
    with http(url, READER) as reader:
        reader.post("/tasks", json={"title": "Refused"})
    assert services.actors == [Actor("ci", "rest")]
    lines = [r.getMessage() for r in caplog.records if r.name == "task_api.rest"]
    assert re.fullmatch(rf"REST POST /users user={user['id']} 201 \(\d+ ms\) by ci", lines[0]), lines
    assert re.fullmatch(r"REST POST /tasks - 403 This API key \(dashboard\) is read-only.* by dashboard", lines[1])
    assert READER not in "\n".join(lines) and NEW not in "\n".join(lines)


def test_the_server_process_takes_keys_from_the_environment_and_logs_only_their_labels(tmp_path: Path) -> None:
    env = clean_env(
        TASK_API_DATA_DIR=str(tmp_path / "data"),
        TASK_API_KEYS=f"laptop:{OLD},ci:{NEW}",
        TASK_API_READ_KEYS=f"dashboard:{READER}",
        TASK_API_TOOLSETS="users,tasks",
    )
    with serve_process(env, tmp_path) as server:
        for key in (OLD, NEW):
            with http(server.url, key) as client:
                assert client.post("/users", json=USER).status_code == 201
        with http(server.url, READER) as reader:
            assert reader.post("/users", json=USER).status_code == 403
            assert len(reader.get("/users").json()) == 2
        log = server.log()
    assert "API keys: laptop (full), ci (full), dashboard (read-only); MCP toolsets: users, tasks" in log
    assert re.search(r"REST POST /users user=\S+ 201 \(\d+ ms\) by ci", log)
    assert not any(key in log for key in (OLD, NEW, READER))


def test_a_key_listed_twice_stops_the_server_with_one_line(tmp_path: Path) -> None:
    env = clean_env(TASK_API_KEY=OLD, TASK_API_READ_KEYS=f"dashboard:{OLD}")
    done = subprocess.run(
        [sys.executable, "-m", "task_api", "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "task-api: invalid configuration in the environment:",
        "  TASK_API_READ_KEYS: the key labelled 'dashboard' is the same key as the one labelled 'default' in "
        "TASK_API_KEY; list each key once",
    ]


# MCP over HTTP


def text_of(content: list[Any]) -> str:
    [item] = content
    assert isinstance(item, TextContent)
    return item.text


@pytest.mark.anyio
async def test_over_mcp_a_read_only_key_sees_no_write_tools_and_cannot_call_them(
    url: str, services: RecordingServices
) -> None:
    async with mcp_client(url, {"X-API-Key": OLD}) as full:
        every = (await full.list_tools()).tools
        user = await structured(full, "create_user", USER)
    write_tools = {tool.name for tool in every if writes(tool.annotations)}
    assert {"create_user", "schedule_call", "create_task", "update_task", "reschedule_call"} <= write_tools

    async with mcp_client(url, {"Authorization": f"Bearer {READER}"}) as reader:
        listed = {tool.name for tool in (await reader.list_tools()).tools}
        assert listed == {tool.name for tool in every} - write_tools
        assert {"find_users", "list_calls", "get_task"} <= listed
        found = await structured(reader, "find_users", {"query": "ana"})
        assert [u["id"] for u in found["items"]] == [user["id"]]
        refused = await reader.call_tool("create_user", USER)
        assert refused.is_error
        assert "create_user changes data, and this API key (dashboard) is read-only" in text_of(refused.content)
        refused = await reader.call_tool("update_task_status", {"task_id": "x", "status": "done"})
        assert refused.is_error and "read-only" in text_of(refused.content)
    assert [actor.label for actor in services.actors] == ["laptop"]  # the refused calls never reached them


@pytest.mark.anyio
async def test_over_mcp_the_key_label_reaches_the_service_layer(
    url: str, services: RecordingServices, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="task_api.mcp")
    async with mcp_client(url, {"X-API-Key": NEW}) as ci:
        task = await structured(ci, "create_task", {"title": "Deck"})
    async with mcp_client(url, {"X-API-Key": OLD}) as laptop:
        await structured(laptop, "create_user", USER)
    assert services.actors == [Actor("ci", "mcp"), Actor("laptop", "mcp")]
    lines = [r.getMessage() for r in caplog.records if r.name == "task_api.mcp"]
    assert re.fullmatch(rf"MCP create_task task={task['id']} ok \(\d+ ms\) by ci", lines[0]), lines


@pytest.mark.anyio
async def test_a_read_only_server_has_no_write_tools_over_http_for_any_key(local_storage: LocalStorage) -> None:
    settings = KEYS.model_copy(update={"read_only": True, "toolsets": "users,tasks"})
    with serve(create_app(settings, services=Services(local_storage))) as url:
        async with mcp_client(url, {"X-API-Key": OLD}) as full:
            tools = (await full.list_tools()).tools
            refused = await full.call_tool("create_user", USER)
    assert {tool.name for tool in tools} == ALWAYS | USER_READS | TASK_READS
    assert refused.is_error and "Unknown tool" in text_of(refused.content)


@pytest.mark.anyio
async def test_a_read_only_key_is_held_to_it_on_the_2025_protocol_too(url: str) -> None:
    """What Claude Code speaks: plain JSON-RPC over POST, protocol 2025-06-18, each message on its own."""
    headers = {**MCP_HEADERS, "X-API-Key": READER, "Mcp-Protocol-Version": "2025-06-18"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as raw:
        assert (await raw.post("/mcp", json=INITIALIZE)).status_code == 200
        listing = await raw.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        call = {"name": "create_task", "arguments": {"title": "Sneaky"}}
        refused = await raw.post("/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call})
    names = {tool["name"] for tool in listing.json()["result"]["tools"]}
    assert names == READS
    assert refused.json()["result"]["isError"] is True
    assert "this API key (dashboard) is read-only" in refused.json()["result"]["content"][0]["text"]


# The history records who: the key's label and the door, through a real server


@pytest.mark.anyio
async def test_the_history_names_each_change_by_key_label_and_door(url: str) -> None:
    with http(url, OLD) as laptop:
        task = laptop.post("/tasks", json={"title": "Deck"}).json()
    async with mcp_client(url, {"X-API-Key": NEW}) as ci:
        await structured(ci, "update_task_status", {"task_id": task["id"], "status": "done"})
    with http(url, NEW) as ci_rest:
        assert ci_rest.post(f"/tasks/{task['id']}/revert", json={"version": 1}).status_code == 200
    with http(url, READER) as dashboard:
        history = dashboard.get(f"/tasks/{task['id']}/history")
        refused = dashboard.post(f"/tasks/{task['id']}/revert", json={"version": 2})

    assert history.status_code == 200
    versions = history.json()["versions"]
    assert [(v["actor"], v["via"], v["action"]) for v in versions] == [
        ("laptop", "rest", "create"),
        ("ci", "mcp", "update"),
        ("ci", "rest", "revert"),
    ]
    assert versions[-1]["entity"]["status"] == "todo"
    assert refused.status_code == 403  # a read-only key reads the history and cannot revert
