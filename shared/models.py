"""Domain models: what a user, a scheduled call and a task are, and what it takes to make one."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Generic, Literal, TypeVar, cast

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.errors import InvalidInput
from shared.timekeeping import read_input_datetime


def as_utc(value: datetime) -> datetime:
    """For the service's own date-times: a naive one is UTC; an aware one keeps its instant, expressed in UTC.

    A caller's input goes through `UtcDatetime` instead, which reads a naive one in the configured zone.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59-01:00 is a valid input whose UTC instant is past the year 9999.
        raise ValueError("date-time is out of range once converted to UTC (years 1 to 9999)") from None


_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    """A date-time is an ISO 8601 string. pydantic would also take a number, or a string of digits, as seconds
    since 1970 (`"-1"` stored as 1969-12-31): the schema says "string, format date-time", so both doors refuse."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise PydanticCustomError(
            "datetime_type", "Input should be an ISO 8601 date-time string such as 2025-10-25T10:00:00Z, not a number"
        )
    return value


# A date-time from a caller, stored as its UTC instant. Without an offset it is read in the zone of the request
# (TASK_API_TIMEZONE, set by each adapter; UTC outside any request). Stored entities are always written with
# an offset ("Z"), so reading them back, in whatever zone, never shifts them.
UtcDatetime = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(read_input_datetime)]

_RESERVED_TLD_PROBE = "test"


def _email(value: str) -> str:
    """Any syntactically valid address, normalized as email-validator does, at any domain.

    email-validator refuses special-use names (`.test`, `.local`, `.arpa`, `localhost`...) as undeliverable,
    but the schema's `format: email` allows them, and this service never sends mail: a contact at an
    internal `.local` domain, or a demo at `.test`, is a valid contact. Such an address is checked with its
    last label replaced by `test` (which email-validator accepts in its test mode), then given back its own.
    """
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        if "special-use or reserved" not in str(exc):
            raise PydanticCustomError(
                "value_error", "value is not a valid email address: {reason}", {"reason": str(exc)}
            ) from None
    local, _, domain = value.rpartition("@")
    head, dot, tld = domain.rpartition(".")
    try:
        probe = validate_email(
            f"{local}@{head}{dot}{_RESERVED_TLD_PROBE}", check_deliverability=False, test_environment=True
        ).normalized
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "value_error", "value is not a valid email address: {reason}", {"reason": str(exc)}
        ) from None
    return probe[: -len(_RESERVED_TLD_PROBE)] + tld.lower()


Email = Annotated[
    str,
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "examples": ["maria@test-azollon.com"]}),
]

# The limits of the spec's Data Models section, written once for REST and MCP alike.
NAME_MAX = 100
COMPANY_MAX = 100
NOTES_MAX = 500
TITLE_MAX = 200
DESCRIPTION_MAX = 1000
DURATION_MIN = 15
DURATION_MAX = 240
DEFAULT_DURATION = 30

# Ids are UUIDs we mint, but anything matching this is accepted as a lookup key;
# it keeps ids safe to use as S3 keys and file names (no "/", no "..").
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX, description="Full name, 1-100 characters.")]
Company = Annotated[str, Field(min_length=1, max_length=COMPANY_MAX, description="Company, 1-100 characters.")]
Notes = Annotated[str, Field(max_length=NOTES_MAX, description="Free text, at most 500 characters.")]
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX, description="Title, 1-200 characters.")]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX, description="At most 1000 characters.")]
Duration = Annotated[int, Field(ge=DURATION_MIN, le=DURATION_MAX, description="Length of the call in minutes, 15-240.")]
EntityId = Annotated[str, Field(pattern=ID_PATTERN, description="An id as returned when it was created.")]


class UserType(StrEnum):
    CLIENT = "client"
    PROSPECT = "prospect"
    PARTNER = "partner"


class CallStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class _Input(BaseModel):
    # Unknown fields are refused rather than silently dropped: a typo ("titel") is an error the caller sees.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_USER_ID_EXAMPLE = "550e8400-e29b-41d4-a716-446655440000"
_CREATED = "2025-10-24T10:30:00Z"


def _examples(*examples: dict[str, object]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": cast("list[JsonValue]", list(examples))})


_USER_EXAMPLE: dict[str, object] = {
    "name": "María García",
    "email": "maria@test-azollon.com",
    "company": "Test Azollon",
    "user_type": "client",
    "notes": "New client from PyCon demo",
}
_CALL_EXAMPLE: dict[str, object] = {
    "user_id": _USER_ID_EXAMPLE,
    "title": "Onboarding Call - Test Azollon",
    "scheduled_for": "2025-10-25T10:00:00Z",
    "duration_minutes": 45,
    "notes": "Initial onboarding and platform overview",
}
_TASK_EXAMPLE: dict[str, object] = {
    "title": "Prepare onboarding materials",
    "description": "Create custom deck with use case examples",
    "user_id": _USER_ID_EXAMPLE,
    "due_date": "2025-10-26T12:00:00Z",
}


class UserCreate(_Input):
    model_config = _examples(_USER_EXAMPLE)

    name: Name
    email: Email
    company: Company
    user_type: UserType = UserType.CLIENT
    notes: Notes | None = None


class CallCreate(_Input):
    model_config = _examples(_CALL_EXAMPLE)

    user_id: EntityId
    title: Title
    scheduled_for: UtcDatetime
    duration_minutes: Duration = DEFAULT_DURATION
    notes: Notes | None = None


class CallReschedule(_Input):
    model_config = _examples({"scheduled_for": "2025-10-27T15:30:00Z", "duration_minutes": 60})

    scheduled_for: UtcDatetime
    duration_minutes: Duration | None = None


class TaskCreate(_Input):
    model_config = _examples(_TASK_EXAMPLE)

    title: Title
    description: Description | None = None
    user_id: EntityId | None = None
    due_date: UtcDatetime | None = None


def _task_update_schema(schema: dict[str, JsonValue], example: dict[str, JsonValue]) -> None:
    """What the schema must say beyond the fields' types: a missing title keeps the title and null is refused
    (a task always has one), so "a string, if present", not "a string or null"; and an edit changes at
    least one field (an empty body is refused)."""
    schema["minProperties"] = 1
    properties = schema["properties"]
    assert isinstance(properties, dict)
    properties["title"] = {
        "type": "string",
        "minLength": 1,
        "maxLength": TITLE_MAX,
        "description": "New title, 1-200 characters; leave it out to keep the title.",
    }
    schema["examples"] = [example]


class TaskUpdate(_Input):
    """A partial edit: only the fields present change; `description` or `due_date` set to null clears it."""

    model_config = ConfigDict(
        json_schema_extra=lambda schema: _task_update_schema(
            schema, {"title": "Prepare onboarding deck", "due_date": "2025-10-27T09:00:00Z"}
        )
    )

    title: Title | None = None
    description: Description | None = None
    due_date: UtcDatetime | None = None


class Entity(BaseModel):
    """What every stored entity has: its id, which is also the key it is stored under."""

    # Stored entities are read back from storage, which may hold objects written by an older version:
    # ignore fields we no longer know rather than refusing to show the record.
    # Fields are declared in the order of the spec's JSON examples: id first, timestamps last.
    model_config = ConfigDict(extra="ignore")

    id: str


class User(Entity):
    model_config = _examples({"id": _USER_ID_EXAMPLE, **_USER_EXAMPLE, "created_at": _CREATED, "updated_at": _CREATED})

    id: str
    name: str
    email: str
    company: str
    user_type: UserType
    notes: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ScheduledCall(Entity):
    model_config = _examples(
        {
            "id": "0192f5e0-7b1c-7cc3-9d2e-6f1a2b3c4d5e",
            **_CALL_EXAMPLE,
            "status": "scheduled",
            "created_at": _CREATED,
            "updated_at": _CREATED,
        }
    )

    id: str
    user_id: str
    title: str
    scheduled_for: UtcDatetime
    duration_minutes: int
    notes: str | None = None
    status: CallStatus
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Task(Entity):
    model_config = _examples(
        {
            "id": "0192f5e0-8a2d-7dd4-8e3f-7a2b3c4d5e6f",
            **_TASK_EXAMPLE,
            "status": "todo",
            "created_at": _CREATED,
            "updated_at": _CREATED,
        }
    )

    id: str
    title: str
    description: str | None = None
    user_id: str | None = None
    status: TaskStatus
    due_date: UtcDatetime | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


# Filters: what a list can be narrowed by, with each field's limits and description written once. REST takes
# them as query parameters (a query-parameter model), the MCP list tools as arguments of the same types.

QUERY_MAX = 200

SearchText = Annotated[
    str | None,
    Field(
        max_length=QUERY_MAX,
        description="Words to look for in name, email and company; case- and accent-insensitive, every word must "
        'match ("maria garcia" finds "María García").',
    ),
]
UserIdFilter = Annotated[EntityId | None, Field(description="Only those for this user (an id from find_users).")]
CallStatusFilter = Annotated[CallStatus | None, Field(description="Only calls in this status.")]
TaskStatusFilter = Annotated[TaskStatus | None, Field(description="Only tasks in this status.")]
ScheduledFrom = Annotated[
    UtcDatetime | None,
    Field(description="Only calls starting at or after this ISO 8601 date-time (no offset: the server's zone)."),
]
ScheduledTo = Annotated[
    UtcDatetime | None,
    Field(description="Only calls starting at or before this ISO 8601 date-time (no offset: the server's zone)."),
]
DueBefore = Annotated[
    UtcDatetime | None,
    Field(description="Only tasks due strictly before this ISO 8601 date-time (no offset: the server's zone)."),
]


def fold(text: str) -> str:
    """Lower-case and strip accents, so "maria garcia" matches "María García"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _Filter(BaseModel):
    # populate_by_name: REST names some parameters differently (q, status_filter), MCP uses the field names.
    model_config = ConfigDict(frozen=True, populate_by_name=True, str_strip_whitespace=True)

    def is_empty(self) -> bool:
        return all(value is None for value in self.__dict__.values())

    def fixed_fields(self) -> tuple[str, ...]:
        """The entity fields this filter fixes to one value (user_id, status): every item it lets through has it."""
        return tuple(name for name in ("user_id", "status") if getattr(self, name, None) is not None)


