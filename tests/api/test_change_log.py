"""One log line per REST change: method, route, entity, status (with the reason when refused), time."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

# Each line ends with the time taken and the label of the key that acted.
DONE = r" \(\d+ ms\) by default"


def rest_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "task_api.rest"]


def test_changes_are_logged_with_their_entity_and_reads_are_not(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="task_api.rest")
    user = client.post("/users", json={"name": "Ana", "email": "ana@example.com", "company": "Acme"}).json()
    task = client.post("/tasks", json={"title": "Deck", "user_id": user["id"]}).json()
    client.patch(f"/tasks/{task['id']}/status", params={"new_status": "done"})
    client.get("/tasks")
    client.patch("/calls/nope/status", params={"new_status": "completed"})
    client.post("/users", json={"name": "Bad", "email": "not-an-email", "company": "Acme"})

    lines = rest_lines(caplog)
    assert len(lines) == 5, lines
    assert re.fullmatch(rf"REST POST /users user={user['id']} 201" + DONE, lines[0])
    assert re.fullmatch(rf"REST POST /tasks task={task['id']} 201" + DONE, lines[1])
    assert re.fullmatch(rf"REST PATCH /tasks/{{task_id}}/status task={task['id']} 200" + DONE, lines[2])
    assert re.fullmatch(r"REST PATCH /calls/\{call_id\}/status call=nope 404 Call nope not found" + DONE, lines[3])
    assert lines[4].startswith("REST POST /users - 422 invalid body.email: value is not a valid email address")


def test_a_refused_key_is_logged_too(anonymous: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="task_api.rest")
    anonymous.post("/users", json={}, headers={"X-API-Key": "wrong"})

    assert re.fullmatch(r"REST POST /users - 403 Invalid API key \(\d+ ms\)", rest_lines(caplog)[0])
