"""Idempotent creates in the services: a key's first result is every retry's, on every storage backend."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from shared.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound, StoredObjectInvalid
from shared.idempotency import TTL, CreateOutcome, IdempotentCreates, fingerprint, record_id
from shared.models import CallCreate, Entity, Task, TaskCreate, TaskUpdate, UserCreate
from shared.services import Services
from shared.storage import S3Storage, Storage
from shared.storage.base import IDEMPOTENCY, ObjectRef, StoredObject
from tests.clocks import START, FakeClock
from tests.tcp_proxy import TcpProxy

MARIA = {"name": "María García", "email": "maria@test-azollon.com", "company": "Test Azollon"}


def create_task(services: Services, key: str | None, **fields: Any) -> tuple[Task, bool]:
    outcome = CreateOutcome()
    task = services.create_task(
        TaskCreate(**({"title": "Prepare onboarding materials"} | fields)), idempotency_key=key, outcome=outcome
    )
    return task, outcome.replayed


def stored_ids(storage: Storage, collection: str) -> list[str]:
    return [ref.key_id for ref in storage.list_refs(collection)]


# Retries


def test_a_retried_create_with_one_key_returns_the_first_entity_and_stores_one(
    services: Services, clock: FakeClock
) -> None:
    first, first_replayed = create_task(services, "retry-1")
    clock.advance(seconds=5)
    again, again_replayed = create_task(services, "retry-1")

    assert again == first
    assert (first_replayed, again_replayed) == (False, True)
    assert stored_ids(services.storage, "tasks") == [first.id]


@pytest.mark.parametrize("kind", ["users", "calls", "tasks"])
def test_each_create_is_idempotent_and_each_kind_keeps_its_own_keys(services: Services, kind: str) -> None:
    maria = services.create_user(UserCreate(**MARIA))
    creates: dict[str, Callable[[CreateOutcome], Entity]] = {
        "users": lambda o: services.create_user(UserCreate(**MARIA), idempotency_key="k", outcome=o),
        "calls": lambda o: services.schedule_call(
            CallCreate(user_id=maria.id, title="Onboarding", scheduled_for=START), idempotency_key="k", outcome=o
        ),
        "tasks": lambda o: services.create_task(TaskCreate(title="Deck"), idempotency_key="k", outcome=o),
    }
    # The same key already used for the other two kinds: each kind is its own scope.
    for other in set(creates) - {kind}:
        creates[other](CreateOutcome())
    before = set(stored_ids(services.storage, kind))
    first_outcome, again_outcome = CreateOutcome(), CreateOutcome()

    first = creates[kind](first_outcome)
    again = creates[kind](again_outcome)

    assert again == first
    assert (first_outcome.replayed, again_outcome.replayed) == (False, True)
    assert set(stored_ids(services.storage, kind)) - before == {first.id}


def test_without_a_key_every_create_is_a_new_entity(services: Services) -> None:
    first, _ = create_task(services, None)
    second, replayed = create_task(services, None)

    assert first.id != second.id and not replayed
    assert stored_ids(services.storage, IDEMPOTENCY) == []


def test_the_replay_is_the_first_result_even_after_the_entity_changed(services: Services) -> None:
    first, _ = create_task(services, "k")
    services.update_task(first.id, TaskUpdate(title="Renamed"))

    again, replayed = create_task(services, "k")

    assert replayed and again == first
    assert services.get_task(first.id).title == "Renamed"


def test_bodies_that_mean_the_same_thing_replay(services: Services) -> None:
    paris = timezone(timedelta(hours=2))
    first, _ = create_task(services, "k", title="  Deck ", due_date=datetime(2025, 10, 26, 14, 0, tzinfo=paris))

    again, replayed = create_task(services, "k", title="Deck", due_date="2025-10-26T12:00:00Z", description=None)

    assert replayed and again == first


def test_another_body_with_the_same_key_is_refused_naming_the_key_and_creates_nothing(services: Services) -> None:
    first, _ = create_task(services, "order-42")

    with pytest.raises(IdempotencyKeyReused) as refused:
        create_task(services, "order-42", title="Something else")

    assert isinstance(refused.value, InvalidInput) and refused.value.field == "idempotency_key"
    assert "'order-42'" in refused.value.message and "different task" in refused.value.message
    assert stored_ids(services.storage, "tasks") == [first.id]


def test_a_refused_rule_records_nothing(services: Services) -> None:
    with pytest.raises(NotFound):
        services.schedule_call(
            CallCreate(user_id="no-such-user", title="Call", scheduled_for=START), idempotency_key="k"
        )

    assert stored_ids(services.storage, IDEMPOTENCY) == []


def test_a_retry_that_its_own_first_result_now_refuses_is_replayed(services: Services, clock: FakeClock) -> None:
    # A rule that the first result itself breaks for the retry (as an overlap check would: the first call
    # overlaps its own retry) must not hide the replay.
    creates = IdempotentCreates(services.storage, clock)
    request = TaskCreate(title="Deck")
    made: list[Task] = []

    def mint() -> Task:
        made.append(Task(id=f"task-{len(made)}", title="Deck", status="todo", created_at=START, updated_at=START))
        return made[-1]

    def refuse_once_one_exists() -> None:
        if stored_ids(services.storage, "tasks"):
            raise Conflict("a task like this exists")

    first = creates.create(services.tasks, "k", request, mint, refuse_once_one_exists)
    again = creates.create(services.tasks, "k", request, mint, refuse_once_one_exists)

    assert (first.replayed, again.replayed) == (False, True) and again.entity == first.entity
    with pytest.raises(Conflict):  # without a record of this key, the rule's refusal stands
        creates.create(services.tasks, "another-key", request, mint, refuse_once_one_exists)


# Expiry


def test_a_key_is_honoured_for_24_hours_then_makes_a_new_entity(services: Services, clock: FakeClock) -> None:
    first, _ = create_task(services, "k")
    clock.advance(hours=24, seconds=-1)
    within, within_replayed = create_task(services, "k")
    clock.advance(seconds=1)
    after, after_replayed = create_task(services, "k")
    clock.advance(hours=1)
    retried, retried_replayed = create_task(services, "k")

    assert within == first and within_replayed
    assert after.id != first.id and not after_replayed
    assert retried == after and retried_replayed  # the record now holds the new result
    assert sorted(stored_ids(services.storage, "tasks")) == sorted([first.id, after.id])
    assert stored_ids(services.storage, IDEMPOTENCY) == [record_id("tasks", "k")]


def test_an_expired_key_may_take_another_body(services: Services, clock: FakeClock) -> None:
    create_task(services, "k")
    clock.advance(hours=25)

    other, replayed = create_task(services, "k", title="Another task")

    assert not replayed and other.title == "Another task"


def test_the_record_holds_kind_fingerprint_entity_and_its_24_hours(services: Services) -> None:
    first, _ = create_task(services, "k")
    stored = services.storage.get(IDEMPOTENCY, record_id("tasks", "k"))

    assert stored is not None
    record = json.loads(stored.body)
    assert record["kind"] == "Task"
    assert record["fingerprint"] == fingerprint(TaskCreate(title="Prepare onboarding materials"))
    assert Task.model_validate(record["entity"]) == first
    assert record["created_at"] == "2025-10-24T10:30:00Z"
    assert datetime.fromisoformat(record["expires_at"]) - datetime.fromisoformat(record["created_at"]) == TTL


# Keys


@pytest.mark.parametrize("key", ["", "with space", "tab\there", "línea", "new\nline", "x" * 256, "\x7f"])
def test_an_invalid_key_is_refused_naming_the_argument_and_nothing_is_stored(services: Services, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_task(services, key)

    assert refused.value.field == "idempotency_key"
    assert "1-255 visible ASCII characters" in refused.value.message
    assert stored_ids(services.storage, "tasks") == stored_ids(services.storage, IDEMPOTENCY) == []


@pytest.mark.parametrize("key", ["x", "x" * 255, "550e8400-e29b-41d4-a716-446655440000", "a/b:c?d=e&f'g\"!~"])
def test_any_visible_ascii_key_of_1_to_255_characters_works(services: Services, key: str) -> None:
    first, _ = create_task(services, key)
    again, replayed = create_task(services, key)

    assert replayed and again == first


def test_a_record_that_is_not_valid_is_reported_not_overwritten(services: Services) -> None:
    services.storage.create(IDEMPOTENCY, record_id("tasks", "k"), b'{"kind": "Task"}')

    with pytest.raises(StoredObjectInvalid) as invalid:
        create_task(services, "k")

    assert f"idempotency/{record_id('tasks', 'k')}.json" in invalid.value.message
    assert stored_ids(services.storage, "tasks") == []


# Races and crashes, on every backend


class Interrupting(Storage):
    """A store that runs `before_create(collection)` before each create: to crash, or let another request in."""

    def __init__(self, inner: Storage, before_create: Callable[[str], None]) -> None:
        self.inner = inner
        self.before_create = before_create

    def describe(self) -> str:
        return self.inner.describe()

    def ensure_ready(self) -> None:
        self.inner.ensure_ready()

    def get(self, collection: str, object_id: str) -> StoredObject | None:
        return self.inner.get(collection, object_id)

    def create(self, collection: str, object_id: str, body: bytes) -> str:
        self.before_create(collection)
        return self.inner.create(collection, object_id, body)

    def replace(self, collection: str, object_id: str, body: bytes, if_version: str) -> str:
        return self.inner.replace(collection, object_id, body, if_version)

    def list_refs(
        self, collection: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[ObjectRef]:
        return self.inner.list_refs(collection, start_after=start_after, limit=limit)

    def get_many(self, collection: str, object_ids: Iterable[str]) -> dict[str, StoredObject | None]:
        return self.inner.get_many(collection, object_ids)


class Crash(Exception):
    """The process died here."""


def test_racing_retries_with_one_key_make_one_entity(storage: Storage) -> None:
    # Eight replicas (each its own Services: own caches, own ids) get the same request at once.
    replicas = [Services(storage) for _ in range(8)]
    start = threading.Barrier(len(replicas))

    def create(services: Services) -> tuple[Task, bool]:
        start.wait()
        return create_task(services, "race-key", title="Follow up with María")

    with ThreadPoolExecutor(max_workers=len(replicas)) as pool:
        results = list(pool.map(create, replicas))

    assert len({task.id for task, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False] + [True] * 7
    assert stored_ids(storage, "tasks") == [results[0][0].id]


def test_a_crash_between_record_and_entity_is_completed_by_the_retry_with_the_recorded_id(storage: Storage) -> None:
    def crash_before_the_entity(collection: str) -> None:
        if collection == "tasks":
            raise Crash

    with pytest.raises(Crash):
        create_task(Services(Interrupting(storage, crash_before_the_entity)), "k")
    [recorded] = stored_ids(storage, IDEMPOTENCY)
    assert stored_ids(storage, "tasks") == []

    restarted = Services(storage)
    task, replayed = create_task(restarted, "k")

    stored = storage.get(IDEMPOTENCY, recorded)
    assert stored is not None
    assert task.id == json.loads(stored.body)["entity"]["id"]
    assert replayed
    assert stored_ids(storage, "tasks") == [task.id]
    assert restarted.get_task(task.id) == task


def test_a_first_request_still_between_record_and_entity_and_its_retry_agree(storage: Storage) -> None:
    # The retry arrives after the first request wrote its record and before it wrote the entity.
    retried: list[tuple[Task, bool]] = []
    retry_replica = Services(storage)

    def let_the_retry_in(collection: str) -> None:
        if collection == "tasks" and not retried:
            retried.append(create_task(retry_replica, "k"))

    first, first_replayed = create_task(Services(Interrupting(storage, let_the_retry_in)), "k")

    [(retry, retry_replayed)] = retried
    assert retry == first
    assert (first_replayed, retry_replayed) == (False, True)
    assert stored_ids(storage, "tasks") == [first.id]


# What it costs


def test_a_keyed_create_costs_one_more_put_and_a_replay_writes_nothing(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, proxy = proxied_s3
    services = Services(storage)

    create_task(services, None)
    plain = proxy.operations()
    proxy.reset_requests()
    create_task(services, "k")
    keyed = proxy.operations()
    proxy.reset_requests()
    create_task(Services(storage), "k")
    replay = proxy.operations()

    assert plain == {"PutObject": 2}  # the history record, then the entity
    assert keyed == {"PutObject": 3}  # the idempotency record (IfNoneMatch), the history record, the entity
    # The record's create refused (412), the record read, and the entity checked to be there.
    assert replay == {"PutObject": 1, "GetObject": 2}


# Duplicate emails


def test_users_with_email_matches_case_insensitively_and_only_that_email(services: Services) -> None:
    maria = services.create_user(UserCreate(**MARIA))
    shouting = services.create_user(UserCreate(**(MARIA | {"email": "MARIA@Test-Azollon.com"})))
    services.create_user(UserCreate(**(MARIA | {"email": "maria@other.com"})))

    found = services.users_with_email("Maria@TEST-azollon.com")

    assert [user.id for user in found] == [maria.id, shouting.id]
    assert services.users_with_email("nobody@test-azollon.com") == []
