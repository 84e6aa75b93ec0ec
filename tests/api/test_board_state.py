"""/board/state: behind the key, 304 while nothing changed, and changes by any process sharing the store seen."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from shared.models import TaskCreate, UserCreate
from shared.services import Services
from shared.storage import LocalStorage
from task_api.board.feed import BoardFeed, etag_matches, week_start

BUCKET = "mcp-pycon-demo-bucket"
SEEN_WITHIN = 3.0  # seconds; the feed looks at the store at most twice a second


def wait_for_new_state(client: httpx.Client, etag: str) -> httpx.Response:
    deadline = time.monotonic() + SEEN_WITHIN
    while True:
        response = client.get("/board/state", headers={"If-None-Match": etag})
        if response.status_code != 304 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_state_needs_the_key(anonymous: httpx.Client) -> None:
    response = anonymous.get("/board/state")

    assert response.status_code == 403
    assert response.json() == {"success": False, "message": "Missing API key: send it in the X-API-Key header."}


def test_unchanged_state_is_304_without_a_body_and_a_change_is_a_new_etag(client: httpx.Client) -> None:
    first = client.get("/board/state")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.json()["users"] == []

    again = client.get("/board/state", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    user = client.post("/users", json={"name": "Ana", "email": "ana@example.com", "company": "Acme"}).json()
    changed = wait_for_new_state(client, etag)

    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert [u["id"] for u in changed.json()["users"]] == [user["id"]]


def test_a_change_written_by_another_process_on_the_same_folder_is_seen(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, BUCKET)
    storage.ensure_ready()
    feed = BoardFeed(Services(storage), min_interval=0)
    before = feed.current()

    # Another Services on the same folder: what the stdio MCP server process is to the REST server.
    other = Services(LocalStorage(tmp_path, BUCKET))
    task = other.create_task(TaskCreate(title="Written elsewhere"))
    after = feed.current()

    assert after.etag != before.etag
    assert task.id.encode() in after.body


def test_many_viewers_at_once_cost_one_look_at_the_store(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, BUCKET)
    storage.ensure_ready()
    Services(storage).create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))
    feed = BoardFeed(Services(storage), min_interval=60)
    barrier = threading.Barrier(50)
    etags: list[str] = []

    def viewer() -> None:
        barrier.wait()
        etags.append(feed.current().etag)

    threads = [threading.Thread(target=viewer) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(etags) == 50 and len(set(etags)) == 1
    assert feed.listings == 1
    assert feed.builds == 1


def test_an_unchanged_store_is_looked_at_again_but_keeps_its_etag(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, BUCKET)
    storage.ensure_ready()
    feed = BoardFeed(Services(storage), min_interval=0)

    etags = {feed.current().etag for _ in range(5)}

    assert len(etags) == 1
    assert feed.listings == 5
    assert feed.builds == 1


def test_calls_are_shown_from_the_start_of_this_week() -> None:
    wednesday = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)

    assert week_start(wednesday) == datetime(2026, 11, 23, tzinfo=UTC)


def test_if_none_match_follows_the_weak_comparison() -> None:
    assert etag_matches('"abc"', '"abc"')
    assert etag_matches('W/"abc"', '"abc"')
    assert etag_matches('"x", "abc"', '"abc"')
    assert etag_matches("*", '"abc"')
    assert not etag_matches('"abd"', '"abc"')
    assert not etag_matches(None, '"abc"')
