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
    """The store could not be reached or answered with an error; nothing was changed by this call."""


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
