"""Conflict-aware scheduling: which calls clash, the free slots offered, and the check in the services."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.errors import CallOverlap, Conflict
from shared.models import CallCreate, CallReschedule, CallStatus, ScheduledCall, User, UserCreate
from shared.scheduling import SLOT_HORIZON, free_slots, overlapping_calls
from shared.services import Services
from shared.storage import LocalStorage
from tests.clocks import FakeClock

NOW = datetime(2025, 10, 24, 10, 30, tzinfo=UTC)
MONDAY_10 = datetime(2025, 10, 27, 10, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, *, day: datetime = MONDAY_10) -> datetime:
    return day.replace(hour=hour, minute=minute)


def call(
    start: datetime, minutes: int = 30, status: CallStatus = CallStatus.SCHEDULED, id: str = "c1"
) -> ScheduledCall:
    return ScheduledCall(
        id=id,
        user_id="u1",
        title="Call",
        scheduled_for=start,
        duration_minutes=minutes,
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


# The rule


@pytest.mark.parametrize(
    ("start", "minutes", "clash"),
    [
        (at(10), 60, True),  # the same time
        (at(9, 45), 30, True),  # ends inside it
        (at(10, 30), 15, True),  # inside it
        (at(10, 59), 15, True),  # starts inside it
        (at(9), 180, True),  # around it
        (at(9), 60, False),  # ends as it starts
        (at(11), 30, False),  # starts as it ends
    ],
)
def test_a_call_clashes_when_the_intervals_intersect_and_touching_is_no_clash(
    start: datetime, minutes: int, clash: bool
) -> None:
    busy = call(at(10), 60)
    assert (overlapping_calls(start, minutes, [busy]) == [busy]) is clash


@pytest.mark.parametrize("status", [CallStatus.COMPLETED, CallStatus.CANCELLED])
def test_completed_and_cancelled_calls_never_block(status: CallStatus) -> None:
    assert overlapping_calls(at(10), 60, [call(at(10), 60, status)]) == []
    assert free_slots(at(10), 60, [call(at(10), 60, status)], now=NOW)[0] == at(10)


def test_a_rescheduled_call_blocks_and_a_call_never_clashes_with_itself() -> None:
    moved = call(at(10), 60, CallStatus.RESCHEDULED, id="moved")
    assert overlapping_calls(at(10, 30), 30, [moved]) == [moved]
    assert overlapping_calls(at(10, 30), 30, [moved], ignore="moved") == []


def test_the_clashes_come_soonest_first() -> None:
    later, earlier = call(at(10, 30), id="later"), call(at(9, 45), id="earlier")
    assert [c.id for c in overlapping_calls(at(10), 60, [later, earlier])] == ["earlier", "later"]


# Free slots


def assert_free(slots: list[datetime], minutes: int, calls: list[ScheduledCall]) -> None:
    for slot in slots:
        assert overlapping_calls(slot, minutes, calls) == [], slot


def test_free_slots_are_the_nearest_free_starts_of_the_same_length() -> None:
    calls = [call(at(10), 60, id="a"), call(at(11, 15), 30, id="b")]
    slots = free_slots(at(10, 30), 30, calls, now=NOW)
    # 10:45, 11:00 (ends after b starts at 11:15), 11:15 and 11:30 clash; 09:30 ends as a starts. On a tie in
    # distance (09:15 and 11:45, both 75 minutes away) the earlier comes first.
    assert slots == [at(9, 30), at(9, 15), at(11, 45)]
    assert_free(slots, 30, calls)


def test_a_gap_just_long_enough_between_two_calls_is_offered() -> None:
    calls = [call(at(9), 60, id="a"), call(at(10, 40), 60, id="b")]
    # Only 10:00-10:40 is free between them: a 40-minute call fits exactly, right after a.
    assert free_slots(at(9, 30), 40, calls, now=NOW)[0] == at(10)


def test_free_slots_are_never_in_the_past() -> None:
    now = at(10, 20)
    slots = free_slots(at(10), 30, [call(at(10), 30)], now=now)
    assert slots == [at(10, 30), at(10, 45), at(11)]
    assert all(slot >= now for slot in slots)


def test_free_slots_stay_within_the_horizon_and_may_be_none() -> None:
    # Busy around the clock for a week: nothing free within SLOT_HORIZON either way.
    week = [call(at(0) + timedelta(hours=4 * i), 240, id=f"c{i}") for i in range(-30, 30)]
    assert free_slots(at(10), 30, week, now=NOW) == []
    assert timedelta(days=3) == SLOT_HORIZON


def test_free_slots_at_the_end_of_the_calendar_do_not_overflow() -> None:
    end = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    slots = free_slots(end, 30, [call(end, 30)], now=NOW)
    assert slots[0] == datetime(9999, 12, 31, 22, 30, tzinfo=UTC)


# In the services


@pytest.fixture
def services(local_storage: LocalStorage) -> Services:
    return Services(local_storage, clock=FakeClock(NOW))


@pytest.fixture
def user(services: Services) -> User:
    return services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))


def book(services: Services, user: User, start: datetime, minutes: int = 30, **options: Any) -> ScheduledCall:
    data = CallCreate(user_id=user.id, title=f"Call at {start:%H:%M}", scheduled_for=start, duration_minutes=minutes)
    return services.schedule_call(data, **options)


def test_the_services_book_an_overlap_unless_asked_to_check(services: Services, user: User) -> None:
    first = book(services, user, at(10), 60)
    second = book(services, user, at(10, 30))  # the spec's behaviour: booked
    assert services.overlapping_calls(second) == [first]

    with pytest.raises(CallOverlap) as refused:
        book(services, user, at(10, 45), 30, allow_overlap=False)
    assert refused.value.overlapping == [first, second]
    assert refused.value.free_slots == [at(11), at(11, 15), at(11, 30)]
    assert isinstance(refused.value, Conflict)  # adapters that know only Conflict still answer 409
    assert "Free slots of 30 min: 2025-10-27T11:00:00Z, 2025-10-27T11:15:00Z, 2025-10-27T11:30:00Z" in (
        refused.value.message
    )
    assert len(services.list_calls().items) == 2


def test_a_reschedule_is_checked_against_the_others_but_not_itself(services: Services, user: User) -> None:
    busy = book(services, user, at(10), 60)
    moving = book(services, user, at(14))

    with pytest.raises(CallOverlap) as refused:
        services.reschedule_call(moving.id, CallReschedule(scheduled_for=at(10, 30)), allow_overlap=False)
    assert refused.value.overlapping == [busy]
    assert services.get_call(moving.id).scheduled_for == at(14)

    later = services.reschedule_call(moving.id, CallReschedule(scheduled_for=at(14, 15)), allow_overlap=False)
    assert later.scheduled_for == at(14, 15)
    # A longer call now reaching into the busy one is checked with its new length.
    with pytest.raises(CallOverlap):
        services.reschedule_call(
            moving.id, CallReschedule(scheduled_for=at(9), duration_minutes=90), allow_overlap=False
        )


def test_a_cancelled_call_cannot_be_moved_whatever_it_would_overlap(services: Services, user: User) -> None:
    book(services, user, at(10), 60)
    cancelled = book(services, user, at(14))
    services.update_call_status(cancelled.id, CallStatus.CANCELLED)
    with pytest.raises(Conflict) as refused:
        services.reschedule_call(cancelled.id, CallReschedule(scheduled_for=at(10)), allow_overlap=False)
    assert not isinstance(refused.value, CallOverlap)
    assert "is cancelled" in refused.value.message


def test_two_checked_bookings_of_one_slot_in_one_process_book_one(
    services: Services, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each booking, once it has listed the user's calls, waits for the other to have listed too (or 1 s).
    # Without the per-user lock both would list an empty calendar and both would book.
    listed = threading.Barrier(2)
    original: Callable[..., Any] = services.list_calls

    def list_then_wait(*args: Any, **kwargs: Any) -> Any:
        page = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            listed.wait(timeout=1)
        return page

    monkeypatch.setattr(services, "list_calls", list_then_wait)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            book(services, user, at(10), allow_overlap=False)
            outcomes.append("booked")
        except CallOverlap:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "refused"]
    assert len(original().items) == 1
