"""Making the store ready without making start-up wait for it: a background loop both entry points run."""

from __future__ import annotations

import logging
import threading

from shared.errors import StorageUnavailable
from shared.storage.base import Storage

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


def keep_trying_until_ready(storage: Storage, stop: threading.Event, log: logging.Logger) -> bool:
    """Call `storage.ensure_ready()` until it succeeds or `stop` is set; True once the store is ready.

    Blocking: run it in a thread. The server answers meanwhile (liveness at once, requests with a 503 naming
    the cause, readiness with the reason), and the first request that needs the store makes it ready too.
    """
    pause = FIRST_RETRY_SECONDS
    while not stop.is_set():
        try:
            storage.ensure_ready()
        except StorageUnavailable as exc:
            log.error("%s; trying again in %g s", exc.message, pause)
        else:
            log.info("storage ready: %s", storage.describe())
            return True
        if stop.wait(pause):
            break
        pause = min(pause * 2, MAX_RETRY_SECONDS)
    return False
