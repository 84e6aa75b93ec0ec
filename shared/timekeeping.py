"""Time zones: the configured zone, how a date-time without an offset is read in it, and what "now" is there."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from shared.context import input_zone


def load_zone(name: str) -> tzinfo:
    """The IANA zone of that name (Europe/Madrid, America/New_York, UTC); ValueError naming it otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError: not a zone key at all (an absolute path, "..", an empty string).
        raise ValueError(
            f"{name!r} is not an IANA time zone name; use one such as UTC, Europe/Madrid or America/New_York"
        ) from None


def zone_name(zone: tzinfo) -> str:
    """Europe/Madrid for ZoneInfo("Europe/Madrid"), UTC for datetime.UTC."""
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else str(zone)


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59-01:00 is a valid input whose UTC instant is past the year 9999.
        raise ValueError("date-time is out of range once converted to UTC (years 1 to 9999)") from None


def read_in_zone(value: datetime, zone: tzinfo) -> datetime:
    """A date-time as its UTC instant: one with an offset keeps its instant; one without is wall-clock time in
    `zone`.

    Daylight saving time, for a zone that has it:
    - a wall-clock time the clocks skip (spring forward: 02:30 on the last Sunday of March in Europe/Madrid)
      does not exist, and is refused with a ValueError naming the zone rather than shifted by an hour;
    - a wall-clock time that happens twice (fall back: 02:30 on the last Sunday of October) is the first
      occurrence, still on summer time. Give an offset to mean the other one.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        return _to_utc(value)
    wall = value.replace(tzinfo=None, fold=0)
    instant = _to_utc(wall.replace(tzinfo=zone))  # fold=0: the first occurrence of an ambiguous time
    try:
        back = instant.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        back = wall  # at the very ends of the calendar; no zone has a transition there
    if back != wall:
        raise ValueError(
            f"{wall.isoformat()} does not exist in {zone_name(zone)}: the clocks skip that time when daylight "
            "saving time starts. Give a time with an offset, or another time"
        )
    return instant


def read_input_datetime(value: datetime) -> datetime:
    """A date-time given by a caller: without an offset it is read in the request's zone (TASK_API_TIMEZONE)."""
    return read_in_zone(value, input_zone())


def week_start(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


class CurrentTime(BaseModel):
    """Now, in UTC and in the configured zone (the zone of date-times given without an offset)."""

    utc: datetime
    time_zone: str
    local: datetime
    weekday: str
    today: date
    week_start: date
    next_week_start: date


def current_time(now: datetime, zone: tzinfo) -> CurrentTime:
    local = now.astimezone(zone)
    monday = week_start(local.date())
    return CurrentTime(
        utc=now.astimezone(UTC),
        time_zone=zone_name(zone),
        local=local,
        weekday=f"{local:%A}",
        today=local.date(),
        week_start=monday,
        next_week_start=monday + timedelta(days=7),
    )


def describe_now(now: datetime, zone: tzinfo) -> str:
    """One sentence for a model: the local date, weekday and time, the zone, and the UTC instant."""
    local = now.astimezone(zone)
    utc = now.astimezone(UTC)
    return (
        f"It is {local:%A %d %B %Y, %H:%M} in {zone_name(zone)} ({utc:%Y-%m-%dT%H:%M:%SZ}); "
        f"this week began on Monday {week_start(local.date()):%d %B}."
    )
