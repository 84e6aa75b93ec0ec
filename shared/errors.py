"""Domain errors: what went wrong in the domain's words; each adapter maps them to its own protocol once."""

from __future__ import annotations


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