class UserQuery(_Filter):
    """A search of users; blank or absent matches everyone."""

    query: Annotated[SearchText, Field(alias="q")] = None

    def is_empty(self) -> bool:
        return not (self.query and self.query.strip())

    def matches(self, user: User) -> bool:
        words = fold(self.query or "").split()
        haystack = fold(f"{user.name} {user.email} {user.company}")
        return all(word in haystack for word in words)


class CallFilter(_Filter):
    user_id: UserIdFilter = None
    status: Annotated[CallStatusFilter, Field(alias="status_filter")] = None
    scheduled_from: ScheduledFrom = None
    scheduled_to: ScheduledTo = None

    @model_validator(mode="after")
    def _window_is_not_empty(self) -> CallFilter:
        # A domain error, not a ValueError: it passes through pydantic, so both doors report it on the field.
        if self.scheduled_from and self.scheduled_to and self.scheduled_from > self.scheduled_to:
            raise InvalidInput("scheduled_from", "scheduled_from must not be later than scheduled_to.")
        return self

    def matches(self, call: ScheduledCall) -> bool:
        return (
            (self.user_id is None or call.user_id == self.user_id)
            and (self.status is None or call.status == self.status)
            and (self.scheduled_from is None or call.scheduled_for >= self.scheduled_from)
            and (self.scheduled_to is None or call.scheduled_for <= self.scheduled_to)
        )


