"""Every write's history record, on every backend: written first, read back as the chain from the entity."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from shared.context import Actor, acting
from shared.models import CallCreate, CallReschedule, Task, TaskCreate, TaskStatus, TaskUpdate, UserCreate
from shared.services import Services
from shared.storage import Storage
from shared.storage.base import history_collection
from shared.storage.history import record_id
from tests.clocks import FakeClock, TickingClock
from tests.storage.counting import CountingStorage


class Crash(Exception):
    """The process dies here."""


class CrashAfterHistoryRecord(CountingStorage):
    """A backend whose process dies once, right after a history record is written and before the entity is."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner)
        self.armed = False
        self.crashed = False

    def create(self, collection: str, object_id: str, body: bytes) -> str:
        version = super().create(collection, object_id, body)
        if self.armed and collection.startswith("history/"):
            self.armed, self.crashed = False, True
            raise Crash
        return version


def stored_task(storage: Storage, task_id: str) -> Task:
    stored = storage.get("tasks", task_id)
    assert stored is not None
    return Task.model_validate_json(stored.body)


def record_ids(storage: Storage, task_id: str) -> list[str]:
    return [ref.key_id for ref in storage.list_refs(history_collection("tasks", task_id))]


def test_each_write_is_a_version_with_who_when_and_what(storage: Storage) -> None:
    services = Services(storage, clock=TickingClock())
    with acting(Actor("ana-laptop", "rest")):
        task = services.create_task(TaskCreate(title="Send the deck"))
    with acting(Actor("claude", "mcp")):
        done = services.update_task_status(task.id, TaskStatus.DONE)
        renamed = services.update_task(task.id, TaskUpdate(title="Send the new deck"))

    history = services.history("tasks", task.id)

    assert history.current_version == 3
    assert [(v.version, v.action, v.actor, v.via) for v in history.versions] == [
        (1, "create", "ana-laptop", "rest"),
        (2, "update", "claude", "mcp"),
        (3, "update", "claude", "mcp"),
    ]
    assert [v.at for v in history.versions] == [task.updated_at, done.updated_at, renamed.updated_at]
    assert [Task.model_validate(v.entity) for v in history.versions] == [task, done, renamed]


def test_records_live_under_history_collection_id_named_by_time_and_digest(storage: Storage) -> None:
    services = Services(storage, clock=TickingClock())
    task = services.create_task(TaskCreate(title="Send the deck"))
    stored = storage.get("tasks", task.id)
    assert stored is not None

    assert record_ids(storage, task.id) == [record_id(task.updated_at, stored.body)]
    assert record_ids(storage, task.id)[0].startswith("20251024T103000")
    assert [ref.key_id for ref in storage.list_refs("tasks")] == [task.id]  # the entity list holds no record


def test_a_user_s_history_is_its_creation(storage: Storage) -> None:
    services = Services(storage, clock=TickingClock())
    user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))

    [version] = services.history("users", user.id).versions

    assert (version.version, version.action, version.actor, version.via) == (1, "create", "system", "system")
    assert version.entity["email"] == "ana@example.com"


def test_a_crash_between_record_and_write_leaves_history_and_entity_agreeing_and_a_retry_works(
    storage: Storage,
) -> None:
    crashing = CrashAfterHistoryRecord(storage)
    services = Services(crashing, clock=TickingClock())
    task = services.create_task(TaskCreate(title="Send the deck"))

    crashing.armed = True
    with pytest.raises(Crash):
        services.update_task_status(task.id, TaskStatus.DONE)

    assert crashing.crashed
    assert stored_task(storage, task.id) == task  # the write never happened
    assert len(record_ids(storage, task.id)) == 2  # but its record did: an orphan
    after_crash = Services(storage).history("tasks", task.id)  # another process reads it
    assert [v.action for v in after_crash.versions] == ["create"]
    assert after_crash.versions[-1].entity == task.model_dump(mode="json")

    done = services.update_task_status(task.id, TaskStatus.DONE)  # the client retries

    history = Services(storage).history("tasks", task.id)
    assert [v.action for v in history.versions] == ["create", "update"]
    assert Task.model_validate(history.versions[-1].entity) == done == stored_task(storage, task.id)
    assert len(record_ids(storage, task.id)) == 3  # the orphan stays, off the chain


def test_a_crash_before_a_create_leaves_no_entity_and_nothing_to_show(storage: Storage) -> None:
    crashing = CrashAfterHistoryRecord(storage)
    services = Services(crashing, clock=TickingClock())
    crashing.armed = True

    with pytest.raises(Crash):
        services.create_task(TaskCreate(title="Never stored"))

    assert storage.list_refs("tasks") == []
    assert services.list_tasks().items == []


