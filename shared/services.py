"""Every operation of the service, and every rule, written once for the REST and MCP adapters.

All methods block (they call storage); async callers run them in a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import CallOverlap, Conflict, InvalidInput, NotFound
from shared.idempotency import CreateOutcome, IdempotentCreates
from shared.ids import IdFactory
from shared.models import (
    BRIEFING_CALLS,
    BRIEFING_TASKS,
    CallCreate,
    CallFilter,
    CallLine,
    CallReschedule,
    CallStatus,
    Entity,
    EntityHistory,
    EntityKind,
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
EntityT = TypeVar("EntityT", bound=Entity)

_RESCHEDULABLE = frozenset({CallStatus.SCHEDULED, CallStatus.RESCHEDULED})
_ONE_TICK = timedelta(microseconds=1)
# What a revert never restores: who the entity is, when it was made, and when it last changed (that moves on).
_NOT_RESTORED = frozenset({"id", "created_at", "updated_at"})


def utc_now() -> datetime:
    return datetime.now(UTC)


def _no_rule() -> None:
    """A create with no rule beyond its model's."""


@dataclass(frozen=True, slots=True)
class Reverted:
    """The entity after a revert, the number of its current version, and whether the revert changed anything."""

    entity: Entity
    current_version: int
    changed: bool


