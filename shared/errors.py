"""Domain errors: what went wrong in the domain's words; each adapter maps them to its own protocol once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.models import ScheduledCall


class DomainError(Exception):
    """Base of every error a service raises on purpose; `message` is safe to show to a caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The entity of that kind and id does not exist."""

    def __init__(self, kind: str, entity_id: str) -> None:
        super().__init__(f"{kind} {entity_id} not found")
        self.kind = kind
        self.entity_id = entity_id


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a rule (a bad cursor, an empty range)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Conflict(DomainError):
    """The change cannot be made in the entity's current state, or lost a race too many times."""


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class CallOverlap(Conflict):
    """A call would overlap other scheduled or rescheduled calls of the same user; nothing was booked.

    `overlapping` are those calls, soonest first; `free_slots` up to three start times for a call of the same
    length, nearest to the requested one first, that overlap none of the user's calls and are not in the past.
    """

    def __init__(
        self,
        scheduled_for: datetime,
        duration_minutes: int,
        overlapping: Sequence[ScheduledCall],
        free_slots: Sequence[datetime],
    ) -> None:
        clashes = "; ".join(
            f"{call.id} \u201c{call.title}\u201d at {_utc(call.scheduled_for)} for {call.duration_minutes} min"
            for call in overlapping
        )
        slots = (
            f"Free slots of {duration_minutes} min: {', '.join(_utc(slot) for slot in free_slots)}."
            if free_slots
            else f"No free slot of {duration_minutes} min nearby; pick another day."
        )
        super().__init__(
            f"A call at {_utc(scheduled_for)} for {duration_minutes} min overlaps "
            f"{len(overlapping)} other call{'s' if len(overlapping) > 1 else ''} of the same user: {clashes}. "
            f"{slots}"
        )
        self.scheduled_for = scheduled_for
        self.duration_minutes = duration_minutes
        self.overlapping = list(overlapping)
        self.free_slots = list(free_slots)


class StorageUnavailable(DomainError):
    """The store could not be reached or answered with an error; nothing was changed by this call.

    `reason` says what failed and where (the folder or the bucket, and the cause); the message is
    "Storage unavailable: <reason>". `transient` is False when trying again cannot help until someone acts
    (a folder that cannot be made, a bucket that is gone, access denied): adapters then do not say "retry".
    """

    def __init__(self, reason: str, *, transient: bool = True) -> None:
        super().__init__(f"Storage unavailable: {reason}")
        self.reason = reason
        self.transient = transient


class StoredObjectInvalid(DomainError):
    """A stored object does not hold a valid entity of its kind (bad JSON, missing fields, an id not its key).

    Not transient: reading it again gives the same bytes. It is left as it is, never served and never
    overwritten, until someone fixes or removes it.
    """

    def __init__(self, kind: str, entity_id: str, key: str, reason: str) -> None:
        super().__init__(
            f"Stored {kind.lower()} {entity_id} ({key}) is not a valid {kind.lower()}: {reason}. "
            "It was left as it is; fix or remove that object."
        )
        self.kind = kind
        self.entity_id = entity_id
        self.key = key
        self.reason = reason


class IdempotencyKeyReused(InvalidInput):
    """An idempotency key sent again with a different request: the first request's result is not this one's."""

    def __init__(self, key: str, kind: str) -> None:
        super().__init__(
            "idempotency_key",
            f"The idempotency key {key!r} was first used with a different {kind.lower()} (another body) in the "
            f"last 24 hours, so it was refused and nothing was created. Send that same body again to get the "
            f"first result, or use a new key for a new {kind.lower()}.",
        )
        self.key = key
        self.kind = kind
