"""The one start-up path of both entry points: settings -> storage -> services, and the line that says so."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from shared.services import Services
from shared.settings import Settings
from shared.storage import open_storage

log = logging.getLogger("task_api.runtime")


def package_version() -> str:
    try:
        return version("task-api")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def open_services(settings: Settings, *, serving: str) -> Services:
    """The services over the store the settings name; nothing is contacted yet.

    `serving` says what the process serves ("REST and MCP on http://127.0.0.1:8000", "MCP on stdio"); the REST
    server and the stdio MCP server log the same line, so one glance tells whether they share a store.
    """
    storage = open_storage(settings)
    log.info("task-api %s serving %s; data in %s", package_version(), serving, storage.describe())
    return Services(storage, cache_entries=settings.cache_entries)
