"""TASK_API_TIMEZONE: how a date-time without an offset is read, daylight saving time, and what "now" is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from shared.context import acting, input_zone
from shared.models import CallCreate, CallFilter, CallReschedule, TaskCreate, UserCreate
from shared.services import Services
from shared.settings import Settings, settings_from_env
from shared.storage import LocalStorage
from shared.timekeeping import current_time, describe_now, read_in_zone
from tests.clocks import FakeClock

MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wall", "instant"),
    [
        (datetime(2025, 10, 24, 12, 0), utc(2025, 10, 24, 10, 0)),  # summer time, +02:00
        (datetime(2025, 12, 1, 12, 0), utc(2025, 12, 1, 11, 0)),  # winter time, +01:00
    ],
)
def test_a_naive_time_is_wall_clock_time_in_the_zone(wall: datetime, instant: datetime) -> None:
    assert read_in_zone(wall, MADRID) == instant
    assert read_in_zone(wall, MADRID).tzinfo is UTC


def test_a_time_with_an_offset_keeps_its_instant_whatever_the_zone() -> None:
    given = datetime(2025, 10, 24, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert read_in_zone(given, MADRID) == utc(2025, 10, 24, 17, 0)
    assert read_in_zone(given, TOKYO) == utc(2025, 10, 24, 17, 0)


def test_a_time_the_clocks_skip_is_refused_naming_the_zone() -> None:
    # Madrid springs forward at 02:00 on 30 March 2025: 02:00-02:59 never happen there.
    with pytest.raises(ValueError, match=r"2025-03-30T02:30:00 does not exist in Europe/Madrid"):
        read_in_zone(datetime(2025, 3, 30, 2, 30), MADRID)
    assert read_in_zone(datetime(2025, 3, 30, 1, 59), MADRID) == utc(2025, 3, 30, 0, 59)
    assert read_in_zone(datetime(2025, 3, 30, 3, 0), MADRID) == utc(2025, 3, 30, 1, 0)


def test_a_time_that_happens_twice_is_its_first_occurrence() -> None:
    # Madrid falls back at 03:00 on 26 October 2025: 02:30 happens at 00:30Z (summer) and again at 01:30Z.
    assert read_in_zone(datetime(2025, 10, 26, 2, 30), MADRID) == utc(2025, 10, 26, 0, 30)
    second = datetime(2025, 10, 26, 2, 30, tzinfo=timezone(timedelta(hours=1)))
    assert read_in_zone(second, MADRID) == utc(2025, 10, 26, 1, 30)  # the second one, asked for by its offset


def test_a_naive_time_past_the_calendar_once_in_utc_is_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        read_in_zone(datetime(1, 1, 1, 3, 0), TOKYO)  # 0000-12-31T18:00Z


def test_input_models_read_naive_times_in_the_zone_of_the_request() -> None:
    naive = {"user_id": "u1", "title": "Call", "scheduled_for": "2025-10-24T12:00:00"}
    assert CallCreate.model_validate(naive).scheduled_for == utc(2025, 10, 24, 12, 0)  # outside a request: UTC
    with acting(zone=MADRID):
        assert CallCreate.model_validate(naive).scheduled_for == utc(2025, 10, 24, 10, 0)
        moved = CallReschedule.model_validate({"scheduled_for": "2025-10-24T12:00:00"})
        assert moved.scheduled_for == utc(2025, 10, 24, 10, 0)
        task = TaskCreate.model_validate({"title": "T", "due_date": "2025-12-01T12:00"})
        assert task.due_date == utc(2025, 12, 1, 11, 0)
        window = CallFilter.model_validate(
            {"scheduled_from": "2025-10-24T00:00:00", "scheduled_to": "2025-10-25T00:00"}
        )
        assert window.scheduled_from == utc(2025, 10, 23, 22, 0)
        with_offset = CallCreate.model_validate(naive | {"scheduled_for": "2025-10-24T12:00:00Z"})
        assert with_offset.scheduled_for == utc(2025, 10, 24, 12, 0)
    assert input_zone() is UTC


def test_input_models_refuse_a_skipped_time_as_a_validation_error_on_the_field() -> None:
    with acting(zone=MADRID), pytest.raises(ValidationError) as refused:
        CallCreate.model_validate({"user_id": "u1", "title": "Call", "scheduled_for": "2025-03-30T02:15:00"})
    [error] = refused.value.errors()
    assert error["loc"] == ("scheduled_for",)
    assert "does not exist in Europe/Madrid" in error["msg"]


def test_stored_entities_read_back_at_the_same_instant_in_any_zone(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, "bucket")
    storage.ensure_ready()
    with acting(zone=MADRID):
        services = Services(storage, clock=FakeClock())
        user = services.create_user(UserCreate(name="Ana", email="ana@example.com", company="Acme"))
        call = services.schedule_call(
            CallCreate.model_validate({"user_id": user.id, "title": "Call", "scheduled_for": "2025-10-24T12:00:00"})
        )
    assert call.scheduled_for == utc(2025, 10, 24, 10, 0)
    with acting(zone=TOKYO):
        fresh = Services(storage, clock=FakeClock())  # no cache: read from the stored JSON
        assert fresh.get_call(call.id).scheduled_for == utc(2025, 10, 24, 10, 0)
        assert fresh.list_calls().items[0].created_at == call.created_at
    assert '"scheduled_for":"2025-10-24T10:00:00Z"' in (storage.root / "calls" / f"{call.id}.json").read_text()


def test_the_setting_names_an_iana_zone_defaulting_to_utc() -> None:
    assert Settings().zone == ZoneInfo("UTC")
    assert Settings(TASK_API_TIMEZONE="Europe/Madrid").zone == MADRID
    assert Settings(TASK_API_TIMEZONE=" ").timezone == "UTC"  # set but empty, as a Compose file may pass it


@pytest.mark.parametrize("bad", ["Europe/Madird", "CEST", "../../etc/passwd", "/etc/localtime"])
def test_an_unknown_zone_ends_the_start_with_one_readable_line(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here
    monkeypatch.setenv("TASK_API_TIMEZONE", bad)
    with pytest.raises(SystemExit) as stopped:
        settings_from_env("task-api")
    message = str(stopped.value)
    assert "TASK_API_TIMEZONE" in message
    assert f"{bad!r} is not an IANA time zone name" in message
    assert "Europe/Madrid" in message  # an example of a valid one


def test_current_time_gives_the_instant_and_the_local_day_week_and_weekday() -> None:
    now = utc(2025, 10, 26, 20, 0)  # Sunday evening in UTC and New York; already Monday in Tokyo
    tokyo = current_time(now, TOKYO)
    assert tokyo.utc == now
    assert tokyo.time_zone == "Asia/Tokyo"
    assert tokyo.local.isoformat() == "2025-10-27T05:00:00+09:00"
    assert (tokyo.weekday, str(tokyo.today), str(tokyo.week_start), str(tokyo.next_week_start)) == (
        "Monday",
        "2025-10-27",
        "2025-10-27",
        "2025-11-03",
    )
    new_york = current_time(now, NEW_YORK)
    assert new_york.local.isoformat() == "2025-10-26T16:00:00-04:00"
    assert (new_york.weekday, str(new_york.week_start)) == ("Sunday", "2025-10-20")


def test_describe_now_reads_as_a_sentence() -> None:
    assert describe_now(utc(2025, 10, 24, 10, 30), MADRID) == (
        "It is Friday 24 October 2025, 12:30 in Europe/Madrid (2025-10-24T10:30:00Z); "
        "this week began on Monday 20 October."
    )
