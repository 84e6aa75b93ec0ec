"""/calls against the spec: scheduling, "the user must exist", filters, status changes, rescheduling."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.api.conftest import make_user


def schedule(client: httpx.Client, user_id: object, **overrides: object) -> httpx.Response:
    body = {
        "user_id": user_id,
        "title": "Onboarding Call - Test Azollon",
        "scheduled_for": "2025-10-25T10:00:00Z",
        "duration_minutes": 45,
        "notes": "Initial onboarding and platform overview",
    }
    body.update(overrides)
    return client.post("/calls", json=body)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_schedule_call_returns_201_with_status_scheduled(client: httpx.Client) -> None:
    user = make_user(client)
    response = schedule(client, user["id"])
    assert response.status_code == 201
    call = response.json()
    assert list(call) == [
        "id",
        "user_id",
        "title",
        "scheduled_for",
        "duration_minutes",
        "notes",
        "status",
        "created_at",
        "updated_at",
    ]
    assert call["user_id"] == user["id"]
    assert call["status"] == "scheduled"
    assert call["duration_minutes"] == 45
    assert when(call["scheduled_for"]) == datetime(2025, 10, 25, 10, tzinfo=UTC)
    assert client.get(f"/calls/{call['id']}").json() == call


def test_schedule_call_for_unknown_user_is_404_and_stores_nothing(client: httpx.Client) -> None:
    response = schedule(client, "no-such-user")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "User no-such-user not found"}
    assert client.get("/calls").json() == []


def test_duration_defaults_to_30_minutes(client: httpx.Client) -> None:
    user = make_user(client)
    body = {"user_id": user["id"], "title": "Test Call", "scheduled_for": "2025-10-25T10:00:00Z"}
    response = client.post("/calls", json=body)
    assert response.status_code == 201
    assert response.json()["duration_minutes"] == 30


@pytest.mark.parametrize(("minutes", "expected"), [(14, 422), (15, 201), (240, 201), (241, 422), (30.5, 422)])
def test_duration_must_be_15_to_240_minutes(client: httpx.Client, minutes: object, expected: int) -> None:
    user = make_user(client)
    assert schedule(client, user["id"], duration_minutes=minutes).status_code == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "t" * 201), ("notes", "n" * 501), ("scheduled_for", "next tuesday")],
)
def test_call_field_limits_are_enforced(client: httpx.Client, field: str, value: str) -> None:
    user = make_user(client)
    response = schedule(client, user["id"], **{field: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_an_offset_keeps_its_instant_and_a_naive_time_is_utc(client: httpx.Client) -> None:
    user = make_user(client)
    with_offset = schedule(client, user["id"], scheduled_for="2025-10-25T12:00:00+02:00").json()
    naive = schedule(client, user["id"], scheduled_for="2025-10-25T10:00:00").json()
    assert when(with_offset["scheduled_for"]) == datetime(2025, 10, 25, 10, tzinfo=UTC)
    assert when(naive["scheduled_for"]) == datetime(2025, 10, 25, 10, tzinfo=UTC)
    assert with_offset["scheduled_for"].endswith("Z")


def test_list_calls_filters_by_user_and_by_status(client: httpx.Client) -> None:
    ana = make_user(client, name="Ana", email="ana@example.com")
    bob = make_user(client, name="Bob", email="bob@example.com")
    ana_call = schedule(client, ana["id"]).json()
    bob_call = schedule(client, bob["id"]).json()
    client.patch(f"/calls/{bob_call['id']}/status", params={"new_status": "completed"})

    assert [c["id"] for c in client.get("/calls").json()] == [ana_call["id"], bob_call["id"]]
    by_user = client.get("/calls", params={"user_id": ana["id"]}).json()
    assert [c["id"] for c in by_user] == [ana_call["id"]]
    scheduled = client.get("/calls", params={"status_filter": "scheduled"}).json()
    assert [c["id"] for c in scheduled] == [ana_call["id"]]
    completed = client.get("/calls", params={"status_filter": "completed", "user_id": bob["id"]}).json()
    assert [c["id"] for c in completed] == [bob_call["id"]]


def test_unknown_status_filter_is_422(client: httpx.Client) -> None:
    response = client.get("/calls", params={"status_filter": "maybe"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status_filter"]


def test_list_calls_by_scheduled_time_range(client: httpx.Client) -> None:
    user = make_user(client)
    early = schedule(client, user["id"], scheduled_for="2025-10-20T09:00:00Z").json()
    middle = schedule(client, user["id"], scheduled_for="2025-10-22T09:00:00Z").json()
    schedule(client, user["id"], scheduled_for="2025-10-29T09:00:00Z")
    params = {"scheduled_from": "2025-10-20T09:00:00Z", "scheduled_to": "2025-10-26T00:00:00Z"}
    assert [c["id"] for c in client.get("/calls", params=params).json()] == [early["id"], middle["id"]]
    backwards = {"scheduled_from": "2025-10-26T00:00:00Z", "scheduled_to": "2025-10-20T00:00:00Z"}
    response = client.get("/calls", params=backwards)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "scheduled_from"]


def test_update_call_status_changes_status_and_updated_at_only(client: httpx.Client) -> None:
    user = make_user(client)
    call = schedule(client, user["id"]).json()
    response = client.patch(f"/calls/{call['id']}/status", params={"new_status": "completed"})
    assert response.status_code == 200
    updated = response.json()
    assert updated["status"] == "completed"
    assert updated["created_at"] == call["created_at"]
    assert when(updated["updated_at"]) > when(call["updated_at"])
    unchanged = {k: v for k, v in updated.items() if k not in ("status", "updated_at")}
    assert unchanged == {k: v for k, v in call.items() if k not in ("status", "updated_at")}
    assert client.get(f"/calls/{call['id']}").json() == updated


@pytest.mark.parametrize("new_status", ["scheduled", "completed", "cancelled", "rescheduled"])
def test_every_spec_call_status_is_accepted(client: httpx.Client, new_status: str) -> None:
    user = make_user(client)
    call = schedule(client, user["id"]).json()
    response = client.patch(f"/calls/{call['id']}/status", params={"new_status": new_status})
    assert response.status_code == 200
    assert response.json()["status"] == new_status


def test_setting_the_same_status_again_changes_nothing(client: httpx.Client) -> None:
    user = make_user(client)
    call = schedule(client, user["id"]).json()
    response = client.patch(f"/calls/{call['id']}/status", params={"new_status": "scheduled"})
    assert response.json() == call


@pytest.mark.parametrize("query", ["?new_status=done", "?new_status=", ""])
def test_bad_or_missing_new_status_is_422(client: httpx.Client, query: str) -> None:
    user = make_user(client)
    call = schedule(client, user["id"]).json()
    response = client.patch(f"/calls/{call['id']}/status{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "new_status"]


def test_status_of_unknown_call_is_404(client: httpx.Client) -> None:
    response = client.patch("/calls/missing-call/status", params={"new_status": "completed"})
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Call missing-call not found"}


def test_reschedule_moves_the_call_and_marks_it_rescheduled(client: httpx.Client) -> None:
    user = make_user(client)
    call = schedule(client, user["id"]).json()
    response = client.patch(
        f"/calls/{call['id']}", json={"scheduled_for": "2025-11-03T15:30:00+01:00", "duration_minutes": 60}
    )
    assert response.status_code == 200, response.text
    moved = response.json()
    assert when(moved["scheduled_for"]) == datetime(2025, 11, 3, 14, 30, tzinfo=UTC)
    assert moved["duration_minutes"] == 60
    assert moved["status"] == "rescheduled"
    again = client.patch(f"/calls/{call['id']}", json={"scheduled_for": "2025-11-04T10:00:00Z"}).json()
    assert again["duration_minutes"] == 60  # kept when not given


def test_a_cancelled_call_cannot_be_rescheduled(client: httpx.Client) -> None:
    user = make_user(client)
    call = schedule(client, user["id"]).json()
    client.patch(f"/calls/{call['id']}/status", params={"new_status": "cancelled"})
    response = client.patch(f"/calls/{call['id']}", json={"scheduled_for": "2025-11-04T10:00:00Z"})
    assert response.status_code == 409
    assert response.json()["success"] is False
    assert "cancelled" in response.json()["message"]
    assert client.get(f"/calls/{call['id']}").json()["status"] == "cancelled"


def test_reschedule_of_unknown_call_is_404(client: httpx.Client) -> None:
    response = client.patch("/calls/nope", json={"scheduled_for": "2025-11-04T10:00:00Z"})
    assert response.status_code == 404
    assert response.json()["message"] == "Call nope not found"


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_time_past_the_calendar_once_in_utc_is_422_not_500(client: httpx.Client, instant: str) -> None:
    user = make_user(client)
    response = schedule(client, user["id"], scheduled_for=instant)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "scheduled_for"]
    for param in ("scheduled_from", "scheduled_to"):
        listed = client.get("/calls", params={param: instant})
        assert listed.status_code == 422
        assert listed.json()["detail"][0]["loc"] == ["query", param]
    assert client.get("/calls").json() == []


def test_the_last_representable_utc_instant_is_accepted(client: httpx.Client) -> None:
    user = make_user(client)
    response = schedule(client, user["id"], scheduled_for="9999-12-31T23:59:59Z")
    assert response.status_code == 201
