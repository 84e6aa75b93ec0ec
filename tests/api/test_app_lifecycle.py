"""An app leaves nothing behind: once dropped, it is freed with its services and its store.

No module-level state may keep an app alive (the design card: no module-level singletons). A suite that builds
an app per test relies on it, and so does any process that builds apps again, such as a reloading server.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import httpx

from shared.services import Services
from shared.settings import Settings
from shared.storage import LocalStorage
from task_api.app import create_app
from tests.api.conftest import API_KEY
from tests.live_server import release_dropped_apps, serve


def build_serve_and_drop(folder: Path) -> tuple[weakref.ref[object], weakref.ref[object], weakref.ref[object]]:
    storage = LocalStorage(folder, "mcp-pycon-demo-bucket")
    services = Services(storage)
    app = create_app(Settings(TASK_API_KEY=API_KEY), services=services)
    with serve(app) as url, httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=30) as client:
        created = client.post("/users", json={"name": "Ana", "email": "ana@example.com", "company": "Acme"})
        assert created.status_code == 201, created.text
        assert client.get("/users").status_code == 200
        listed = client.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream"},
        )
        assert listed.status_code == 200 and "create_user" in listed.text
    return weakref.ref(app), weakref.ref(services), weakref.ref(storage)


def test_an_app_that_served_rest_and_mcp_is_freed_with_its_services_and_store_once_dropped(tmp_path: Path) -> None:
    refs = build_serve_and_drop(tmp_path)
    release_dropped_apps()
    gc.collect()

    assert [ref() for ref in refs] == [None, None, None]
