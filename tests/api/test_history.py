"""GET /{kind}/{id}/history and POST /{kind}/{id}/revert, through a real server on both stores."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import make_user

UNKNOWN_ID = "0192f5e0-8a2d-7dd4-8e3f-7a2b3c4d5e6f"


def edited_task(client: httpx.Client) -> dict[str, object]:
    created = client.post("/tasks", json={"title": "Send the deck", "description": "The Q3 one"})
    assert created.status_code == 201, created.text
    task: dict[str, object] = created.json()
    assert client.patch(f"/tasks/{task['id']}/status", params={"new_status": "done"}).status_code == 200
    edit = client.patch(f"/tasks/{task['id']}", json={"title": "Send the new deck", "description": None})
    assert edit.status_code == 200
    return task


def test_a_task_s_history_lists_its_versions_oldest_first(client: httpx.Client) -> None:
    task = edited_task(client)

    response = client.get(f"/tasks/{task['id']}/history")

    assert response.status_code == 200
    history = response.json()
    assert (history["kind"], history["id"], history["current_version"]) == ("tasks", task["id"], 3)
    versions = history["versions"]
    assert [(v["version"], v["action"]) for v in versions] == [(1, "create"), (2, "update"), (3, "update")]
    assert versions[0]["entity"] == task
    assert [(v["entity"]["title"], v["entity"]["status"]) for v in versions] == [
        ("Send the deck", "todo"),
        ("Send the deck", "done"),
        ("Send the new deck", "done"),
    ]
    assert versions[-1]["entity"] == client.get(f"/tasks/{task['id']}").json()
    for version in versions:
        assert version["at"] == version["entity"]["updated_at"]
        assert isinstance(version["actor"], str) and version["via"] in {"rest", "mcp", "cli", "system"}
        assert version["reverted_to"] is None


def test_a_revert_restores_the_old_fields_and_shows_in_the_history(client: httpx.Client) -> None:
    task = edited_task(client)

    response = client.post(f"/tasks/{task['id']}/revert", json={"version": 1, "expected_version": 3})

    assert response.status_code == 200, response.text
    reverted = response.json()
    assert {k: reverted[k] for k in ("id", "title", "description", "status", "created_at")} == {
        k: task[k] for k in ("id", "title", "description", "status", "created_at")
    }
    assert reverted["updated_at"] > task["updated_at"]
    assert client.get(f"/tasks/{task['id']}").json() == reverted
    history = client.get(f"/tasks/{task['id']}/history").json()
    assert history["current_version"] == 4
    assert (history["versions"][-1]["action"], history["versions"][-1]["reverted_to"]) == ("revert", 1)
    assert history["versions"][-1]["entity"] == reverted


def test_a_call_and_a_user_have_histories_too(client: httpx.Client) -> None:
    user = make_user(client)
    call = client.post(
        "/calls", json={"user_id": user["id"], "title": "Kick-off", "scheduled_for": "2025-10-25T10:00:00Z"}
    ).json()
    client.patch(f"/calls/{call['id']}", json={"scheduled_for": "2025-10-27T09:00:00Z"})

    reverted = client.post(f"/calls/{call['id']}/revert", json={"version": 1})

    assert reverted.status_code == 200
    assert (reverted.json()["scheduled_for"], reverted.json()["status"]) == ("2025-10-25T10:00:00Z", "scheduled")
    assert [v["action"] for v in client.get(f"/calls/{call['id']}/history").json()["versions"]] == [
        "create",
        "update",
        "revert",
    ]
    user_history = client.get(f"/users/{user['id']}/history").json()
    assert [(v["version"], v["action"], v["entity"]) for v in user_history["versions"]] == [(1, "create", user)]
    unchanged = client.post(f"/users/{user['id']}/revert", json={"version": 1})
    assert (unchanged.status_code, unchanged.json()) == (200, user)


def test_a_revert_at_another_version_than_expected_is_409_and_changes_nothing(client: httpx.Client) -> None:
    task = edited_task(client)

    response = client.post(f"/tasks/{task['id']}/revert", json={"version": 1, "expected_version": 2})

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": f"Task {task['id']} is at version 3, not 2: it changed since you read it. "
        "Read its history again before reverting.",
    }
    assert client.get(f"/tasks/{task['id']}/history").json()["current_version"] == 3


def test_a_version_that_does_not_exist_is_422_naming_those_that_do(client: httpx.Client) -> None:
    task = edited_task(client)

    response = client.post(f"/tasks/{task['id']}/revert", json={"version": 7})

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "version"]
    assert problem["msg"] == f"Task {task['id']} has no version 7; its versions are 1 to 3."


@pytest.mark.parametrize(
    "body",
    [{}, {"version": 0}, {"version": "one"}, {"version": 1, "expected_version": 0}, {"version": 1, "force": True}],
)
def test_a_revert_body_that_is_not_a_version_is_422(client: httpx.Client, body: dict[str, object]) -> None:
    task = edited_task(client)

    response = client.post(f"/tasks/{task['id']}/revert", json=body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


@pytest.mark.parametrize(("kind", "word"), [("users", "User"), ("calls", "Call"), ("tasks", "Task")])
def test_history_and_revert_of_an_unknown_entity_are_404(client: httpx.Client, kind: str, word: str) -> None:
    history = client.get(f"/{kind}/{UNKNOWN_ID}/history")
    revert = client.post(f"/{kind}/{UNKNOWN_ID}/revert", json={"version": 1})

    for response in (history, revert):
        assert response.status_code == 404
        assert response.json() == {"success": False, "message": f"{word} {UNKNOWN_ID} not found"}


def test_history_needs_the_key(anonymous: httpx.Client) -> None:
    assert anonymous.get(f"/tasks/{UNKNOWN_ID}/history").status_code == 403
    assert anonymous.post(f"/tasks/{UNKNOWN_ID}/revert", json={"version": 1}).status_code == 403
