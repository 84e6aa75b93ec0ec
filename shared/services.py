"""Every operation of the service, and every rule, written once for the REST and MCP adapters.

All methods block (they call storage); async callers run them in a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TypeVar

from shared.errors import CallOverlap, Conflict, InvalidInput, NotFound
from shared.ids import IdFactory
from shared.models import (
    BRIEFING_CALLS,
    BRIEFING_TASKS,
    CallCreate,
    CallFilter,
    CallLine,
    CallReschedule,
    CallStatus,
    Page,
    ScheduledCall,
    Task,
    TaskCreate,
    TaskFilter,
    TaskLine,
    TaskStatus,
    TaskUpdate,
    User,
    UserBriefing,
    UserCard,
    UserCreate,
    UserOverview,
    UserQuery,
    as_utc,
)
from shared.paging import read_page
from shared.scheduling import BLOCKING, call_end, free_slots, overlapping_calls
from shared.storage.base import Storage
from shared.storage.repository import DEFAULT_CACHE_ENTRIES, Repository
from shared.timekeeping import CurrentTime, current_time

Clock = Callable[[], datetime]

StatusT = TypeVar("StatusT", ScheduledCall, Task)

_RESCHEDULABLE = frozenset({CallStatus.SCHEDULED, CallStatus.RESCHEDULED})
_ONE_TICK = timedelta(microseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Services:
    """The operations on users, scheduled calls and tasks, over one storage backend."""

    def __init__(self, storage: Storage, clock: Clock = utc_now, *, cache_entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        self.storage = storage
        self._clock = clock
        self._ids = IdFactory()
        self.users = Repository(storage, "users", User, "User", cache_entries=cache_entries)
        self.calls = Repository(storage, "calls", ScheduledCall, "Call", cache_entries=cache_entries)
        self.tasks = Repository(storage, "tasks", Task, "Task", cache_entries=cache_entries)
        # One lock per user around "check for overlaps, then book": two bookings in this process cannot both
        # pass the check (across processes they still can; see README, Conflict-aware scheduling).
        self._booking_locks: dict[str, threading.Lock] = {}
        self._booking_locks_guard = threading.Lock()

    def _now(self) -> datetime:
        return as_utc(self._clock())

    def current_time(self, zone: tzinfo) -> CurrentTime:
        """Now, by the services' clock, in UTC and in `zone` (the configured TASK_API_TIMEZONE)."""
        return current_time(self._now(), zone)

    def _touch(self, previous: datetime) -> datetime:
        # updated_at moves forward on every change, even if the clock did not tick or stepped back.
        return max(self._now(), previous + _ONE_TICK)

    def _set_status(self, repository: Repository[StatusT], entity_id: str, status: CallStatus | TaskStatus) -> StatusT:
        def change(entity: StatusT) -> StatusT | None:
            if entity.status == status:
                return None  # idempotent: the same status again changes nothing, not even updated_at
            return entity.model_copy(update={"status": status, "updated_at": self._touch(entity.updated_at)})

        return repository.update(entity_id, change)

    @contextmanager
    def _booking(self, user_id: str) -> Iterator[None]:
        with self._booking_locks_guard:
            lock = self._booking_locks.setdefault(user_id, threading.Lock())
        with lock:
            yield

    def _refuse_overlap(self, user_id: str, start: datetime, duration_minutes: int, *, ignore: str | None) -> None:
        calls = self.list_calls(CallFilter(user_id=user_id)).items
        clashes = overlapping_calls(start, duration_minutes, calls, ignore=ignore)
        if clashes:
            slots = free_slots(start, duration_minutes, calls, now=self._now(), ignore=ignore)
            raise CallOverlap(start, duration_minutes, clashes, slots)

    def _require_user(self, user_id: str) -> None:
        # Nothing deletes users, so a user seen once is known for good: a create naming them costs one write.
        if not self.users.exists(user_id):
            raise NotFound("User", user_id)

    # Users

    def create_user(self, data: UserCreate) -> User:
        now = self._now()
        user = User(id=self._ids.new_id(now), created_at=now, updated_at=now, **data.model_dump())
        self.users.add(user.id, user)
        return user

    def get_user(self, user_id: str) -> User:
        return self.users.get(user_id)

    def list_users(
        self, query: UserQuery | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[User]:
        """Users in key order (oldest first), optionally searched; a page at a time with a limit."""
        match = None if query is None or query.is_empty() else query.matches
        return read_page(self.users, match, limit, cursor)

    def user_overview(self, user_id: str) -> UserOverview:
        user = self.users.get(user_id)
        calls = self.list_calls(CallFilter(user_id=user_id)).items
        tasks = self.list_tasks(TaskFilter(user_id=user_id)).items
        return UserOverview(user=user, calls=calls, tasks=tasks)

    def user_briefing(self, user_id: str) -> UserBriefing:
        """The user, their next calls (under way or to come) and open tasks, and their counts by status."""
        user = self.users.get(user_id)
        calls = self.list_calls(CallFilter(user_id=user_id)).items
        tasks = self.list_tasks(TaskFilter(user_id=user_id)).items
        now = self._now()
        upcoming = sorted(
            (c for c in calls if c.status in BLOCKING and call_end(c) > now), key=lambda c: (c.scheduled_for, c.id)
        )
        open_tasks = sorted(
            (t for t in tasks if t.status in (TaskStatus.TODO, TaskStatus.IN_PROGRESS)),
            key=lambda t: (t.due_date is None, t.due_date or now, t.id),
        )
        return UserBriefing(
            user=UserCard.model_validate(user, from_attributes=True),
            upcoming_calls=[CallLine.model_validate(c, from_attributes=True) for c in upcoming[:BRIEFING_CALLS]],
            more_upcoming_calls=max(0, len(upcoming) - BRIEFING_CALLS),
            open_tasks=[TaskLine.model_validate(t, from_attributes=True) for t in open_tasks[:BRIEFING_TASKS]],
            more_open_tasks=max(0, len(open_tasks) - BRIEFING_TASKS),
            calls_by_status={status.value: sum(c.status == status for c in calls) for status in CallStatus},
            tasks_by_status={status.value: sum(t.status == status for t in tasks) for status in TaskStatus},
        )

    # Scheduled calls

    def schedule_call(self, data: CallCreate, *, allow_overlap: bool = True) -> ScheduledCall:
        """Book a call. With `allow_overlap=False`, CallOverlap if it overlaps another scheduled or rescheduled
        call of the same user (touching calls do not overlap), offering free slots of the same length.

        The default books it anyway, as the spec does (REST's default); MCP asks for the check by default.
        """
        self._require_user(data.user_id)
        if allow_overlap:
            return self._book(data)
        with self._booking(data.user_id):
            self._refuse_overlap(data.user_id, data.scheduled_for, data.duration_minutes, ignore=None)
            return self._book(data)

    def _book(self, data: CallCreate) -> ScheduledCall:
        now = self._now()
        call = ScheduledCall(
            id=self._ids.new_id(now), status=CallStatus.SCHEDULED, created_at=now, updated_at=now, **data.model_dump()
        )
        self.calls.add(call.id, call)
        return call

    def overlapping_calls(self, call: ScheduledCall) -> list[ScheduledCall]:
        """The other scheduled or rescheduled calls of the call's user that it overlaps, soonest first."""
        calls = self.list_calls(CallFilter(user_id=call.user_id)).items
        return overlapping_calls(call.scheduled_for, call.duration_minutes, calls, ignore=call.id)

    def get_call(self, call_id: str) -> ScheduledCall:
        return self.calls.get(call_id)

    def list_calls(
        self, where: CallFilter | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[ScheduledCall]:
        """Calls in key order (oldest booked first), optionally filtered; a page at a time with a limit."""
        match = None if where is None or where.is_empty() else where.matches
        return read_page(self.calls, match, limit, cursor)

    def update_call_status(self, call_id: str, status: CallStatus) -> ScheduledCall:
        return self._set_status(self.calls, call_id, status)

    def reschedule_call(self, call_id: str, data: CallReschedule, *, allow_overlap: bool = True) -> ScheduledCall:
        """Move a call; with `allow_overlap=False`, CallOverlap if the new time overlaps another of the user's calls."""

        def check(call: ScheduledCall) -> None:
            if call.status not in _RESCHEDULABLE:
                raise Conflict(
                    f"Call {call_id} is {call.status.value}; only a scheduled or rescheduled call can be "
                    "moved. Schedule a new call instead."
                )

        def change(call: ScheduledCall) -> ScheduledCall:
            check(call)
            update: dict[str, object] = {
                "scheduled_for": data.scheduled_for,
                "status": CallStatus.RESCHEDULED,
                "updated_at": self._touch(call.updated_at),
            }
            if data.duration_minutes is not None:
                update["duration_minutes"] = data.duration_minutes
            return call.model_copy(update=update)

        if allow_overlap:
            return self.calls.update(call_id, change)
        current = self.calls.get(call_id)
        check(current)  # a cancelled call is refused as such, whatever its new time would overlap
        with self._booking(current.user_id):
            duration = data.duration_minutes or current.duration_minutes
            self._refuse_overlap(current.user_id, data.scheduled_for, duration, ignore=call_id)
            return self.calls.update(call_id, change)

    # Tasks

    def create_task(self, data: TaskCreate) -> Task:
        if data.user_id is not None:
            self._require_user(data.user_id)
        now = self._now()
        task = Task(
            id=self._ids.new_id(now), status=TaskStatus.TODO, created_at=now, updated_at=now, **data.model_dump()
        )
        self.tasks.add(task.id, task)
        return task

    def get_task(self, task_id: str) -> Task:
        return self.tasks.get(task_id)

    def list_tasks(
        self, where: TaskFilter | None = None, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Task]:
        """Tasks in key order (oldest first), optionally filtered; a page at a time with a limit."""
        match = None if where is None or where.is_empty() else where.matches
        return read_page(self.tasks, match, limit, cursor)

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
