"""The list path on every backend: what a list and a page read, what the cache serves, and that it never lies."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared.models import Task, TaskCreate, TaskFilter, TaskStatus, UserCreate
from shared.services import Services
from shared.storage import LocalStorage, S3Storage, Storage
from shared.storage.repository import Repository
from tests.clocks import START, TickingClock
from tests.conftest import settle
from tests.storage.counting import CountingStorage


def sibling(storage: Storage) -> Storage:
    """A second store object on the same folder or bucket, as another process would have: its own cache."""
    if isinstance(storage, LocalStorage):
        return LocalStorage(storage.root.parent, storage.root.name)
    assert isinstance(storage, S3Storage)
    return S3Storage(storage.bucket, endpoint_url=storage.endpoint_url)


def make_tasks(services: Services, count: int, **fields: object) -> list[Task]:
    return [services.create_task(TaskCreate(title=f"Task {n}", **fields)) for n in range(count)]  # type: ignore[arg-type]


@pytest.fixture
def counted(storage: Storage) -> CountingStorage:
    return CountingStorage(storage)


@pytest.fixture
def services(counted: CountingStorage) -> Services:
    return Services(counted, clock=TickingClock())


def test_a_warm_list_of_unchanged_objects_lists_once_and_reads_nothing(
    storage: Storage, counted: CountingStorage, services: Services
) -> None:
    tasks = make_tasks(services, 12)
    settle(storage)
    assert [t.id for t in services.list_tasks().items] == [t.id for t in tasks]  # cold: reads them
    counted.reset()

    again = services.list_tasks()

    assert again.items == tasks
    assert counted.calls == {"list_refs": 1}


def test_a_page_lists_one_past_the_page_and_reads_only_the_page(counted: CountingStorage, services: Services) -> None:
    tasks = make_tasks(services, 20)
    fresh = Services(counted, clock=TickingClock())  # an empty cache: a process that just started
    counted.reset()

    page = fresh.list_tasks(limit=5)

    assert [t.id for t in page.items] == [t.id for t in tasks[:5]]
    assert page.next_cursor is not None
    assert counted.calls == {"list_refs": 1, "get": 5}
    assert counted.read_ids == [t.id for t in tasks[:5]]
    counted.reset()

    second = fresh.list_tasks(limit=5, cursor=page.next_cursor)

    assert [t.id for t in second.items] == [t.id for t in tasks[5:10]]
    assert counted.read_ids == [t.id for t in tasks[5:10]]


def test_pages_follow_creation_order_and_new_entities_land_on_a_later_page(services: Services) -> None:
    tasks = make_tasks(services, 7)
    first = services.list_tasks(limit=4)
    late = make_tasks(services, 2)

    rest = services.list_tasks(limit=10, cursor=first.next_cursor)

    assert [t.id for t in first.items + rest.items] == [t.id for t in tasks + late]
    assert rest.next_cursor is None


def test_a_filtered_page_reads_on_until_the_page_is_full_and_resumes_after_its_last_match(services: Services) -> None:
    user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))
    mine: list[Task] = []
    for n in range(9):
        make_tasks(services, 2)  # other people's tasks in between
        mine.append(services.create_task(TaskCreate(title=f"Mine {n}", user_id=user.id)))
    where = TaskFilter(user_id=user.id)

    ids: list[str] = []
    cursor = None
    while True:
        page = services.list_tasks(where, limit=4, cursor=cursor)
        ids.extend(t.id for t in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert ids == [t.id for t in mine]


def test_a_write_by_another_process_is_seen_on_the_next_list(storage: Storage, services: Services) -> None:
    tasks = make_tasks(services, 3)
    settle(storage)  # so what this process read, down to the local folder's listing, is kept as settled
    services.list_tasks()  # warm
    services.list_tasks(limit=2)
    other = Services(sibling(storage), clock=TickingClock(START + timedelta(hours=1)))

    other.update_task_status(tasks[1].id, TaskStatus.DONE)
    added = other.create_task(TaskCreate(title="From the stdio server"))

    listed = services.list_tasks().items
    assert [t.id for t in listed] == [*(t.id for t in tasks), added.id]
    assert listed[1].status is TaskStatus.DONE
    assert services.list_tasks(TaskFilter(status=TaskStatus.DONE)).items == [listed[1]]
    assert services.list_tasks(limit=2).items[1].status is TaskStatus.DONE


def test_the_cache_never_serves_a_version_the_listing_no_longer_shows(storage: Storage, services: Services) -> None:
    # Changed behind the cache's back, back to back, by raw writes of bodies of the same size.
    [task] = make_tasks(services, 1)
    repository = Repository(storage, "tasks", Task, "Task")
    for n in range(8):
        assert services.list_tasks().items[0].title == (task.title if n == 0 else f"Title {n - 1:02d}")
        stored = storage.get("tasks", task.id)
        assert stored is not None
        changed = task.model_copy(update={"title": f"Title {n:02d}"})
        storage.replace("tasks", task.id, changed.model_dump_json().encode(), stored.version)
        assert services.list_tasks().items == [changed]
        assert services.list_tasks(limit=1).items == [changed]
        assert repository.get(task.id) == changed
    settle(storage)
    assert services.list_tasks().items[0].title == "Title 07"


def test_old_style_ids_are_neither_skipped_nor_repeated_across_pages(storage: Storage, services: Services) -> None:
    # Objects from before time-ordered ids, or put there by other tools: their keys fall anywhere in the order.
    tasks = Repository(storage, "tasks", Task, "Task")
    legacy = []
    for n in range(8):
        task_id = str(uuid.uuid4())
        at = START - timedelta(days=30 - n)
        tasks.add(task_id, Task(id=task_id, title=f"Old {n}", status="todo", created_at=at, updated_at=at))
        legacy.append(task_id)
    legacy.append("imported-by-hand")
    tasks.add(
        "imported-by-hand", Task(id="imported-by-hand", title="CSV", status="todo", created_at=START, updated_at=START)
    )
    new = [t.id for t in make_tasks(services, 6)]

    for limit in (1, 2, 5):
        ids: list[str] = []
        cursor = None
        while True:
            page = services.list_tasks(limit=limit, cursor=cursor)
            ids.extend(t.id for t in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(ids) == sorted(legacy + new), f"limit={limit}"
        assert len(ids) == len(set(ids))
        assert [i for i in ids if i in new] == new  # our own ids stay oldest first
    assert sorted(t.id for t in services.list_tasks().items) == sorted(legacy + new)


def test_a_create_naming_a_known_user_reads_the_user_once_and_writes_record_and_task(
    counted: CountingStorage, services: Services
) -> None:
    user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))
    fresh = Services(counted, clock=TickingClock())
    counted.reset()

    for n in range(5):
        fresh.create_task(TaskCreate(title=f"Task {n}", user_id=user.id))

    assert counted.calls == {"get": 1, "create": 10}  # each create: its history record, then the task


def test_a_status_change_is_one_read_a_history_record_and_one_conditional_write(
    counted: CountingStorage, services: Services
) -> None:
    [task] = make_tasks(services, 1)
    counted.reset()

    services.update_task_status(task.id, TaskStatus.DONE)

    assert counted.calls == {"get": 1, "create": 1, "replace": 1}


def test_the_cache_is_bounded_and_a_collection_larger_than_it_still_lists_whole(counted: CountingStorage) -> None:
    services = Services(counted, clock=TickingClock(), cache_entries=5)
    tasks = make_tasks(services, 12)

    for _ in range(2):
        assert services.list_tasks().items == tasks
    assert len(services.tasks._cache) == 5
