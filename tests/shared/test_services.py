"""Every rule of the services, on the local folder; the ones where storage matters also on both S3 backends."""

from __future__ import annotations

import base64
import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import (
    CallCreate,
    CallFilter,
    CallReschedule,
    CallStatus,
    ScheduledCall,
    Task,
    TaskCreate,
    TaskFilter,
    TaskStatus,
    TaskUpdate,
    User,
    UserCreate,
    UserQuery,
    UserType,
)
from shared.services import Services
from shared.storage import LocalStorage, Storage
from tests.clocks import START, FakeClock

CALL_AT = datetime(2025, 10, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def local_time_is_not_utc() -> Iterator[None]:
    """Run in a local time zone far from UTC, so "naive means UTC" cannot pass by reading it as local time."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Sao_Paulo"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def new_user(services: Services, **overrides: Any) -> User:
    data: dict[str, Any] = {"name": "María García", "email": "maria@test-azollon.com", "company": "Test Azollon"}
    data.update(overrides)
    return services.create_user(UserCreate(**data))


def new_call(services: Services, user_id: str, **overrides: Any) -> ScheduledCall:
    data: dict[str, Any] = {"user_id": user_id, "title": "Onboarding call", "scheduled_for": CALL_AT}
    data.update(overrides)
    return services.schedule_call(CallCreate(**data))


def new_task(services: Services, **overrides: Any) -> Task:
    data: dict[str, Any] = {"title": "Prepare onboarding materials"}
    data.update(overrides)
    return services.create_task(TaskCreate(**data))


def stored_version(services: Services, collection: str, object_id: str) -> str:
    stored = services.storage.get(collection, object_id)
    assert stored is not None
    return stored.version


# Users


def test_create_user_defaults_user_type_to_client(services: Services) -> None:
    assert new_user(services).user_type is UserType.CLIENT


def test_create_user_keeps_a_given_user_type(services: Services) -> None:
    assert new_user(services, user_type="partner").user_type is UserType.PARTNER


def test_create_user_returns_a_uuid_and_equal_utc_timestamps_from_the_real_clock(
    local_storage: LocalStorage,
) -> None:
    before = datetime.now(UTC)
    user = new_user(Services(local_storage))
    after = datetime.now(UTC)

    assert str(uuid.UUID(user.id)) == user.id
    assert user.created_at == user.updated_at
    assert user.created_at.utcoffset() == timedelta(0)
    assert before <= user.created_at <= after


def test_each_created_user_gets_its_own_id(services: Services) -> None:
    ids = {new_user(services).id for _ in range(5)}

    assert len(ids) == 5


def test_a_created_user_reads_back_equal(services: Services) -> None:
    user = new_user(services, notes="New client from PyCon demo", user_type="prospect")

    assert services.get_user(user.id) == user


def test_get_of_an_unknown_user_raises_not_found_naming_it(services: Services) -> None:
    with pytest.raises(NotFound) as raised:
        services.get_user("abc-123")

    assert raised.value.message == "User abc-123 not found"
    assert (raised.value.kind, raised.value.entity_id) == ("User", "abc-123")


@pytest.mark.parametrize("bad_id", ["../etc/passwd", "a/b", "", ".hidden"])
def test_get_of_an_id_that_cannot_name_an_object_is_not_found(services: Services, bad_id: str) -> None:
    with pytest.raises(NotFound):
        services.get_user(bad_id)


# Scheduled calls


def test_schedule_call_for_an_unknown_user_raises_not_found_and_stores_nothing(services: Services) -> None:
    missing = str(uuid.uuid4())

    with pytest.raises(NotFound) as raised:
        new_call(services, missing)

    assert (raised.value.kind, raised.value.entity_id) == ("User", missing)
    assert raised.value.message == f"User {missing} not found"
    assert services.list_calls().items == []


def test_a_scheduled_call_starts_scheduled_with_30_minutes_by_default(services: Services, clock: FakeClock) -> None:
    call = new_call(services, new_user(services).id)

    assert call.status is CallStatus.SCHEDULED
    assert call.duration_minutes == 30
    assert call.created_at == call.updated_at == clock.now
    assert services.get_call(call.id) == call


def test_get_of_an_unknown_call_raises_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match=r"^Call nope not found$"):
        services.get_call("nope")


def test_a_status_change_moves_updated_at_forward_and_keeps_created_at(services: Services, clock: FakeClock) -> None:
    call = new_call(services, new_user(services).id)
    clock.advance(minutes=5)

    changed = services.update_call_status(call.id, CallStatus.COMPLETED)

    assert changed.status is CallStatus.COMPLETED
    assert changed.created_at == call.created_at
    assert changed.updated_at == START + timedelta(minutes=5)
    assert services.get_call(call.id) == changed


def test_the_same_status_again_writes_nothing(services: Services, clock: FakeClock) -> None:
    call = new_call(services, new_user(services).id)
    version = stored_version(services, "calls", call.id)
    clock.advance(minutes=5)

    again = services.update_call_status(call.id, CallStatus.SCHEDULED)

    assert again == call
    assert stored_version(services, "calls", call.id) == version


def test_updated_at_strictly_increases_with_a_frozen_clock(services: Services) -> None:
    call = new_call(services, new_user(services).id)
    stamps = [call.updated_at]
    for status in (CallStatus.COMPLETED, CallStatus.CANCELLED, CallStatus.SCHEDULED, CallStatus.RESCHEDULED):
        stamps.append(services.update_call_status(call.id, status).updated_at)

    assert all(earlier < later for earlier, later in itertools.pairwise(stamps))
    assert services.get_call(call.id).updated_at == stamps[-1]


def test_updated_at_moves_forward_even_when_the_clock_steps_back(services: Services, clock: FakeClock) -> None:
    task = new_task(services)
    clock.advance(hours=-1)

    changed = services.update_task_status(task.id, TaskStatus.IN_PROGRESS)

    assert changed.updated_at > task.updated_at
    assert changed.created_at == task.created_at


def test_status_change_of_an_unknown_call_raises_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match=r"^Call nope not found$"):
        services.update_call_status("nope", CallStatus.COMPLETED)


def test_reschedule_sets_the_time_the_duration_and_status_rescheduled(services: Services, clock: FakeClock) -> None:
    call = new_call(services, new_user(services).id, duration_minutes=45)
    later = CALL_AT + timedelta(days=2)
    clock.advance(minutes=1)

    moved = services.reschedule_call(call.id, CallReschedule(scheduled_for=later, duration_minutes=60))

    assert (moved.scheduled_for, moved.duration_minutes, moved.status) == (later, 60, CallStatus.RESCHEDULED)
    assert moved.updated_at == clock.now
    assert moved.created_at == call.created_at
    assert services.get_call(call.id) == moved


def test_reschedule_without_a_duration_keeps_the_duration(services: Services) -> None:
    call = new_call(services, new_user(services).id, duration_minutes=45)

    moved = services.reschedule_call(call.id, CallReschedule(scheduled_for=CALL_AT + timedelta(hours=1)))

    assert moved.duration_minutes == 45


def test_a_rescheduled_call_can_be_rescheduled_again(services: Services) -> None:
    call = new_call(services, new_user(services).id)
    services.reschedule_call(call.id, CallReschedule(scheduled_for=CALL_AT + timedelta(days=1)))

    moved = services.reschedule_call(call.id, CallReschedule(scheduled_for=CALL_AT + timedelta(days=2)))

    assert moved.scheduled_for == CALL_AT + timedelta(days=2)


@pytest.mark.parametrize("final", [CallStatus.CANCELLED, CallStatus.COMPLETED])
def test_reschedule_of_a_finished_call_raises_conflict_and_changes_nothing(
    services: Services, final: CallStatus
) -> None:
    call = services.update_call_status(new_call(services, new_user(services).id).id, final)
    version = stored_version(services, "calls", call.id)

    with pytest.raises(Conflict) as raised:
        services.reschedule_call(call.id, CallReschedule(scheduled_for=CALL_AT + timedelta(days=1)))

    assert call.id in raised.value.message and final.value in raised.value.message
    assert stored_version(services, "calls", call.id) == version


def test_reschedule_of_an_unknown_call_raises_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match=r"^Call nope not found$"):
        services.reschedule_call("nope", CallReschedule(scheduled_for=CALL_AT))


# Tasks


def test_create_task_for_an_unknown_user_raises_not_found_and_stores_nothing(services: Services) -> None:
    missing = str(uuid.uuid4())

    with pytest.raises(NotFound, match=f"^User {missing} not found$"):
        new_task(services, user_id=missing)

    assert services.list_tasks().items == []


def test_a_task_without_a_user_is_fine_and_starts_todo(services: Services, clock: FakeClock) -> None:
    task = new_task(services)

    assert (task.user_id, task.description, task.due_date) == (None, None, None)
    assert task.status is TaskStatus.TODO
    assert task.created_at == task.updated_at == clock.now
    assert services.get_task(task.id) == task


def test_a_task_for_an_existing_user_names_the_user(services: Services) -> None:
    user = new_user(services)

    assert new_task(services, user_id=user.id).user_id == user.id


def test_task_status_change_moves_updated_at_and_the_same_status_again_writes_nothing(
    services: Services, clock: FakeClock
) -> None:
    task = new_task(services)
    clock.advance(minutes=1)
    done = services.update_task_status(task.id, TaskStatus.DONE)
    version = stored_version(services, "tasks", task.id)
    clock.advance(minutes=1)

    again = services.update_task_status(task.id, TaskStatus.DONE)

    assert done.updated_at == START + timedelta(minutes=1)
    assert again == done
    assert stored_version(services, "tasks", task.id) == version


def test_update_task_changes_only_the_given_fields(services: Services, clock: FakeClock) -> None:
    due = START + timedelta(days=3)
    task = new_task(services, description="Custom deck", due_date=due)
    clock.advance(minutes=1)

    edited = services.update_task(task.id, TaskUpdate(title="New title"))

    assert edited.title == "New title"
    assert (edited.description, edited.due_date, edited.status) == ("Custom deck", due, TaskStatus.TODO)
    assert edited.updated_at == clock.now and edited.created_at == task.created_at
    assert services.get_task(task.id) == edited


def test_update_task_with_description_none_clears_it_and_keeps_the_rest(services: Services) -> None:
    due = START + timedelta(days=3)
    task = new_task(services, description="Custom deck", due_date=due)

    edited = services.update_task(task.id, TaskUpdate(description=None))

    assert (edited.title, edited.description, edited.due_date) == (task.title, None, due)
    assert services.get_task(task.id).description is None


def test_update_task_with_due_date_none_clears_it(services: Services) -> None:
    task = new_task(services, due_date=START + timedelta(days=3))

    assert services.update_task(task.id, TaskUpdate(due_date=None)).due_date is None


def test_update_task_with_title_none_raises_invalid_input_and_changes_nothing(services: Services) -> None:
    task = new_task(services)
    version = stored_version(services, "tasks", task.id)

    with pytest.raises(InvalidInput) as raised:
        services.update_task(task.id, TaskUpdate(title=None))

    assert raised.value.field == "title"
    assert stored_version(services, "tasks", task.id) == version


def test_an_empty_task_update_raises_invalid_input(services: Services) -> None:
    task = new_task(services)

    with pytest.raises(InvalidInput) as raised:
        services.update_task(task.id, TaskUpdate())

    assert raised.value.field == "body"


def test_an_update_to_the_values_a_task_already_has_writes_nothing(services: Services, clock: FakeClock) -> None:
    task = new_task(services, description="Custom deck")
    version = stored_version(services, "tasks", task.id)
    clock.advance(minutes=1)

    same = services.update_task(task.id, TaskUpdate(title=task.title, description="Custom deck"))

    assert same == task
    assert stored_version(services, "tasks", task.id) == version


def test_update_of_an_unknown_task_raises_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match=r"^Task nope not found$"):
        services.update_task("nope", TaskUpdate(title="x"))


# Filters


def test_list_calls_filters_by_user_and_by_status(services: Services) -> None:
    maria, jon = new_user(services).id, new_user(services, name="Jon").id
    first, second, other = new_call(services, maria), new_call(services, maria), new_call(services, jon)
    services.update_call_status(second.id, CallStatus.CANCELLED)

    assert {c.id for c in services.list_calls(CallFilter(user_id=maria)).items} == {first.id, second.id}
    assert [c.id for c in services.list_calls(CallFilter(user_id=jon)).items] == [other.id]
    assert [c.id for c in services.list_calls(CallFilter(status=CallStatus.CANCELLED)).items] == [second.id]
    assert [c.id for c in services.list_calls(CallFilter(user_id=jon, status=CallStatus.CANCELLED)).items] == []


def test_list_calls_time_window_includes_both_ends(services: Services) -> None:
    user = new_user(services).id
    hours = [new_call(services, user, scheduled_for=CALL_AT + timedelta(hours=h)) for h in range(5)]

    window = services.list_calls(
        CallFilter(scheduled_from=CALL_AT + timedelta(hours=1), scheduled_to=CALL_AT + timedelta(hours=3))
    )

    assert {c.id for c in window.items} == {c.id for c in hours[1:4]}


def test_list_calls_with_only_one_end_of_the_window(services: Services) -> None:
    user = new_user(services).id
    early = new_call(services, user, scheduled_for=CALL_AT)
    late = new_call(services, user, scheduled_for=CALL_AT + timedelta(days=1))

    assert [c.id for c in services.list_calls(CallFilter(scheduled_from=CALL_AT + timedelta(hours=1))).items] == [
        late.id
    ]
    assert [c.id for c in services.list_calls(CallFilter(scheduled_to=CALL_AT + timedelta(hours=1))).items] == [
        early.id
    ]


def test_list_calls_window_bounds_with_an_offset_or_naive_mean_the_same_instant(
    services: Services, local_time_is_not_utc: None
) -> None:
    call = new_call(services, new_user(services).id)  # 10:00Z
    plus_two = timezone(timedelta(hours=2))

    at_noon_plus_two = services.list_calls(
        CallFilter(
            scheduled_from=datetime(2025, 10, 25, 12, 0, tzinfo=plus_two),
            scheduled_to=datetime(2025, 10, 25, 12, 0, tzinfo=plus_two),
        )
    )
    naive = services.list_calls(CallFilter(scheduled_from=datetime(2025, 10, 25, 10, 0)))
    naive_after = services.list_calls(CallFilter(scheduled_from=datetime(2025, 10, 25, 10, 1)))

    assert [c.id for c in at_noon_plus_two.items] == [call.id]
    assert [c.id for c in naive.items] == [call.id]
    assert naive_after.items == []


def test_list_calls_with_from_after_to_raises_invalid_input(services: Services) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.list_calls(CallFilter(scheduled_from=CALL_AT + timedelta(seconds=1), scheduled_to=CALL_AT))

    assert raised.value.field == "scheduled_from"


def test_list_calls_with_from_equal_to_to_is_allowed(services: Services) -> None:
    call = new_call(services, new_user(services).id)

    assert [c.id for c in services.list_calls(CallFilter(scheduled_from=CALL_AT, scheduled_to=CALL_AT)).items] == [
        call.id
    ]


def test_list_tasks_filters_by_user_and_by_status(services: Services) -> None:
    user = new_user(services).id
    mine, unassigned = new_task(services, user_id=user), new_task(services)
    services.update_task_status(unassigned.id, TaskStatus.IN_PROGRESS)

    assert [t.id for t in services.list_tasks(TaskFilter(user_id=user)).items] == [mine.id]
    assert [t.id for t in services.list_tasks(TaskFilter(status=TaskStatus.IN_PROGRESS)).items] == [unassigned.id]
    assert [t.id for t in services.list_tasks(TaskFilter(status=TaskStatus.TODO)).items] == [mine.id]


def test_due_before_is_strict_and_leaves_out_tasks_without_a_due_date(services: Services) -> None:
    deadline = START + timedelta(days=2)
    before = new_task(services, due_date=deadline - timedelta(microseconds=1))
    new_task(services, due_date=deadline)
    new_task(services, due_date=deadline + timedelta(days=1))
    new_task(services)

    assert [t.id for t in services.list_tasks(TaskFilter(due_before=deadline)).items] == [before.id]


def test_due_before_with_an_offset_means_the_same_instant(services: Services) -> None:
    task = new_task(services, due_date=datetime(2025, 10, 26, 12, 0, tzinfo=UTC))
    minus_five = timezone(timedelta(hours=-5))

    # 07:00-05:00 is 12:00Z, so the task is not strictly before it; 07:01-05:00 is after.
    assert services.list_tasks(TaskFilter(due_before=datetime(2025, 10, 26, 7, 0, tzinfo=minus_five))).items == []
    just_after = datetime(2025, 10, 26, 7, 1, tzinfo=minus_five)
    assert [t.id for t in services.list_tasks(TaskFilter(due_before=just_after)).items] == [task.id]


# Pagination


def make_users(services: Services, clock: FakeClock, count: int) -> list[User]:
    users = []
    for i in range(count):
        users.append(new_user(services, name=f"User {i}"))
        clock.advance(seconds=1)
    return users


def all_pages(fetch: Callable[[str | None], Any], max_pages: int = 50) -> tuple[list[str], int]:
    """Follow next_cursor to the end; the ids in the order the pages gave them, and how many pages."""
    ids: list[str] = []
    cursor: str | None = None
    for pages in range(1, max_pages + 1):
        page = fetch(cursor)
        ids.extend(item.id for item in page.items)
        if page.next_cursor is None:
            return ids, pages
        cursor = page.next_cursor
    pytest.fail(f"still a next_cursor after {max_pages} pages: {ids[:10]}...")


def test_pages_return_every_user_exactly_once_oldest_first(services: Services, clock: FakeClock) -> None:
    users = make_users(services, clock, 5)

    first = services.list_users(limit=2)
    ids, pages = all_pages(lambda cursor: services.list_users(limit=2, cursor=cursor))

    assert len(first.items) == 2 and first.next_cursor is not None
    assert ids == [u.id for u in users]
    assert pages == 3


def test_pages_are_complete_when_every_entity_has_the_same_created_at(services: Services) -> None:
    users = [new_user(services, name=f"User {i}") for i in range(7)]  # the clock never moves

    ids, _ = all_pages(lambda cursor: services.list_users(limit=3, cursor=cursor))

    assert sorted(ids) == sorted(u.id for u in users)
    assert len(ids) == 7


def test_the_last_page_has_no_next_cursor(services: Services, clock: FakeClock) -> None:
    make_users(services, clock, 3)

    assert services.list_users(limit=3).next_cursor is None
    assert services.list_users(limit=10).next_cursor is None
    assert services.list_users().next_cursor is None
    assert len(services.list_users().items) == 3


def test_an_entity_created_after_a_page_was_read_appears_on_a_later_page(services: Services, clock: FakeClock) -> None:
    make_users(services, clock, 3)
    first = services.list_users(limit=2)
    newcomer = new_user(services, name="Late arrival")

    rest = services.list_users(limit=10, cursor=first.next_cursor)

    assert [u.id for u in rest.items][-1] == newcomer.id
    assert len(rest.items) == 2


def test_calls_and_tasks_page_the_same_way(services: Services, clock: FakeClock) -> None:
    user = new_user(services).id
    calls, tasks = [], []
    for _ in range(3):
        calls.append(new_call(services, user).id)
        tasks.append(new_task(services).id)
        clock.advance(seconds=1)

    call_ids, _ = all_pages(lambda cursor: services.list_calls(limit=2, cursor=cursor))
    task_ids, _ = all_pages(lambda cursor: services.list_tasks(limit=1, cursor=cursor))

    assert (call_ids, task_ids) == (calls, tasks)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not a cursor!", id="not-base64"),
        pytest.param("é", id="not-ascii"),
        pytest.param(b64("[1, 2, 3]"), id="wrong-shape"),
        pytest.param(b64('["users", "yesterday", "id"]'), id="not-a-date"),
        pytest.param(b64('{"a": 1}'), id="object"),
        pytest.param(b64("null"), id="null"),
        pytest.param(b64("[" * 5000), id="deeply-nested"),
    ],
)
def test_a_bad_cursor_raises_invalid_input(services: Services, cursor: str) -> None:
    new_user(services)

    with pytest.raises(InvalidInput) as raised:
        services.list_users(limit=1, cursor=cursor)

    assert raised.value.field == "cursor"


def test_a_cursor_of_one_list_is_refused_by_another(services: Services, clock: FakeClock) -> None:
    make_users(services, clock, 2)
    users_cursor = services.list_users(limit=1).next_cursor
    assert users_cursor is not None

    with pytest.raises(InvalidInput) as raised:
        services.list_tasks(limit=1, cursor=users_cursor)

    assert raised.value.field == "cursor"
    assert "users" in raised.value.message


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_raises_invalid_input(services: Services, limit: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.list_tasks(limit=limit)

    assert raised.value.field == "limit"


# Find


@pytest.mark.parametrize(
    "query",
    ["maria garcia", "MARÍA", "garcía", "maria@test-azollon", "test azollon", "azollon maria", "  maria  "],
)
def test_find_matches_name_email_and_company_ignoring_case_and_accents(services: Services, query: str) -> None:
    maria = new_user(services)
    new_user(services, name="Jon Smith", email="jon@acme.example", company="Acme")

    assert [u.id for u in services.list_users(UserQuery(query=query)).items] == [maria.id]


def test_find_needs_every_word_to_match(services: Services) -> None:
    new_user(services)

    assert services.list_users(UserQuery(query="maria acme")).items == []


def test_a_blank_query_finds_everyone(services: Services) -> None:
    new_user(services)
    new_user(services, name="Jon Smith")

    assert len(services.list_users(UserQuery(query="   ")).items) == 2


# Datetimes


def test_a_datetime_with_an_offset_keeps_its_instant_and_is_stored_as_utc(services: Services) -> None:
    user = new_user(services).id

    call = new_call(services, user, scheduled_for="2025-10-25T12:00:00+02:00")

    assert call.scheduled_for == CALL_AT
    assert call.scheduled_for.utcoffset() == timedelta(0)
    stored = services.get_call(call.id).scheduled_for
    assert stored == CALL_AT and stored.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_read_as_utc(services: Services, local_time_is_not_utc: None) -> None:
    task = new_task(services, due_date="2025-10-26T12:00:00")

    assert task.due_date == datetime(2025, 10, 26, 12, 0, tzinfo=UTC)
    assert services.get_task(task.id).due_date == datetime(2025, 10, 26, 12, 0, tzinfo=UTC)


def test_a_naive_clock_is_read_as_utc(local_storage: LocalStorage, local_time_is_not_utc: None) -> None:
    services = Services(local_storage, clock=lambda: datetime(2025, 10, 24, 10, 30))

    assert new_user(services).created_at == START


def test_a_filter_bound_past_year_9999_in_utc_is_refused_by_the_filter_models() -> None:
    last_minute_west_of_utc = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1)))

    with pytest.raises(ValidationError) as raised:
        TaskFilter(due_before=last_minute_west_of_utc)
    assert raised.value.errors()[0]["loc"] == ("due_before",)
    with pytest.raises(ValidationError) as raised:
        CallFilter(scheduled_to=last_minute_west_of_utc)
    assert raised.value.errors()[0]["loc"] == ("scheduled_to",)


def test_a_date_past_year_9999_in_utc_is_refused_by_the_models() -> None:
    with pytest.raises(ValidationError) as raised:
        TaskCreate.model_validate({"title": "Far future", "due_date": "9999-12-31T23:59:00-01:00"})

    assert [tuple(error["loc"]) for error in raised.value.errors()] == [("due_date",)]


# Overview


def test_user_overview_has_the_users_calls_and_tasks_only(services: Services) -> None:
    maria, jon = new_user(services), new_user(services, name="Jon Smith")
    calls = [new_call(services, maria.id).id, new_call(services, maria.id).id]
    task = new_task(services, user_id=maria.id).id
    new_call(services, jon.id)
    new_task(services, user_id=jon.id)
    new_task(services)

    overview = services.user_overview(maria.id)

    assert overview.user == maria
    assert sorted(c.id for c in overview.calls) == sorted(calls)
    assert [t.id for t in overview.tasks] == [task]


def test_user_overview_of_an_unknown_user_raises_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match=r"^User nope not found$"):
        services.user_overview("nope")


# The create models refuse what the spec's Data Models section does not allow

USER = {"name": "María García", "email": "maria@test-azollon.com", "company": "Test Azollon"}
CALL = {"user_id": "0b7d3c4e-1f2a-4b5c-8d9e-0f1a2b3c4d5e", "title": "Call", "scheduled_for": "2025-10-25T10:00Z"}
TASK = {"title": "Prepare onboarding materials"}


@pytest.mark.parametrize(
    ("model", "base", "field", "value"),
    [
        pytest.param(UserCreate, USER, "name", "x" * 100, id="name-100"),
        pytest.param(UserCreate, USER, "name", "x", id="name-1"),
        pytest.param(UserCreate, USER, "company", "x" * 100, id="company-100"),
        pytest.param(UserCreate, USER, "notes", "x" * 500, id="notes-500"),
        pytest.param(UserCreate, USER, "notes", "", id="notes-empty"),
        pytest.param(UserCreate, USER, "user_type", "prospect", id="user-type-prospect"),
        pytest.param(CallCreate, CALL, "title", "x" * 200, id="call-title-200"),
        pytest.param(CallCreate, CALL, "duration_minutes", 15, id="duration-15"),
        pytest.param(CallCreate, CALL, "duration_minutes", 240, id="duration-240"),
        pytest.param(CallCreate, CALL, "notes", "x" * 500, id="call-notes-500"),
        pytest.param(TaskCreate, TASK, "title", "x" * 200, id="task-title-200"),
        pytest.param(TaskCreate, TASK, "description", "x" * 1000, id="description-1000"),
    ],
)
def test_the_create_models_accept_values_at_the_limits(
    model: type[UserCreate | CallCreate | TaskCreate], base: dict[str, Any], field: str, value: Any
) -> None:
    created = model.model_validate({**base, field: value})

    assert getattr(created, field) == value


@pytest.mark.parametrize(
    ("model", "base", "field", "value"),
    [
        pytest.param(UserCreate, USER, "name", "", id="name-empty"),
        pytest.param(UserCreate, USER, "name", "   ", id="name-blank"),
        pytest.param(UserCreate, USER, "name", "x" * 101, id="name-101"),
        pytest.param(UserCreate, USER, "company", "", id="company-empty"),
        pytest.param(UserCreate, USER, "company", "x" * 101, id="company-101"),
        pytest.param(UserCreate, USER, "notes", "x" * 501, id="notes-501"),
        pytest.param(UserCreate, USER, "email", "not-an-email", id="email-no-at"),
        pytest.param(UserCreate, USER, "email", "maria@", id="email-no-domain"),
        pytest.param(UserCreate, USER, "user_type", "vip", id="user-type-unknown"),
        pytest.param(UserCreate, USER, "nmae", "typo", id="user-unknown-field"),
        pytest.param(CallCreate, CALL, "title", "", id="call-title-empty"),
        pytest.param(CallCreate, CALL, "title", "x" * 201, id="call-title-201"),
        pytest.param(CallCreate, CALL, "duration_minutes", 14, id="duration-14"),
        pytest.param(CallCreate, CALL, "duration_minutes", 241, id="duration-241"),
        pytest.param(CallCreate, CALL, "notes", "x" * 501, id="call-notes-501"),
        pytest.param(CallCreate, CALL, "user_id", "../etc/passwd", id="call-user-id-path"),
        pytest.param(CallCreate, CALL, "scheduled_for", "next tuesday", id="call-not-a-date"),
        pytest.param(CallCreate, CALL, "status", "completed", id="call-status-not-settable"),
        pytest.param(TaskCreate, TASK, "title", "", id="task-title-empty"),
        pytest.param(TaskCreate, TASK, "title", "x" * 201, id="task-title-201"),
        pytest.param(TaskCreate, TASK, "description", "x" * 1001, id="description-1001"),
        pytest.param(TaskCreate, TASK, "user_id", "a/b", id="task-user-id-path"),
        pytest.param(TaskCreate, TASK, "titel", "typo", id="task-unknown-field"),
        pytest.param(TaskUpdate, {}, "status", "done", id="task-update-unknown-field"),
        pytest.param(CallReschedule, {"scheduled_for": CALL_AT}, "duration_minutes", 10, id="reschedule-10"),
    ],
)
def test_the_create_models_refuse_values_outside_the_limits(
    model: type[Any], base: dict[str, Any], field: str, value: Any
) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate({**base, field: value})

    assert [tuple(error["loc"]) for error in raised.value.errors()] == [(field,)]


@pytest.mark.parametrize(
    ("model", "base", "field"),
    [
        pytest.param(UserCreate, USER, "email", id="user-email"),
        pytest.param(UserCreate, USER, "company", id="user-company"),
        pytest.param(CallCreate, CALL, "user_id", id="call-user-id"),
        pytest.param(CallCreate, CALL, "scheduled_for", id="call-scheduled-for"),
        pytest.param(TaskCreate, TASK, "title", id="task-title"),
    ],
)
def test_a_missing_required_field_is_refused(model: type[Any], base: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate({k: v for k, v in base.items() if k != field})

    assert [tuple(error["loc"]) for error in raised.value.errors()] == [(field,)]


def test_surrounding_whitespace_is_stripped(services: Services) -> None:
    user = new_user(services, name="  María García  ", company=" Test Azollon ")

    assert (user.name, user.company) == ("María García", "Test Azollon")


# The same rules over every backend, where the storage round trip is part of the rule.


@pytest.fixture
def any_services(storage: Storage, clock: FakeClock) -> Services:
    return Services(storage, clock=clock)


def test_entities_read_back_equal_on_every_backend(any_services: Services) -> None:
    user = new_user(any_services, notes="Ñandú ✓")
    call = new_call(any_services, user.id, scheduled_for="2025-10-25T12:00:00+02:00")
    task = new_task(any_services, user_id=user.id, due_date="2025-10-26T12:00:00Z", description="Deck")

    assert any_services.get_user(user.id) == user
    assert any_services.get_call(call.id) == call
    assert any_services.get_task(task.id) == task
    assert any_services.user_overview(user.id).model_dump() == {
        "user": user.model_dump(),
        "calls": [call.model_dump()],
        "tasks": [task.model_dump()],
    }


def test_a_status_change_is_written_once_and_repeating_it_writes_nothing_on_every_backend(
    any_services: Services, clock: FakeClock
) -> None:
    call = new_call(any_services, new_user(any_services).id)
    clock.advance(minutes=1)
    done = any_services.update_call_status(call.id, CallStatus.COMPLETED)
    version = stored_version(any_services, "calls", call.id)

    again = any_services.update_call_status(call.id, CallStatus.COMPLETED)

    assert any_services.get_call(call.id) == done == again
    assert stored_version(any_services, "calls", call.id) == version


def test_pages_return_every_task_exactly_once_on_every_backend(any_services: Services, clock: FakeClock) -> None:
    tasks = []
    for i in range(5):
        tasks.append(new_task(any_services, title=f"Task {i}").id)
        clock.advance(seconds=1)

    ids, pages = all_pages(lambda cursor: any_services.list_tasks(limit=2, cursor=cursor))

    assert (ids, pages) == (tasks, 3)


def test_unknown_ids_raise_not_found_on_every_backend(any_services: Services) -> None:
    with pytest.raises(NotFound):
        new_call(any_services, "no-such-user")
    with pytest.raises(NotFound):
        any_services.update_task_status("no-such-task", TaskStatus.DONE)
