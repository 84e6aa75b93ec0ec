"""When two calls of a user clash, and the free times of the same length nearest to a requested one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from shared.models import CallStatus, ScheduledCall

# Only calls still to happen block a time; a completed or cancelled call frees it.
BLOCKING = frozenset({CallStatus.SCHEDULED, CallStatus.RESCHEDULED})

FREE_SLOTS = 3
SLOT_STEP = timedelta(minutes=15)
SLOT_HORIZON = timedelta(days=3)


_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _shifted(moment: datetime, delta: timedelta) -> datetime:
    """moment + delta, held at the ends of the calendar (a call on 9999-12-31 ends there, not in an error)."""
    try:
        return moment + delta
    except OverflowError:
        return _LATEST if delta > timedelta(0) else _EARLIEST


def call_end(call: ScheduledCall) -> datetime:
    return _shifted(call.scheduled_for, timedelta(minutes=call.duration_minutes))


def overlaps(start: datetime, length: timedelta, call: ScheduledCall) -> bool:
    """Whether [start, start + length) and the call's [start, end) intersect: touching calls do not overlap."""
    return start < call_end(call) and call.scheduled_for < _shifted(start, length)


def overlapping_calls(
    start: datetime, duration_minutes: int, calls: Iterable[ScheduledCall], *, ignore: str | None = None
) -> list[ScheduledCall]:
    """The blocking calls among `calls` that a call at `start` of that length would overlap, soonest first.

    `ignore` is the id of the call being moved: it never clashes with itself.
    """
    length = timedelta(minutes=duration_minutes)
    found = [c for c in calls if c.id != ignore and c.status in BLOCKING and overlaps(start, length, c)]
    return sorted(found, key=lambda c: (c.scheduled_for, c.id))


def free_slots(
    start: datetime,
    duration_minutes: int,
    calls: Sequence[ScheduledCall],
    *,
    now: datetime,
    ignore: str | None = None,
    count: int = FREE_SLOTS,
) -> list[datetime]:
    """Up to `count` start times for a call of that length, nearest to `start` first (the earlier on a tie).

    A slot overlaps none of the blocking `calls`, is not before `now` and lies within SLOT_HORIZON of `start`.
    Candidates: right after each nearby call, right before it, and every SLOT_STEP from `start` either way.
    """
    length = timedelta(minutes=duration_minutes)
    lowest, highest = max(_shifted(start, -SLOT_HORIZON), now), _shifted(start, SLOT_HORIZON)
    margin = length + timedelta(minutes=max((c.duration_minutes for c in calls), default=0))
    busy = [
        c
        for c in calls
        if c.id != ignore
        and c.status in BLOCKING
        and _shifted(lowest, -margin) <= c.scheduled_for <= _shifted(highest, margin)
    ]
    candidates: set[datetime] = set()
    for call in busy:
        candidates.update((call_end(call), _shifted(call.scheduled_for, -length)))
    steps = int(SLOT_HORIZON / SLOT_STEP)
    candidates.update(_shifted(start, k * SLOT_STEP) for k in range(-steps, steps + 1))
    ordered = sorted((c for c in candidates if lowest <= c <= highest), key=lambda c: (abs(c - start), c))
    slots: list[datetime] = []
    for candidate in ordered:
        if not any(overlaps(candidate, length, call) for call in busy):
            slots.append(candidate)
            if len(slots) == count:
                break
    return slots