class Services:
    """The operations on users, scheduled calls and tasks, over one storage backend."""

    def __init__(self, storage: Storage, clock: Clock = utc_now, *, cache_entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        self.storage = storage
        self._clock = clock
        self._ids = IdFactory()
        self.users = Repository(storage, "users", User, "User", cache_entries=cache_entries)
        self.calls = Repository(storage, "calls", ScheduledCall, "Call", cache_entries=cache_entries)
        self.tasks = Repository(storage, "tasks", Task, "Task", cache_entries=cache_entries)
        self._idempotent = IdempotentCreates(storage, self._now)
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

    def _create(
        self,
        repository: Repository[EntityT],
        data: BaseModel,
        mint: Callable[[datetime], EntityT],
        check: Callable[[], None],
        idempotency_key: str | None,
        outcome: CreateOutcome | None,
    ) -> EntityT:
        """Check the rules, mint the entity and write it; with a key, once per key (see shared/idempotency.py)."""
        if idempotency_key is None:
            check()
            entity = mint(self._now())
            repository.add(entity.id, entity)
            return entity
        created = self._idempotent.create(repository, idempotency_key, data, lambda: mint(self._now()), check)
        if outcome is not None:
            outcome.replayed = created.replayed
        return created.entity

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

    def create_user(
        self,
        data: UserCreate,
        *,
        idempotency_key: str | None = None,
        outcome: CreateOutcome | None = None,
    ) -> User:
        def mint(now: datetime) -> User:
            return User(id=self._ids.new_id(now), created_at=now, updated_at=now, **data.model_dump())

        return self._create(self.users, data, mint, _no_rule, idempotency_key, outcome)

    def users_with_email(self, email: str) -> list[User]:
        """The users whose email is this one, compared case-insensitively once normalized (oldest first)."""
        wanted = email.strip().casefold()
        return self.users.all(lambda user: user.email.casefold() == wanted).items

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

    def schedule_call(
        self,
        data: CallCreate,
        *,
        allow_overlap: bool = True,
        idempotency_key: str | None = None,
        outcome: CreateOutcome | None = None,
    ) -> ScheduledCall:
        """Book a call. With `allow_overlap=False`, CallOverlap if it overlaps another scheduled or rescheduled
        call of the same user (touching calls do not overlap), offering free slots of the same length.

        The default books it anyway, as the spec does (REST's default); MCP asks for the check by default.
        """

        def check() -> None:
            # Rules go here, not after: a retry that its own first call now breaks (an overlap) is replayed.
            self._require_user(data.user_id)
            if not allow_overlap:
                self._refuse_overlap(data.user_id, data.scheduled_for, data.duration_minutes, ignore=None)

        def mint(now: datetime) -> ScheduledCall:
            return ScheduledCall(
                id=self._ids.new_id(now),
                status=CallStatus.SCHEDULED,
                created_at=now,
                updated_at=now,
                **data.model_dump(),
            )

        if allow_overlap:
            return self._create(self.calls, data, mint, check, idempotency_key, outcome)
        with self._booking(data.user_id):
            return self._create(self.calls, data, mint, check, idempotency_key, outcome)

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

    def create_task(
        self,
        data: TaskCreate,
        *,
        idempotency_key: str | None = None,
        outcome: CreateOutcome | None = None,
    ) -> Task:
        def check() -> None:
            if data.user_id is not None:
                self._require_user(data.user_id)

        def mint(now: datetime) -> Task:
            return Task(
                id=self._ids.new_id(now), status=TaskStatus.TODO, created_at=now, updated_at=now, **data.model_dump()
            )

        return self._create(self.tasks, data, mint, check, idempotency_key, outcome)

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

    # History

    def _repository(self, kind: EntityKind) -> Repository[Any]:
        repositories: dict[str, Repository[Any]] = {"users": self.users, "calls": self.calls, "tasks": self.tasks}
        return repositories[kind]

    def history(self, kind: EntityKind, entity_id: str) -> EntityHistory:
        """Every version of the entity, oldest first, with who wrote it, when and how."""
        versions = self._repository(kind).versions(entity_id)
        return EntityHistory(kind=kind, id=entity_id, current_version=len(versions), versions=versions)

    def revert(self, kind: EntityKind, entity_id: str, version: int, expected_version: int | None = None) -> Reverted:
        """Restore the fields of an earlier version as a new change (history is never rewritten).

        Conditional on the state read, like every update; with `expected_version`, refused unless the entity is
        still at that version (the caller reverts what it saw, not what someone wrote since). Restoring a state
        equal to the current one changes nothing.
        """
        repository = self._repository(kind)
        versions = repository.versions(entity_id)
        current_version = len(versions)
        if expected_version is not None and expected_version != current_version:
            raise Conflict(
                f"{repository.kind} {entity_id} is at version {current_version}, not {expected_version}: it changed "
                "since you read it. Read its history again before reverting."
            )
        if not 1 <= version <= current_version:
            raise InvalidInput(
                "version",
                f"{repository.kind} {entity_id} has no version {version}; its versions are 1 to {current_version}.",
            )
        read_at = versions[-1].at
        restored = {name: value for name, value in versions[version - 1].entity.items() if name not in _NOT_RESTORED}
        written_from: list[datetime] = []

        def change(entity: Entity) -> Entity | None:
            current_at = getattr(entity, "updated_at", None)
            if expected_version is not None and current_at != read_at:
                raise Conflict(
                    f"{repository.kind} {entity_id} changed since version {expected_version} was read. Read its "
                    "history again before reverting."
                )
            try:
                candidate: Entity = repository.model.model_validate({**entity.model_dump(mode="json"), **restored})
            except ValidationError as exc:  # a snapshot from an older version, which the model no longer accepts
                problem = exc.errors()[0]
                where = ".".join(map(str, problem["loc"])) or "entity"
                raise InvalidInput(
                    "version",
                    f"Version {version} of {repository.kind} {entity_id} cannot be restored: "
                    f"{where}: {problem['msg']}.",
                ) from exc
            if candidate.model_dump(exclude={"updated_at"}) == entity.model_dump(exclude={"updated_at"}):
                return None
            assert isinstance(current_at, datetime)
            written_from[:] = [current_at]
            return candidate.model_copy(update={"updated_at": self._touch(current_at)})

        entity = repository.update(entity_id, change, reverted_to=version)
        if not written_from:
            return Reverted(entity, current_version, changed=False)
        if written_from[0] == read_at:  # nobody wrote in between: the revert is the next version
            return Reverted(entity, current_version + 1, changed=True)
        return Reverted(entity, len(repository.versions(entity_id)), changed=True)
