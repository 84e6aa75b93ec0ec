"""`?fields=` on the REST lists: opt-in compact items; without it the spec's full objects, unchanged."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import make_user


def test_without_fields_a_list_holds_the_full_objects_as_the_spec_shows(client: httpx.Client) -> None:
    user = make_user(client, notes="VIP")
    booking = {"user_id": user["id"], "title": "Kickoff", "scheduled_for": "2025-10-25T10:00:00Z"}
    call = client.post("/calls", json=booking)
    task = client.post("/tasks", json={"title": "Deck", "description": "Long text", "user_id": user["id"]})

    assert client.get("/users").json() == [user]
    assert client.get("/calls").json() == [call.json()]
    assert client.get("/tasks").json() == [task.json()]


def test_fields_selects_the_fields_of_each_item_in_the_objects_order(client: httpx.Client) -> None:
    user = make_user(client, notes="VIP")
    client.post("/tasks", json={"title": "Deck", "user_id": user["id"]})

    users = client.get("/users", params={"fields": "notes,id"})
    tasks = client.get("/tasks", params={"fields": "id,title,status,due_date", "user_id": str(user["id"])})
    everything = client.get("/users", params={"fields": "all"})
    searched = client.get("/users", params={"q": "maria", "fields": "name"})

    assert users.status_code == 200
    assert users.json() == [{"id": user["id"], "notes": "VIP"}]
    assert [list(item) for item in users.json()] == [["id", "notes"]]
    [item] = tasks.json()
    assert set(item) == {"id", "title", "status", "due_date"}
    assert item["due_date"] is None
    assert everything.json() == [user]
    assert searched.json() == [{"name": "María García"}]


@pytest.mark.parametrize(
    ("path", "fields", "named"),
    [
        ("/users", "id,phone", "unknown user field phone. Valid: all, id, name, email"),
        ("/calls", "when", "unknown call field when. Valid: all, id, user_id, title, scheduled_for"),
        ("/tasks", "", "name at least one task field, or all"),
    ],
)
def test_unknown_fields_are_a_422_naming_the_valid_ones(
    client: httpx.Client, path: str, fields: str, named: str
) -> None:
    response = client.get(path, params={"fields": fields})

    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["query", "fields"]
    assert named in detail["msg"]


def test_fields_pages_like_the_full_list(client: httpx.Client) -> None:
    for n in range(3):
        make_user(client, email=f"user{n}@example.com")

    exact = client.get("/users", params={"fields": "id", "limit": 3})
    first = client.get("/users", params={"fields": "id", "limit": 2})
    rest = client.get("/users", params={"fields": "id", "limit": 2, "cursor": first.headers["X-Next-Cursor"]})

    assert len(exact.json()) == 3 and "X-Next-Cursor" not in exact.headers
    assert [len(first.json()), len(rest.json())] == [2, 1]
    assert "X-Next-Cursor" not in rest.headers
    assert [item["id"] for item in first.json() + rest.json()] == [item["id"] for item in exact.json()]
