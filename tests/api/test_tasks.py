"""/tasks against the spec: creation with or without a user, filters, status changes, edits."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.api.conftest import make_user


def create(client: httpx.Client, **fields: object) -> httpx.Response:
    return client.post("/tasks", json={"title": "Prepare onboarding materials", **fields})


def test_create_task_with_all_fields_matches_the_spec(client: httpx.Client) -> None:
    user = make_user(client)
    response = create(
        client,
        description="Create custom deck with use case examples",
        user_id=user["id"],
        due_date="2025-10-26T12:00:00Z",
    )
    assert response.status_code == 201
    task = response.json()
    assert list(task) == [
        "id",
        "title",
        "description",
        "user_id",
        "status",
        "due_date",
        "created_at",
        "updated_at",
    ]
    assert task["status"] == "todo"
    assert task["user_id"] == user["id"]
    assert datetime.fromisoformat(task["due_date"]) == datetime(2025, 10, 26, 12, tzinfo=UTC)
    assert client.get(f"/tasks/{task['id']}").json() == task


def test_a_task_needs_only_a_title(client: httpx.Client) -> None:
    task = create(client).json()
    assert (task["description"], task["user_id"], task["due_date"], task["status"]) == (
        None,
        None,
        None,
        "todo",
    )


def test_task_for_unknown_user_is_404_and_stores_nothing(client: httpx.Client) -> None:
    response = create(client, user_id="ghost")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "User ghost not found"}
    assert client.get("/tasks").json() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "t" * 201), ("description", "d" * 1001), ("due_date", "soon")],
)
def test_task_field_limits_are_enforced(client: httpx.Client, field: str, value: str) -> None:
    response = client.post("/tasks", json={"title": "ok", field: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_get_unknown_task_is_404(client: httpx.Client) -> None:
    response = client.get("/tasks/task-789-012")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Task task-789-012 not found"}


def test_list_tasks_filters_by_user_status_and_due_date(client: httpx.Client) -> None:
    user = make_user(client)
    mine = create(client, user_id=user["id"], due_date="2025-10-26T12:00:00Z").json()
    other = create(client, title="Unassigned").json()
    late = create(client, title="Later", due_date="2025-12-01T00:00:00Z").json()
    client.patch(f"/tasks/{other['id']}/status", params={"new_status": "done"})

    assert [t["id"] for t in client.get("/tasks").json()] == [mine["id"], other["id"], late["id"]]
    assert [t["id"] for t in client.get("/tasks", params={"user_id": user["id"]}).json()] == [mine["id"]]
    assert [t["id"] for t in client.get("/tasks", params={"status_filter": "done"}).json()] == [other["id"]]
    todo = client.get("/tasks", params={"status_filter": "todo"}).json()
    assert [t["id"] for t in todo] == [mine["id"], late["id"]]
    due = client.get("/tasks", params={"due_before": "2025-11-01T00:00:00Z"}).json()
    assert [t["id"] for t in due] == [mine["id"]]
    assert client.get("/tasks", params={"status_filter": "blocked"}).status_code == 422


def test_update_task_status_walks_through_every_status(client: httpx.Client) -> None:
    task = create(client).json()
    previous = task
    for new_status in ["in_progress", "done", "cancelled", "todo"]:
        response = client.patch(f"/tasks/{task['id']}/status", params={"new_status": new_status})
        assert response.status_code == 200
        current = response.json()
        assert current["status"] == new_status
        assert current["created_at"] == task["created_at"]
        assert datetime.fromisoformat(current["updated_at"]) > datetime.fromisoformat(previous["updated_at"])
        previous = current


def test_update_status_of_unknown_task_is_404_and_bad_status_422(client: httpx.Client) -> None:
    assert client.patch("/tasks/nope/status", params={"new_status": "done"}).status_code == 404
    task = create(client).json()
    assert client.patch(f"/tasks/{task['id']}/status", params={"new_status": "finished"}).status_code == 422


def test_edit_task_changes_only_the_fields_given(client: httpx.Client) -> None:
    task = create(client, description="Old", due_date="2025-10-26T12:00:00Z").json()
    response = client.patch(f"/tasks/{task['id']}", json={"title": "New title"})
    assert response.status_code == 200
    edited = response.json()
    assert edited["title"] == "New title"
    assert (edited["description"], edited["due_date"]) == (task["description"], task["due_date"])
    cleared = client.patch(f"/tasks/{task['id']}", json={"description": None}).json()
    assert cleared["description"] is None
    assert cleared["title"] == "New title"


@pytest.mark.parametrize("body", [{}, {"title": None}, {"title": ""}, {"status": "done"}])
def test_edit_task_refuses_empty_or_invalid_edits(client: httpx.Client, body: dict[str, object]) -> None:
    task = create(client).json()
    response = client.patch(f"/tasks/{task['id']}", json=body)
    assert response.status_code == 422
    assert client.get(f"/tasks/{task['id']}").json() == task


def test_due_dates_past_the_calendar_in_utc_are_422(client: httpx.Client) -> None:
    instant = "9999-12-31T23:59:59-01:00"
    assert client.post("/tasks", json={"title": "t", "due_date": instant}).status_code == 422
    response = client.get("/tasks", params={"due_before": instant})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "due_before"]


def test_a_cursor_of_one_list_is_refused_by_another(client: httpx.Client) -> None:
    for i in range(2):
        client.post("/users", json={"name": f"U{i}", "email": f"u{i}@example.com", "company": "C"})
        create(client, title=f"T{i}")
    users_cursor = client.get("/users", params={"limit": 1}).headers["X-Next-Cursor"]
    response = client.get("/tasks", params={"limit": 1, "cursor": users_cursor})
    assert response.status_code == 422
    assert "users list" in response.json()["detail"][0]["msg"]