class LetTheOtherWriterWinOnce(CountingStorage):
    """Makes two writers collide for sure: the first pauses right after its history record, until the second
    has written the entity; the first's conditional write then fails and is retried."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner)
        self.first: int | None = None  # the thread id of the writer that waits
        self.first_paused = threading.Event()
        self.second_wrote = threading.Event()

    def create(self, collection: str, object_id: str, body: bytes) -> str:
        version = super().create(collection, object_id, body)
        if collection.startswith("history/") and threading.get_ident() == self.first:
            self.first = None  # once
            self.first_paused.set()  # it has read the task, and written the record of its change
            assert self.second_wrote.wait(timeout=30)
        return version

    def replace(self, collection: str, object_id: str, body: bytes, if_version: str) -> str:
        version = super().replace(collection, object_id, body, if_version)
        if self.first_paused.is_set():
            self.second_wrote.set()
        return version


def test_two_racing_updates_give_a_chain_that_ends_at_the_entity_with_both_changes(storage: Storage) -> None:
    # A clock that does not move: both writers date their change the same; only the content tells them apart.
    racing = LetTheOtherWriterWinOnce(storage)
    services = Services(racing, clock=FakeClock())
    task = services.create_task(TaskCreate(title="Send the deck"))

    def rename() -> Task:
        racing.first = threading.get_ident()
        return services.update_task(task.id, TaskUpdate(title="Send the new deck"))

    def finish() -> Task:
        assert racing.first_paused.wait(timeout=30)
        return services.update_task_status(task.id, TaskStatus.DONE)

    racing.reset()
    with ThreadPoolExecutor(max_workers=2) as pool:
        renamed, finished = pool.submit(rename), pool.submit(finish)
        renamed.result(), finished.result()

    assert racing.calls["replace"] == 3  # the rename lost once and was retried
    final = stored_task(storage, task.id)
    assert (final.title, final.status) == ("Send the new deck", TaskStatus.DONE)
    history = Services(storage).history("tasks", task.id)
    assert [(v.entity["title"], v.entity["status"]) for v in history.versions] == [
        ("Send the deck", "todo"),
        ("Send the deck", "done"),
        ("Send the new deck", "done"),
    ]
    assert Task.model_validate(history.versions[-1].entity) == final
    assert len(record_ids(storage, task.id)) == 4  # the lost attempt's record is there, off the chain


def test_an_entity_written_before_history_existed_shows_as_one_unrecorded_version(storage: Storage) -> None:
    services = Services(storage, clock=TickingClock())
    task = services.create_task(TaskCreate(title="Old task"))
    legacy = task.model_copy(update={"id": "legacy-task"})
    storage.create("tasks", "legacy-task", legacy.model_dump_json().encode())

    [version] = services.history("tasks", "legacy-task").versions

    assert (version.version, version.action, version.actor, version.via) == (1, "unrecorded", None, None)
    assert version.at == legacy.updated_at
    assert Task.model_validate(version.entity) == legacy

    done = services.update_task_status("legacy-task", TaskStatus.DONE)

    history = services.history("tasks", "legacy-task")
    assert [(v.version, v.action) for v in history.versions] == [(1, "unrecorded"), (2, "update")]
    assert Task.model_validate(history.versions[0].entity) == legacy  # from the record's `before`
    assert Task.model_validate(history.versions[1].entity) == done


def test_a_call_reschedule_and_its_revert_are_versions(storage: Storage) -> None:
    services = Services(storage, clock=TickingClock())
    user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))
    call = services.schedule_call(
        CallCreate(user_id=user.id, title="Kick-off", scheduled_for=datetime(2025, 10, 25, 10, tzinfo=UTC))
    )
    services.reschedule_call(
        call.id, CallReschedule(scheduled_for=datetime(2025, 10, 27, 9, tzinfo=UTC), duration_minutes=60)
    )

    reverted = services.revert("calls", call.id, 1)

    history = services.history("calls", call.id)
    assert [(v.action, v.reverted_to) for v in history.versions] == [("create", None), ("update", None), ("revert", 1)]
    assert reverted.current_version == 3 and reverted.changed
    assert history.versions[-1].entity == {
        **call.model_dump(mode="json"),
        "updated_at": history.versions[-1].entity["updated_at"],
    }


def test_a_history_read_is_a_get_a_list_and_the_records(storage: Storage) -> None:
    services = Services(storage, clock=TickingClock())
    task = services.create_task(TaskCreate(title="Send the deck"))
    for status in (TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.TODO):
        services.update_task_status(task.id, status)
    counted = CountingStorage(storage)

    history = Services(counted).history("tasks", task.id)

    assert history.current_version == 4
    assert counted.calls == {"get": 1 + 4, "list_refs": 1}
