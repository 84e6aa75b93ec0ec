"""Every operation of the service, and every rule, written once for the REST and MCP adapters.

All methods block (they call storage); async callers run them in a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import uuid4

from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import (
    CallCreate,
    CallReschedule,
    CallStatus,
    Page,
    ScheduledCall,
    Task,
    TaskCreate,
    TaskStatus,
    TaskUpdate,
    User,
    UserCreate,
    UserOverview,
    as_utc,
)
from shared.storage.base import Storage
from shared.storage.repository import Repository

Clock = Callable[[], datetime]

EntityT = TypeVar("EntityT", User, ScheduledCall, Task)
StatusT = TypeVar("StatusT", ScheduledCall, Task)

_RESCHEDULABLE = frozenset({CallStatus.SCHEDULED, CallStatus.RESCHEDULED})
_ONE_TICK = timedelta(microseconds=1)


def _utc_argument(field: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(value)
    except ValueError as exc:
        raise InvalidInput(field, f"{field}: {exc}.") from exc


def utc_now() -> datetime:
    return datetime.now(UTC)


def fold(text: str) -> str:
    """Lower-case and strip accents, so "maria garcia" matches "María García"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _encode_cursor(listing: str, entity: User | ScheduledCall | Task) -> str:
    raw = json.dumps([listing, entity.created_at.isoformat(), entity.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(listing: str, cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_listing, created_at, entity_id = json.loads(raw)
        position = as_utc(datetime.fromisoformat(created_at)), str(entity_id)
    except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
        raise InvalidInput(
            "cursor",
            "Invalid cursor: pass the next_cursor of a previous page unchanged, or omit it to start at the top.",
        ) from exc
    if cursor_listing != listing:
        raise InvalidInput("cursor", f"This cursor belongs to the {cursor_listing} list, not the {listing} list.")
    return position


def paginate(listing: str, entities: Iterable[EntityT], limit: int | None, cursor: str | None) -> Page[EntityT]:
    """Oldest first, by (created_at, id): a stable order, so new entities land after every open cursor.

    `listing` names the collection the cursor walks, so a cursor of one list is refused by another.
    """
    if limit is not None and limit < 1:
        raise InvalidInput("limit", "limit must be at least 1.")
    ordered = sorted(entities, key=lambda e: (e.created_at, e.id))
    if cursor:
        after = _decode_cursor(listing, cursor)
        ordered = [e for e in ordered if (e.created_at, e.id) > after]
    if limit is None or len(ordered) <= limit:
        return Page(items=ordered, next_cursor=None)
    items = ordered[:limit]
    return Page(items=items, next_cursor=_encode_cursor(listing, items[-1]))


class Services:
    """The operations on users, scheduled calls and tasks, over one storage backend."""

    def __init__(self, storage: Storage, clock: Clock = utc_now) -> None:
        self.storage = storage
        self._clock = clock
        self.users = Repository(storage, "users", User, "User")
        self.calls = Repository(storage, "calls", ScheduledCall, "Call")
        self.tasks = Repository(storage, "tasks", Task, "Task")

    def _now(self) -> datetime:
        return as_utc(self._clock())

    def _touch(self, previous: datetime) -> datetime:
        # updated_at moves forward on every change, even if the clock did not tick or stepped back.
        return max(self._now(), previous + _ONE_TICK)

    def _set_status(self, repository: Repository[StatusT], entity_id: str, status: CallStatus | TaskStatus) -> StatusT:
        def change(entity: StatusT) -> StatusT | None:
            if entity.status == status:
                return None  # idempotent: the same status again changes nothing, not even updated_at
            return entity.model_copy(update={"status": status, "updated_at": self._touch(entity.updated_at)})

        return repository.update(entity_id, change)

    def _require_user(self, user_id: str) -> None:
        if not self.users.exists(user_id):
            raise NotFound("User", user_id)

    # Users

    def create_user(self, data: UserCreate) -> User:
        now = self._now()
        user = User(id=str(uuid4()), created_at=now, updated_at=now, **data.model_dump())
        self.users.add(user.id, user)
        return user

    def get_user(self, user_id: str) -> User:
        return self.users.get(user_id)

    def list_users(
        self, *, query: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[User]:
        users = self.users.all()
        if query is not None and query.strip():
            words = fold(query).split()
            users = [u for u in users if all(w in fold(f"{u.name} {u.email} {u.company}") for w in words)]
        return paginate("users", users, limit, cursor)

    def user_overview(self, user_id: str) -> UserOverview:
        user = self.users.get(user_id)
        calls = self.list_calls(user_id=user_id).items
        tasks = self.list_tasks(user_id=user_id).items
        return UserOverview(user=user, calls=calls, tasks=tasks)

    # Scheduled calls

    def schedule_call(self, data: CallCreate) -> ScheduledCall:
        self._require_user(data.user_id)
        now = self._now()
        call = ScheduledCall(
            id=str(uuid4()), status=CallStatus.SCHEDULED, created_at=now, updated_at=now, **data.model_dump()
        )
        self.calls.add(call.id, call)
        return call

    def get_call(self, call_id: str) -> ScheduledCall:
        return self.calls.get(call_id)

    def list_calls(
        self,
        *,
        user_id: str | None = None,
        status: CallStatus | None = None,
        scheduled_from: datetime | None = None,
        scheduled_to: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[ScheduledCall]:
        start = _utc_argument("scheduled_from", scheduled_from)
        end = _utc_argument("scheduled_to", scheduled_to)
        if start and end and start > end:
            raise InvalidInput("scheduled_from", "scheduled_from must not be later than scheduled_to.")
        calls = [
            c
            for c in self.calls.all()
            if (user_id is None or c.user_id == user_id)
            and (status is None or c.status == status)
            and (start is None or c.scheduled_for >= start)
            and (end is None or c.scheduled_for <= end)
        ]
        return paginate("calls", calls, limit, cursor)

    def update_call_status(self, call_id: str, status: CallStatus) -> ScheduledCall:
        return self._set_status(self.calls, call_id, status)

    def reschedule_call(self, call_id: str, data: CallReschedule) -> ScheduledCall:
        def change(call: ScheduledCall) -> ScheduledCall:
            if call.status not in _RESCHEDULABLE:
                raise Conflict(
                    f"Call {call_id} is {call.status.value}; only a scheduled or rescheduled call can be "
                    "moved. Schedule a new call instead."
                )
            update: dict[str, object] = {
                "scheduled_for": data.scheduled_for,
                "status": CallStatus.RESCHEDULED,
                "updated_at": self._touch(call.updated_at),
            }
            if data.duration_minutes is not None:
                update["duration_minutes"] = data.duration_minutes
            return call.model_copy(update=update)

        return self.calls.update(call_id, change)

    # Tasks

    def create_task(self, data: TaskCreate) -> Task:
        if data.user_id is not None:
            self._require_user(data.user_id)
        now = self._now()
        task = Task(id=str(uuid4()), status=TaskStatus.TODO, created_at=now, updated_at=now, **data.model_dump())
        self.tasks.add(task.id, task)
        return task

    def get_task(self, task_id: str) -> Task:
        return self.tasks.get(task_id)

    def list_tasks(
        self,
        *,
        user_id: str | None = None,
        status: TaskStatus | None = None,
        due_before: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Task]:
        deadline = _utc_argument("due_before", due_before)
        tasks = [
            t
            for t in self.tasks.all()
            if (user_id is None or t.user_id == user_id)
            and (status is None or t.status == status)
            and (deadline is None or (t.due_date is not None and t.due_date < deadline))
        ]
        return paginate("tasks", tasks, limit, cursor)

    def update_task_status(self, task_id: str, status: TaskStatus) -> Task:
        return self._set_status(self.tasks, task_id, status)

    def update_task(self, task_id: str, data: TaskUpdate) -> Task:
        fields = data.model_dump(include=data.model_fields_set)
        if not fields:
            raise InvalidInput("body", "Nothing to change: give at least one of title, description, due_date.")
        if "title" in fields and fields["title"] is None:
            raise InvalidInput("title", "title cannot be removed; give a new title of 1-200 characters.")

        def change(task: Task) -> Task | None:
            if all(getattr(task, name) == value for name, value in fields.items()):
                return None
            return task.model_copy(update={**fields, "updated_at": self._touch(task.updated_at)})

        return self.tasks.update(task_id, change)
