"""What reaches S3, counted at a proxy in front of a moto server: the list path and writes at the round-trip limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shared.models import TaskCreate, TaskStatus, TaskUpdate, UserCreate
from shared.services import Services
from shared.storage import S3Storage
from tests.clocks import TickingClock
from tests.tcp_proxy import TcpProxy


def seed_tasks(storage: S3Storage, count: int) -> list[str]:
    services = Services(storage, clock=TickingClock())
    with ThreadPoolExecutor(max_workers=16) as pool:
        return [t.id for t in pool.map(lambda n: services.create_task(TaskCreate(title=f"Task {n}")), range(count))]


def test_a_warm_list_of_1050_tasks_costs_two_list_requests_and_no_get(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, proxy = proxied_s3
    seed_tasks(storage, 1_050)
    services = Services(storage)
    proxy.reset_requests()

    cold = services.list_tasks()
    cold_operations = proxy.operations()
    proxy.reset_requests()
    warm = services.list_tasks()

    assert len(cold.items) == len(warm.items) == 1_050
    assert cold_operations == {"ListObjectsV2": 2, "GetObject": 1_050}
    assert proxy.operations() == {"ListObjectsV2": 2}


def test_a_first_page_of_50_costs_one_list_of_51_keys_and_50_gets_then_none_warm(
    proxied_s3: tuple[S3Storage, TcpProxy],
) -> None:
    storage, proxy = proxied_s3
    seed_tasks(storage, 120)
    services = Services(storage)
    proxy.reset_requests()

    page = services.list_tasks(limit=50)

    assert len(page.items) == 50 and page.next_cursor is not None
    assert proxy.operations() == {"ListObjectsV2": 1, "GetObject": 50}
    [listing] = [r for r in proxy.requests if r.operation == "ListObjectsV2"]
    assert "max-keys=51" in listing.target
    proxy.reset_requests()
    assert services.list_tasks(limit=50).items == page.items
    assert proxy.operations() == {"ListObjectsV2": 1}


def test_a_next_page_starts_after_the_cursor_in_s3_itself(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, proxy = proxied_s3
    ids = sorted(seed_tasks(storage, 30))
    services = Services(storage)
    first = services.list_tasks(limit=10)
    proxy.reset_requests()

    second = services.list_tasks(limit=10, cursor=first.next_cursor)

    assert [t.id for t in second.items] == ids[10:20]
    [listing] = [r for r in proxy.requests if r.operation == "ListObjectsV2"]
    assert f"start-after=tasks%2F{ids[9]}.json" in listing.target
    assert proxy.operations() == {"ListObjectsV2": 1, "GetObject": 10}


def test_a_create_for_a_known_user_is_two_create_only_puts_without_expect_100_continue(
    proxied_s3: tuple[S3Storage, TcpProxy],
) -> None:
    storage, proxy = proxied_s3
    services = Services(storage)
    user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))
    services.create_task(TaskCreate(title="First", user_id=user.id))  # the user is read once
    proxy.reset_requests()

    services.create_task(TaskCreate(title="Second", user_id=user.id))

    # The history record first, then the task: both create-only.
    assert proxy.operations() == {"PutObject": 2}
    record, put = proxy.requests
    assert "/history/tasks/" in record.target and "/tasks/" in put.target
    for request in (record, put):
        assert "expect" not in request.headers
        assert request.headers["if-none-match"] == "*"


def test_a_status_change_is_one_get_a_record_put_and_one_conditional_put(
    proxied_s3: tuple[S3Storage, TcpProxy],
) -> None:
    storage, proxy = proxied_s3
    task = Services(storage).create_task(TaskCreate(title="Call back"))
    services = Services(storage)  # another process: it has not seen the task
    proxy.reset_requests()

    services.update_task_status(task.id, TaskStatus.DONE)

    assert proxy.operations() == {"GetObject": 1, "PutObject": 2}
    _, record, put = proxy.requests
    assert "/history/tasks/" in record.target and record.headers["if-none-match"] == "*"
    assert "if-match" in put.headers and "expect" not in put.headers


def test_a_change_to_what_this_process_wrote_or_listed_needs_no_read(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, proxy = proxied_s3
    services = Services(storage)
    written = services.create_task(TaskCreate(title="Call back"))
    listed = Services(storage).create_task(TaskCreate(title="Send the deck"))
    services.list_tasks()
    proxy.reset_requests()

    services.update_task_status(written.id, TaskStatus.DONE)
    services.update_task_status(listed.id, TaskStatus.IN_PROGRESS)
    services.update_task_status(written.id, TaskStatus.TODO)  # from what the first change wrote

    # Per change: the history record, then the conditional write from the cached bytes' ETag.
    assert proxy.operations() == {"PutObject": 6}
    assert [t.status for t in Services(storage).list_tasks().items] == [TaskStatus.TODO, TaskStatus.IN_PROGRESS]
    assert [v.action for v in services.history("tasks", written.id).versions] == ["create", "update", "update"]
    # The next list finds both where this process left them: no read.
    proxy.reset_requests()
    services.list_tasks()
    assert proxy.operations() == {"ListObjectsV2": 1}


def test_a_change_from_a_stale_cache_is_refused_by_s3_and_made_from_the_stored_entity(
    proxied_s3: tuple[S3Storage, TcpProxy],
) -> None:
    storage, proxy = proxied_s3
    here, elsewhere = Services(storage, clock=TickingClock()), Services(storage, clock=TickingClock())
    task = here.create_task(TaskCreate(title="Call back"))
    elsewhere.update_task(task.id, TaskUpdate(title="Call back Ana"))
    proxy.reset_requests()

    done = here.update_task_status(task.id, TaskStatus.DONE)

    # The write from the cached ETag is refused (412); the task is read and the change made to what is stored.
    assert proxy.operations() == {"PutObject": 4, "GetObject": 1}
    assert (done.title, done.status) == ("Call back Ana", TaskStatus.DONE)
    versions = here.history("tasks", task.id).versions
    assert [(v.action, v.entity["title"], v.entity["status"]) for v in versions] == [
        ("create", "Call back", "todo"),
        ("update", "Call back Ana", "todo"),
        ("update", "Call back Ana", "done"),
    ]


def test_a_stale_cache_never_answers_a_change_on_its_own(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, _ = proxied_s3
    here, elsewhere = Services(storage, clock=TickingClock()), Services(storage, clock=TickingClock())
    task = here.create_task(TaskCreate(title="Call back"))
    here.update_task_status(task.id, TaskStatus.DONE)  # cached here as done
    elsewhere.update_task_status(task.id, TaskStatus.TODO)

    # The cache says "already done, nothing to change"; the store says todo: the change is made.
    assert here.update_task_status(task.id, TaskStatus.DONE).status == TaskStatus.DONE
    assert elsewhere.get_task(task.id).status == TaskStatus.DONE


def test_a_get_by_id_is_one_request(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, proxy = proxied_s3
    services = Services(storage)
    task = services.create_task(TaskCreate(title="Call back"))
    proxy.reset_requests()

    assert services.get_task(task.id) == task
    assert proxy.operations() == {"GetObject": 1}


def test_a_history_read_is_a_get_a_list_and_the_records_read_at_once(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, proxy = proxied_s3
    services = Services(storage, clock=TickingClock())
    task = services.create_task(TaskCreate(title="Call back"))
    for status in (TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.TODO, TaskStatus.DONE):
        services.update_task_status(task.id, status)
    proxy.reset_requests()

    history = services.history("tasks", task.id)

    assert history.current_version == 5
    assert proxy.operations() == {"GetObject": 1 + 5, "ListObjectsV2": 1}
    [listing] = [r for r in proxy.requests if r.operation == "ListObjectsV2"]
    assert f"prefix=history%2Ftasks%2F{task.id}%2F" in listing.target


def test_a_revert_reads_the_history_then_writes_as_an_update(proxied_s3: tuple[S3Storage, TcpProxy]) -> None:
    storage, proxy = proxied_s3
    services = Services(storage, clock=TickingClock())
    task = services.create_task(TaskCreate(title="Call back"))
    services.update_task_status(task.id, TaskStatus.DONE)
    proxy.reset_requests()

    services.revert("tasks", task.id, 1, expected_version=2)

    # The history read (the entity, the list, the 2 records); the write starts from the entity just read.
    assert proxy.operations() == {"GetObject": 1 + 2, "ListObjectsV2": 1, "PutObject": 2}
