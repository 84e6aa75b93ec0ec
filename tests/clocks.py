"""Clocks for tests and the bench: one that moves only when told, one that ticks a millisecond per reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2025, 10, 24, 10, 30, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told to, or steps back when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class TickingClock:
    """Each reading a millisecond after the last: creation order, and so list order, is never a tie."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now
