"""History and revert as the services define them: a revert is a new change, conditional, and never rewrites."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.context import Actor, acting
from shared.errors import Conflict, InvalidInput, NotFound, StoredObjectInvalid
from shared.models import CallCreate, CallStatus, Task, TaskCreate, TaskStatus, TaskUpdate, UserCreate
from shared.services import Services
from shared.storage import LocalStorage, ObjectRef, Storage
from shared.storage.base import history_collection
from tests.clocks import TickingClock
from tests.storage.counting import CountingStorage

DUE = datetime(2025, 10, 31, 17, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    storage = LocalStorage(tmp_path, "history-tests")
    storage.ensure_ready()
    return storage


@pytest.fixture
def services(store: LocalStorage) -> Services:
    return Services(store, clock=TickingClock())


def edited_task(services: Services) -> Task:
    """A task at version 3: created with a description and a due date, then done, then renamed and cleared."""
    task = services.create_task(TaskCreate(title="Send the deck", description="The Q3 one", due_date=DUE))
    services.update_task_status(task.id, TaskStatus.DONE)
    services.update_task(task.id, TaskUpdate(title="Send the new deck", description=None, due_date=None))
    return task


def record_count(storage: Storage, task_id: str) -> int:
    return len(storage.list_refs(history_collection("tasks", task_id)))


def test_a_revert_restores_the_old_fields_as_a_new_version(services: Services) -> None:
    task = edited_task(services)

    with acting(Actor("ana-laptop", "rest")):
        reverted = services.revert("tasks", task.id, 1)

    restored = services.get_task(task.id)
    assert reverted.entity == restored and reverted.changed and reverted.current_version == 4
    assert (restored.title, restored.description, restored.due_date, restored.status) == (
        "Send the deck",
        "The Q3 one",
        DUE,
        TaskStatus.TODO,
    )
    assert restored.created_at == task.created_at and restored.updated_at > task.updated_at
    history = services.history("tasks", task.id)
    assert history.current_version == 4
    last = history.versions[-1]
    assert (last.action, last.reverted_to, last.actor, last.via) == ("revert", 1, "ana-laptop", "rest")
    assert Task.model_validate(last.entity) == restored
    assert [v.action for v in history.versions[:3]] == ["create", "update", "update"]  # never rewritten


def test_a_revert_can_itself_be_reverted(services: Services) -> None:
    task = edited_task(services)
    services.revert("tasks", task.id, 1)

    services.revert("tasks", task.id, 3)

    restored = services.get_task(task.id)
    assert (restored.title, restored.description, restored.status) == ("Send the new deck", None, TaskStatus.DONE)
    assert [v.reverted_to for v in services.history("tasks", task.id).versions] == [None, None, None, 1, 3]


def test_reverting_to_a_state_equal_to_the_current_one_changes_nothing(services: Services, store: Storage) -> None:
    task = edited_task(services)
    before = services.get_task(task.id)

    reverted = services.revert("tasks", task.id, 3)

    assert not reverted.changed and reverted.current_version == 3
    assert services.get_task(task.id) == before == reverted.entity
    assert record_count(store, task.id) == 3


def test_a_user_has_one_version_and_reverting_to_it_changes_nothing(services: Services) -> None:
    user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))

    reverted = services.revert("users", user.id, 1, expected_version=1)

    assert (reverted.entity, reverted.current_version, reverted.changed) == (user, 1, False)


def test_a_revert_undoes_a_cancellation_the_status_rules_would_not_allow_back(services: Services) -> None:
    user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))
    call = services.schedule_call(CallCreate(user_id=user.id, title="Kick-off", scheduled_for=DUE))
    services.update_call_status(call.id, CallStatus.CANCELLED)

    services.revert("calls", call.id, 1)

    assert services.get_call(call.id).status is CallStatus.SCHEDULED


def test_a_revert_at_another_version_than_expected_is_a_conflict_and_writes_nothing(
    services: Services, store: Storage
) -> None:
    task = edited_task(services)

    with pytest.raises(Conflict, match=f"Task {task.id} is at version 3, not 2"):
        services.revert("tasks", task.id, 1, expected_version=2)

    assert services.get_task(task.id).title == "Send the new deck"
    assert record_count(store, task.id) == 3


def test_a_revert_at_the_expected_version_goes_ahead(services: Services) -> None:
    task = edited_task(services)

    reverted = services.revert("tasks", task.id, 2, expected_version=3)

    assert (reverted.entity.title, reverted.current_version) == ("Send the deck", 4)


class WriteDuringHistoryRead(CountingStorage):
    """Someone else changes the entity right after the revert has read its history, once."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner)
        self.meanwhile: Callable[[], object] | None = None

    def list_refs(
        self, collection: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[ObjectRef]:
        refs = super().list_refs(collection, start_after=start_after, limit=limit)
        if self.meanwhile is not None and collection.startswith("history/"):
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return refs


def test_a_write_between_the_history_read_and_the_revert_refuses_an_expected_version(store: LocalStorage) -> None:
    racing = WriteDuringHistoryRead(store)
    services = Services(racing, clock=TickingClock())
    task = edited_task(services)
    racing.meanwhile = lambda: services.update_task_status(task.id, TaskStatus.CANCELLED)

    with pytest.raises(Conflict, match="changed since version 3 was read"):
        services.revert("tasks", task.id, 1, expected_version=3)

    assert services.get_task(task.id).status is TaskStatus.CANCELLED  # the other write stands, alone
    assert services.history("tasks", task.id).current_version == 4


def test_without_expected_version_a_revert_applies_over_a_write_made_meanwhile(store: LocalStorage) -> None:
    racing = WriteDuringHistoryRead(store)
    services = Services(racing, clock=TickingClock())
    task = edited_task(services)
    racing.meanwhile = lambda: services.update_task_status(task.id, TaskStatus.CANCELLED)

    reverted = services.revert("tasks", task.id, 1)

    assert reverted.entity.status is TaskStatus.TODO and reverted.current_version == 5
    assert [v.action for v in services.history("tasks", task.id).versions] == [
        "create",
        "update",
        "update",
        "update",
        "revert",
    ]


@pytest.mark.parametrize("version", [0, 4, 99])
def test_a_version_that_does_not_exist_is_invalid_input_naming_those_that_do(services: Services, version: int) -> None:
    task = edited_task(services)

    with pytest.raises(InvalidInput, match=f"has no version {version}; its versions are 1 to 3") as raised:
        services.revert("tasks", task.id, version)

    assert raised.value.field == "version"


@pytest.mark.parametrize("kind", ["users", "calls", "tasks"])
@pytest.mark.parametrize("entity_id", ["0192f5e0-8a2d-7dd4-8e3f-7a2b3c4d5e6f", "../etc", ""])
def test_history_and_revert_of_an_unknown_entity_are_not_found(services: Services, kind: str, entity_id: str) -> None:
    word = {"users": "User", "calls": "Call", "tasks": "Task"}[kind]
    with pytest.raises(NotFound, match=f"{word} .* not found"):
        services.history(kind, entity_id)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match=f"{word} .* not found"):
        services.revert(kind, entity_id, 1)  # type: ignore[arg-type]


def test_the_history_of_a_broken_stored_entity_names_its_key(services: Services, store: Storage) -> None:
    store.create("tasks", "broken", b'{"id": "half-written')

    with pytest.raises(StoredObjectInvalid, match=re.escape("tasks/broken.json")):
        services.history("tasks", "broken")


def test_a_broken_history_record_ends_the_chain_and_the_state_before_it_still_shows(
    services: Services, store: Storage
) -> None:
    task = edited_task(services)
    [first, *_] = services.history("tasks", task.id).versions
    collection = history_collection("tasks", task.id)
    first_id = store.list_refs(collection)[0].key_id
    stored = store.get(collection, first_id)
    assert stored is not None
    store.replace(collection, first_id, b"not json", stored.version)

    history = services.history("tasks", task.id)

    assert [v.action for v in history.versions] == ["unrecorded", "update", "update"]
    assert history.versions[0].entity == first.entity  # known from the `before` of version 2
