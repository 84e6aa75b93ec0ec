"""Which fields a list item carries: the compact default set per kind, and the rule for asking more or less.

A list answers with what a reader filters and sorts on (id, name or title, status, user_id, when); long free
text (notes, description) and the bookkeeping timestamps come from the get of one entity, or by asking for
them. MCP lists are compact by default; REST lists return the spec's full objects unless `?fields=` is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import InvalidInput
from shared.models import Entity, ScheduledCall, Task, User

ALL = "all"


@dataclass(frozen=True)
class FieldSet:
    """The fields of one kind of entity, the compact default, and how a request for fields is read."""

    kind: str
    model: type[Entity]
    default: tuple[str, ...]
    # Besides the default, what the answer to a write of one entity carries: a call's length, which a list
    # leaves out (ask for it with fields) but the agent that just booked or moved the call should see.
    written_also: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every field, in the order the full object shows them."""
        return tuple(self.model.model_fields)

    @property
    def written(self) -> tuple[str, ...]:
        """The fields of a write's answer: the default set and `written_also`, in the full object's order."""
        wanted = {*self.default, *self.written_also}
        return tuple(name for name in self.names if name in wanted)

    def choices(self) -> tuple[str, ...]:
        """What a request may name: every field, and "all"."""
        return (ALL, *self.names)

    def select(self, requested: str | Iterable[str] | None, *, fixed: Iterable[str] = ()) -> tuple[str, ...]:
        """The fields to show, in the full object's order, for a request: None is the default set; a list of
        names, or one string of comma-separated names, selects those; "all" selects every field.

        `fixed` names the fields a list's filter fixed to one value (user_id, status): every item would repeat
        what the reader asked for, so the default set leaves them out. Fields asked for by name are all shown.
        Unknown names, or a request naming nothing, are InvalidInput naming the valid fields.
        """
        if requested is None:
            left_out = set(fixed)
            return tuple(name for name in self.default if name not in left_out)
        words = requested.split(",") if isinstance(requested, str) else list(requested)
        valid = ", ".join(self.choices())
        if not all(isinstance(word, str) for word in words):
            raise InvalidInput("fields", f"fields are names of {self.kind} fields: {valid}.")
        wanted = {word.strip() for word in words if word.strip()}
        unknown = sorted(wanted - set(self.choices()))
        if unknown:
            raise InvalidInput(
                "fields",
                f"unknown {self.kind} field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}. Valid: {valid}.",
            )
        if not wanted:
            raise InvalidInput("fields", f"name at least one {self.kind} field, or {ALL}. Valid: {valid}.")
        if ALL in wanted:
            return self.names
        return tuple(name for name in self.names if name in wanted)

    def project(self, entities: Sequence[Entity], fields: Sequence[str]) -> list[dict[str, Any]]:
        """The entities as JSON-ready dicts holding only `fields` (present even when null)."""
        return project(entities, fields)


def project(entities: Sequence[Entity], fields: Sequence[str]) -> list[dict[str, Any]]:
    """The entities as JSON-ready dicts holding only `fields` (present even when null), in the object's order."""
    include = set(fields)
    return [entity.model_dump(mode="json", include=include) for entity in entities]


USER_FIELDS = FieldSet("user", User, default=("id", "name", "email", "company", "user_type"))
CALL_FIELDS = FieldSet(
    "call",
    ScheduledCall,
    default=("id", "user_id", "title", "scheduled_for", "status"),
    written_also=("duration_minutes",),
)
TASK_FIELDS = FieldSet("task", Task, default=("id", "user_id", "title", "status", "due_date"))