class TaskFilter(_Filter):
    user_id: UserIdFilter = None
    status: Annotated[TaskStatusFilter, Field(alias="status_filter")] = None
    due_before: DueBefore = None

    def matches(self, task: Task) -> bool:
        return (
            (self.user_id is None or task.user_id == self.user_id)
            and (self.status is None or task.status == self.status)
            and (self.due_before is None or (task.due_date is not None and task.due_date < self.due_before))
        )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back to get the next page, null when there is none."""

    items: list[T]
    next_cursor: str | None = None
    # Keys of stored objects left out because they do not hold a valid entity; each adapter says so its own way.
    skipped: list[str] = Field(default_factory=list, exclude=True)

    def skipped_note(self) -> str | None:
        """What to tell a reader of this page about objects left out of it, or None when none was."""
        if not self.skipped:
            return None
        keys = ", ".join(self.skipped[:10]) + (f" and {len(self.skipped) - 10} more" if len(self.skipped) > 10 else "")
        return (
            f"{len(self.skipped)} stored object(s) were left out because they are not valid: {keys}. "
            "Tell the operator; the objects were left as they are."
        )


class UserOverview(BaseModel):
    """A user with every call and task that names them."""

    user: User
    calls: list[ScheduledCall]
    tasks: list[Task]


# Change history: every write of an entity is a version; a revert restores an earlier one as a new version.

EntityKind = Literal["users", "calls", "tasks"]
# "unrecorded": a state the store holds no history record for (written before history was kept); its
# snapshot is known (the entity itself, or the `before` of the next record), not who wrote it.
HistoryAction = Literal["create", "update", "revert", "unrecorded"]


class EntityVersion(BaseModel):
    """One state of an entity: who wrote it, when, how, and the whole entity as it was then."""

    version: int = Field(description="1 for the oldest state known, counting up to the current one.")
    at: UtcDatetime = Field(description="When this state was written: its updated_at.")
    actor: str | None = Field(description="The label of the key that wrote it; null when unrecorded.")
    via: str | None = Field(description="rest, mcp, cli or system; null when unrecorded.")
    action: HistoryAction
    reverted_to: int | None = Field(default=None, description="For a revert: the version it restored.")
    entity: dict[str, JsonValue] = Field(description="The entity as this version left it.")


class EntityHistory(BaseModel):
    """An entity's versions, oldest first; the last one is the entity as it is now."""

    kind: EntityKind
    id: str
    current_version: int = Field(description="The number of the current version: pass it as expected_version.")
    versions: list[EntityVersion]


class RevertRequest(_Input):
    version: int = Field(ge=1, description="The version whose fields to restore, from the entity's history.")
    expected_version: int | None = Field(
        default=None,
        ge=1,
        description="Refuse (409) unless the entity is still at this version: the one you read the history at.",
    )


# A briefing on one user: what an agent needs before a meeting, small enough to read in one go.

BRIEFING_CALLS = 5
BRIEFING_TASKS = 10


class UserCard(BaseModel):
    id: str
    name: str
    email: str
    company: str
    user_type: UserType


class CallLine(BaseModel):
    id: str
    title: str
    scheduled_for: datetime
    duration_minutes: int
    status: CallStatus


class TaskLine(BaseModel):
    id: str
    title: str
    status: TaskStatus
    due_date: datetime | None = None


class UserBriefing(BaseModel):
    """A user, their next calls and open tasks, their counts by status, and how many more are not listed."""

    user: UserCard
    upcoming_calls: list[CallLine]
    more_upcoming_calls: int
    open_tasks: list[TaskLine]
    more_open_tasks: int
    calls_by_status: dict[str, int]
    tasks_by_status: dict[str, int]
