"""What the live board shows, built at most every `min_interval` seconds and shared by every viewer.

Viewers poll `/board/state` with `If-None-Match`. Whatever the number of viewers, the server looks at the
store at most once per `min_interval`: concurrent polls wait for the one look in flight and share its
result. A look is a listing of the store plus reads of only the objects whose version changed (the services'
entity cache holds the rest), so it sees changes made by any process sharing the store (the stdio MCP server,
another replica). The ETag is a digest of the document itself: an unchanged board answers 304 with no body,
whatever the store's versions look like (the local store lists a just-written file with a fresh version on
every listing for a few seconds).
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
        self._checked_at = float("-inf")
        # Looks at the store, and new versions of the board: for the cost measurement in bench/ and tests.
        self.listings = 0
        self.builds = 0

    def _document(self, calls_from: datetime) -> bytes:
        services = self._services
        users = services.list_users().items
        calls = [c for c in services.list_calls().items if c.scheduled_for >= calls_from]
        calls.sort(key=lambda c: (c.scheduled_for, c.id))
        tasks = services.list_tasks().items
        self.listings += 1
        state = BoardState(
            calls_from=calls_from,
            users=[BoardUser.model_validate(u, from_attributes=True) for u in users],
            calls=[BoardCall.model_validate(c, from_attributes=True) for c in calls],
            tasks=[BoardTask.model_validate(t, from_attributes=True) for t in tasks],
        )
        return state.model_dump_json().encode()

    def current(self) -> Snapshot:
        """The board as it is now (at most `min_interval` old). Blocking: call it from a worker thread."""
        with self._lock:
            if self._snapshot is not None and self._monotonic() - self._checked_at < self._min_interval:
                return self._snapshot
            body = self._document(week_start(self._clock()))
            etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
            if self._snapshot is None or etag != self._snapshot.etag:
                self._snapshot = Snapshot(etag=etag, body=body)
                self.builds += 1
            self._checked_at = self._monotonic()
            return self._snapshot


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against an If-None-Match header (a list, `*`, or W/ tags)."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
