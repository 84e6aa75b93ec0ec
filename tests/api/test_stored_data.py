"""Objects in the store that are not valid entities: left out of lists and said so, named on get, never rewritten."""

from __future__ import annotations

import logging

import httpx
import pytest

from shared.models import Task
from shared.storage import Storage
from tests.api.conftest import make_user

GARBAGE = b'{"id": "half-written'


def plant(storage: Storage, object_id: str, body: bytes) -> None:
    storage.create("tasks", object_id, body)


def test_a_list_leaves_an_invalid_object_out_and_names_it_in_headers(
    client: httpx.Client, api_storage: Storage
) -> None:
    good = client.post("/tasks", json={"title": "Fine"}).json()
    plant(api_storage, "broken", GARBAGE)

    response = client.get("/tasks")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [good["id"]]
    assert response.headers["X-Skipped-Objects"] == "1"
    assert response.headers["X-Skipped-Keys"] == "tasks/broken.json"
    paged = client.get("/tasks", params={"limit": 10})
    assert paged.headers["X-Skipped-Objects"] == "1"
    assert "X-Skipped-Objects" not in client.get("/users").headers


def test_an_object_listed_under_another_id_is_never_served_under_either(
    client: httpx.Client, api_storage: Storage
) -> None:
    real = client.post("/tasks", json={"title": "Real"}).json()
    stored = api_storage.get("tasks", real["id"])
    assert stored is not None
    plant(api_storage, "copy-under-another-key", stored.body)

    listed = client.get("/tasks")
    copy = client.get("/tasks/copy-under-another-key")

    assert [t["id"] for t in listed.json()] == [real["id"]]  # listed once, under its own key
    assert listed.headers["X-Skipped-Keys"] == "tasks/copy-under-another-key.json"
    assert copy.status_code == 502
    assert "tasks/copy-under-another-key.json" in copy.json()["message"]


def test_get_of_an_invalid_object_is_a_502_naming_the_key_without_retry_after(
    client: httpx.Client, api_storage: Storage
) -> None:
    plant(api_storage, "broken", GARBAGE)

    response = client.get("/tasks/broken")

    assert response.status_code == 502
    body = response.json()
    assert body["success"] is False
    assert "tasks/broken.json" in body["message"] and "fix or remove" in body["message"]
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "params", "json"),
    [
        ("PATCH", "/tasks/broken/status", {"new_status": "done"}, None),
        ("PATCH", "/tasks/broken", None, {"title": "Overwrite it"}),
    ],
)
def test_an_invalid_object_is_never_overwritten(
    client: httpx.Client, api_storage: Storage, method: str, path: str, params: object, json: object
) -> None:
    plant(api_storage, "broken", GARBAGE)

    response = client.request(method, path, params=params, json=json)  # type: ignore[arg-type]

    assert response.status_code == 502
    stored = api_storage.get("tasks", "broken")
    assert stored is not None and stored.body == GARBAGE


def test_a_task_naming_a_user_stored_broken_is_still_created_for_that_user(
    client: httpx.Client, api_storage: Storage
) -> None:
    # The user's object exists (it is broken, not gone): the reference is kept rather than refused as unknown.
    api_storage.create("users", "broken-user", GARBAGE)

    response = client.post("/tasks", json={"title": "Call back", "user_id": "broken-user"})

    assert response.status_code == 201
    assert Task.model_validate(response.json()).user_id == "broken-user"


def test_an_invalid_object_is_logged_once_however_often_it_is_listed(
    client: httpx.Client, api_storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(client)
    plant(api_storage, "broken", GARBAGE)
    caplog.set_level(logging.ERROR, logger="shared.storage.repository")

    for _ in range(5):
        assert client.get("/tasks").headers["X-Skipped-Objects"] == "1"

    reports = [r for r in caplog.records if "tasks/broken.json" in r.getMessage()]
    assert len(reports) == 1
