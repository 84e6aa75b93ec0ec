"""TASK_API_TIMEZONE and overlapping calls over REST (and /mcp on the same server): a server in Europe/Madrid."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.services import Services
from shared.settings import Settings
from shared.storage import Storage
from task_api.app import create_app
from tests.api.conftest import API_KEY, make_user
from tests.api.test_mcp_http import mcp_client, structured
from tests.clocks import FakeClock
from tests.live_server import clean_env, serve

NOW = "2025-10-24T10:30:00Z"  # the services' clock: Friday 12:30 in Madrid


@pytest.fixture
def settings() -> Settings:
    return Settings(TASK_API_KEY=API_KEY, TASK_API_TIMEZONE="Europe/Madrid")


@pytest.fixture
def base_url(api_storage: Storage, settings: Settings) -> Iterator[str]:
    clock = FakeClock(datetime.fromisoformat(NOW))
    with serve(create_app(settings, services=Services(api_storage, clock=clock))) as url:
        yield url


def book(client: httpx.Client, user_id: object, at: str, minutes: int = 30, **params: str) -> httpx.Response:
    body = {"user_id": user_id, "title": f"Call at {at}", "scheduled_for": at, "duration_minutes": minutes}
    return client.post("/calls", json=body, params=params)


def booked(client: httpx.Client, user_id: object, at: str, minutes: int = 30) -> dict[str, Any]:
    response = book(client, user_id, at, minutes)
    assert response.status_code == 201, response.text
    call: dict[str, Any] = response.json()
    return call


# Time


def test_a_naive_body_time_is_read_in_the_configured_zone(client: httpx.Client) -> None:
    user = make_user(client)
    assert booked(client, user["id"], "2025-10-27T09:00:00")["scheduled_for"] == "2025-10-27T08:00:00Z"  # winter
    assert booked(client, user["id"], "2025-10-24T15:00:00")["scheduled_for"] == "2025-10-24T13:00:00Z"  # summer
    task = client.post("/tasks", json={"title": "T", "due_date": "2025-10-31T09:00"})
    assert task.json()["due_date"] == "2025-10-31T08:00:00Z"


def test_a_body_time_with_an_offset_keeps_its_instant(client: httpx.Client) -> None:
    user = make_user(client)
    assert booked(client, user["id"], "2025-10-27T09:00:00Z")["scheduled_for"] == "2025-10-27T09:00:00Z"
    assert booked(client, user["id"], "2025-10-28T09:00:00+05:30")["scheduled_for"] == "2025-10-28T03:30:00Z"


def test_naive_query_filters_are_read_in_the_configured_zone(client: httpx.Client) -> None:
    user = make_user(client)
    past_midnight = booked(client, user["id"], "2025-10-23T22:30:00Z")  # 00:30 on the 24th in Madrid
    booked(client, user["id"], "2025-10-23T21:30:00Z")  # 23:30 on the 23rd in Madrid

    day = client.get("/calls", params={"scheduled_from": "2025-10-24T00:00:00", "scheduled_to": "2025-10-24T23:59"})
    assert day.status_code == 200
    assert [c["id"] for c in day.json()] == [past_midnight["id"]]


def test_a_time_the_clocks_skip_is_a_422_naming_the_zone(client: httpx.Client) -> None:
    user = make_user(client)
    response = book(client, user["id"], "2026-03-29T02:30:00")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "scheduled_for"]
    assert "does not exist in Europe/Madrid" in error["msg"]
    refused = client.get("/calls", params={"scheduled_from": "2026-03-29T02:30:00"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "scheduled_from"]


@pytest.mark.anyio
async def test_mcp_on_the_same_server_reads_naive_times_in_the_zone_too(base_url: str) -> None:
    async with mcp_client(base_url, {"X-API-Key": API_KEY}) as mcp:
        assert "It is Friday 24 October 2025, 12:30 in Europe/Madrid" in (mcp.instructions or "")
        task = await structured(mcp, "create_task", {"title": "T", "due_date": "2025-10-31T09:00:00"})
        assert task["due_date"] == "2025-10-31T08:00:00Z"
        now = await structured(mcp, "get_current_time", {})
        assert (now["local"], now["weekday"]) == ("2025-10-24T12:30:00+02:00", "Friday")


# Overlapping calls: REST books by default and names the overlaps; ?allow_overlap=false refuses with 409


def test_an_overlapping_call_is_booked_and_named_in_a_header(client: httpx.Client) -> None:
    user = make_user(client)
    first = booked(client, user["id"], "2025-10-27T10:00:00Z", 60)
    second = booked(client, user["id"], "2025-10-27T10:15:00Z")
    alone = book(client, user["id"], "2025-10-27T12:00:00Z")

    third = book(client, user["id"], "2025-10-27T10:30:00Z")
    assert third.status_code == 201
    assert third.headers["X-Overlapping-Calls"] == f"{first['id']},{second['id']}"
    assert alone.status_code == 201
    assert "X-Overlapping-Calls" not in alone.headers
    assert len(client.get("/calls", params={"user_id": user["id"]}).json()) == 4


def test_with_allow_overlap_false_a_clash_is_a_409_with_the_calls_and_free_slots(client: httpx.Client) -> None:
    user = make_user(client)
    busy = booked(client, user["id"], "2025-10-27T10:00:00Z", 60)

    refused = book(client, user["id"], "2025-10-27T10:30:00Z", 45, allow_overlap="false")
    assert refused.status_code == 409
    body = refused.json()
    assert body["success"] is False
    assert busy["id"] in body["message"]
    assert [c["id"] for c in body["overlapping_calls"]] == [busy["id"]]
    assert body["overlapping_calls"][0]["title"] == busy["title"]
    # Nearest first: right after the busy call, then 15-minute steps (right before it, 09:15, is further).
    assert body["free_slots"] == ["2025-10-27T11:00:00Z", "2025-10-27T11:15:00Z", "2025-10-27T11:30:00Z"]
    assert len(client.get("/calls", params={"user_id": user["id"]}).json()) == 1  # nothing booked
    for slot in body["free_slots"]:  # each is free, for the same length
        start = datetime.fromisoformat(slot)
        assert start + timedelta(minutes=45) <= datetime.fromisoformat(busy["scheduled_for"]) or start >= (
            datetime.fromisoformat(busy["scheduled_for"]) + timedelta(minutes=60)
        )
    assert book(client, user["id"], body["free_slots"][0], 45, allow_overlap="false").status_code == 201


def test_touching_calls_do_not_overlap(client: httpx.Client) -> None:
    user = make_user(client)
    booked(client, user["id"], "2025-10-27T10:00:00Z", 60)
    after = book(client, user["id"], "2025-10-27T11:00:00Z", allow_overlap="false")
    before = book(client, user["id"], "2025-10-27T09:30:00Z", allow_overlap="false")
    assert (after.status_code, before.status_code) == (201, 201)
    assert "X-Overlapping-Calls" not in book(client, user["id"], "2025-10-27T09:00:00Z").headers


def test_other_users_calls_never_clash(client: httpx.Client) -> None:
    ana, bob = make_user(client), make_user(client, email="bob@example.com")
    booked(client, ana["id"], "2025-10-27T10:00:00Z")
    assert book(client, bob["id"], "2025-10-27T10:00:00Z", allow_overlap="false").status_code == 201


def test_a_reschedule_into_a_clash_is_named_or_refused(client: httpx.Client) -> None:
    user = make_user(client)
    busy = booked(client, user["id"], "2025-10-27T10:00:00Z", 60)
    moving = booked(client, user["id"], "2025-10-28T10:00:00Z")

    refused = client.patch(
        f"/calls/{moving['id']}", json={"scheduled_for": "2025-10-27T10:45:00Z"}, params={"allow_overlap": "false"}
    )
    assert refused.status_code == 409
    assert [c["id"] for c in refused.json()["overlapping_calls"]] == [busy["id"]]
    assert client.get(f"/calls/{moving['id']}").json()["scheduled_for"] == "2025-10-28T10:00:00Z"

    moved = client.patch(f"/calls/{moving['id']}", json={"scheduled_for": "2025-10-27T10:45:00Z"})
    assert moved.status_code == 200
    assert moved.json()["status"] == "rescheduled"
    assert moved.headers["X-Overlapping-Calls"] == busy["id"]
    # Moving it again within its own time does not clash with itself.
    again = client.patch(
        f"/calls/{moving['id']}", json={"scheduled_for": "2025-10-28T10:05:00Z"}, params={"allow_overlap": "false"}
    )
    assert again.status_code == 200
    assert "X-Overlapping-Calls" not in again.headers


def test_cancelled_and_completed_calls_do_not_block(client: httpx.Client) -> None:
    user = make_user(client)
    cancelled = booked(client, user["id"], "2025-10-27T10:00:00Z")
    completed = booked(client, user["id"], "2025-10-27T11:00:00Z")
    client.patch(f"/calls/{cancelled['id']}/status", params={"new_status": "cancelled"})
    client.patch(f"/calls/{completed['id']}/status", params={"new_status": "completed"})

    over_both = book(client, user["id"], "2025-10-27T10:00:00Z", 120, allow_overlap="false")
    assert over_both.status_code == 201
    assert "X-Overlapping-Calls" not in book(client, user["id"], "2025-10-27T13:00:00Z").headers


def test_openapi_documents_the_flag_the_header_and_the_409(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    for path, method, success in (("/calls", "post", "201"), ("/calls/{call_id}", "patch", "200")):
        operation = doc["paths"][path][method]
        [flag] = [p for p in operation["parameters"] if p["name"] == "allow_overlap"]
        assert (flag["in"], flag["schema"]["type"], flag["schema"]["default"]) == ("query", "boolean", True)
        assert "X-Overlapping-Calls" in operation["responses"][success]["headers"]
        conflict = operation["responses"]["409"]["content"]["application/json"]["schema"]
        assert {"$ref": "#/components/schemas/CallOverlapBody"} in conflict["anyOf"]
    overlap = doc["components"]["schemas"]["CallOverlapBody"]
    assert set(overlap["required"]) >= {"message", "overlapping_calls", "free_slots"}


@pytest.mark.parametrize("program", [["-m", "task_api.main"], ["-m", "mcp_server"]], ids=["rest", "stdio"])
def test_an_unknown_zone_stops_either_server_with_one_readable_line(tmp_path: Path, program: list[str]) -> None:
    env = clean_env(TASK_API_TIMEZONE="Europe/Madird", TASK_API_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, *program],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert "invalid configuration" in result.stderr
    assert "TASK_API_TIMEZONE" in result.stderr
    assert "'Europe/Madird' is not an IANA time zone name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()
