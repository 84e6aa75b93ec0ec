"""What the live board shows, built once per change of the store and shared by every viewer.

Viewers poll `/board/state` with `If-None-Match`. The answer costs the server one listing of the store (ids
and versions, no bodies) at most every `min_interval` seconds, whatever the number of viewers: concurrent
polls wait for the one check in flight and share its result. Bodies are read only when that listing
differs from the last one, so an unchanged store answers every viewer with a 304 and no reads at all.
The listing sees changes made by any process sharing the store (the stdio MCP server, another replica).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from shared.models import CallStatus, TaskStatus, UserType
from shared.services import Clock, Services, utc_now
from shared.storage.base import COLLECTIONS

DEFAULT_MIN_INTERVAL = 0.5  # seconds between two looks at the store; viewers poll every second


class BoardUser(BaseModel):
    id: str
    name: str
    company: str
    user_type: UserType
    updated_at: datetime


class BoardCall(BaseModel):
    id: str
    user_id: str
    title: str
    scheduled_for: datetime
    duration_minutes: int
    status: CallStatus
    updated_at: datetime


class BoardTask(BaseModel):
    id: str
    title: str
    user_id: str | None
    status: TaskStatus
    due_date: datetime | None
    updated_at: datetime


class BoardState(BaseModel):
    """Everything the board draws: every user and task, and the calls from the start of this week on."""

    version: str
    generated_at: datetime
    calls_from: datetime
    users: list[BoardUser]
    calls: list[BoardCall]
    tasks: list[BoardTask]


@dataclass(frozen=True)
class Snapshot:
    etag: str  # quoted, as sent in the ETag header
    body: bytes


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 (UTC) of the week `moment` falls in."""
    monday = moment.date() - timedelta(days=moment.weekday())
    return datetime.combine(monday, datetime.min.time(), tzinfo=moment.tzinfo)


class BoardFeed:
    def __init__(
        self,
        services: Services,
        *,
        clock: Clock = utc_now,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._services = services
        self._clock = clock
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._key: str | None = None
        self._checked_at = float("-inf")
        # Counters for the cost measurement in bench/board_viewers.py, and for tests.
        self.listings = 0
        self.builds = 0

    def _store_fingerprint(self) -> str:
        digest = hashlib.sha256()
        storage = self._services.storage
        for collection in COLLECTIONS:
            for ref in sorted(storage.list_refs(collection), key=lambda r: r.key_id):
                digest.update(f"{collection}/{ref.key_id}@{ref.version}\n".encode())
        self.listings += 1
        return digest.hexdigest()

    def _build(self, version: str, calls_from: datetime) -> bytes:
        services = self._services
        users = services.list_users().items
        calls = [c for c in services.list_calls().items if c.scheduled_for >= calls_from]
        calls.sort(key=lambda c: (c.scheduled_for, c.id))
        tasks = services.list_tasks().items
        state = BoardState(
            version=version,
            generated_at=self._clock(),
            calls_from=calls_from,
            users=[BoardUser.model_validate(u, from_attributes=True) for u in users],
            calls=[BoardCall.model_validate(c, from_attributes=True) for c in calls],
            tasks=[BoardTask.model_validate(t, from_attributes=True) for t in tasks],
        )
        self.builds += 1
        return state.model_dump_json().encode()

    def current(self) -> Snapshot:
        """The board as it is now (at most `min_interval` old). Blocking: call it from a worker thread."""
        with self._lock:
            if self._snapshot is not None and self._monotonic() - self._checked_at < self._min_interval:
                return self._snapshot
            calls_from = week_start(self._clock())
            key = f"{calls_from.date().isoformat()}:{self._store_fingerprint()}"
            if self._snapshot is None or key != self._key:
                version = hashlib.sha256(key.encode()).hexdigest()[:20]
                self._snapshot = Snapshot(etag=f'"{version}"', body=self._build(version, calls_from))
                self._key = key
            self._checked_at = self._monotonic()
            return self._snapshot


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against an If-None-Match header (a list, `*`, or W/ tags)."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
