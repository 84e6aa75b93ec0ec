"""A user's briefing: the user, next calls, open tasks, counts by status, and how many more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import NotFound
from shared.models import (
    BRIEFING_CALLS,
    BRIEFING_TASKS,
    CallCreate,
    CallStatus,
    TaskCreate,
    TaskStatus,
    User,
    UserCreate,
)
from shared.services import Services
from shared.storage import LocalStorage
from tests.clocks import FakeClock

NOW = datetime(2025, 10, 24, 10, 30, tzinfo=UTC)


@pytest.fixture
def services(local_storage: LocalStorage) -> Services:
    return Services(local_storage, clock=FakeClock(NOW))


@pytest.fixture
def user(services: Services) -> User:
    return services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme", notes="VIP"))


def call_at(services: Services, user: User, start: datetime, title: str, minutes: int = 30) -> str:
    data = CallCreate(user_id=user.id, title=title, scheduled_for=start, duration_minutes=minutes)
    return services.schedule_call(data).id


def test_the_briefing_lists_calls_not_yet_over_and_open_tasks_soonest_first(services: Services, user: User) -> None:
    other = services.create_user(UserCreate(name="Bob", email="bob@example.com", company="Acme"))
    call_at(services, other, NOW + timedelta(hours=1), "Bob's call")
    call_at(services, user, NOW + timedelta(days=2), "Later")
    call_at(services, user, NOW - timedelta(days=1), "Yesterday, never marked")
    call_at(services, user, NOW - timedelta(minutes=15), "Under way", 30)
    call_at(services, user, NOW - timedelta(minutes=30), "Just over", 30)
    services.update_call_status(call_at(services, user, NOW + timedelta(hours=2), "Cancelled"), CallStatus.CANCELLED)
    call_at(services, user, NOW + timedelta(hours=3), "Soon")
    for title, due, status in [
        ("No due date", None, TaskStatus.TODO),
        ("Due Friday", NOW + timedelta(days=7), TaskStatus.IN_PROGRESS),
        ("Overdue", NOW - timedelta(days=1), TaskStatus.TODO),
        ("Done", NOW, TaskStatus.DONE),
        ("Dropped", NOW, TaskStatus.CANCELLED),
    ]:
        task = services.create_task(TaskCreate(title=title, user_id=user.id, due_date=due))
        services.update_task_status(task.id, status)
    services.create_task(TaskCreate(title="Bob's task", user_id=other.id))

    briefing = services.user_briefing(user.id)

    assert briefing.user.model_dump() == {
        "id": user.id,
        "name": "Ana",
        "email": "ana@example.com",
        "company": "Acme",
        "user_type": "client",
    }
    assert [c.title for c in briefing.upcoming_calls] == ["Under way", "Soon", "Later"]
    assert [t.title for t in briefing.open_tasks] == ["Overdue", "Due Friday", "No due date"]
    assert (briefing.more_upcoming_calls, briefing.more_open_tasks) == (0, 0)
    assert briefing.calls_by_status == {"scheduled": 5, "completed": 0, "cancelled": 1, "rescheduled": 0}
    assert briefing.tasks_by_status == {"todo": 2, "in_progress": 1, "done": 1, "cancelled": 1}


def test_the_briefing_lists_at_most_5_calls_and_10_tasks_and_says_how_many_more(services: Services, user: User) -> None:
    for hours in range(8, 0, -1):
        call_at(services, user, NOW + timedelta(hours=hours), f"In {hours} h")
    for days in range(13, 0, -1):
        services.create_task(TaskCreate(title=f"In {days} d", user_id=user.id, due_date=NOW + timedelta(days=days)))

    briefing = services.user_briefing(user.id)

    assert (BRIEFING_CALLS, BRIEFING_TASKS) == (5, 10)
    assert [c.title for c in briefing.upcoming_calls] == [f"In {h} h" for h in range(1, 6)]
    assert briefing.more_upcoming_calls == 3
    assert [t.title for t in briefing.open_tasks] == [f"In {d} d" for d in range(1, 11)]
    assert briefing.more_open_tasks == 3
    assert briefing.calls_by_status["scheduled"] == 8
    assert briefing.tasks_by_status["todo"] == 13


def test_the_briefing_of_an_unknown_user_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match="User nobody not found"):
        services.user_briefing("nobody")
