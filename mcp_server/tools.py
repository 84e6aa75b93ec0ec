"""The MCP tools: one per service operation, typed with the REST limits and described for a model."""

# No `from __future__ import annotations`: the SDK evaluates these signatures to build the JSON schemas,
# and plain annotations resolve without depending on where the tool functions are defined.

from collections.abc import Callable, Collection
from datetime import UTC, tzinfo
from typing import Annotated, Generic, Self, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from mcp_server.errors import service_tool
from mcp_server.history_tools import register_history_tools
from mcp_server.overview_tools import register_overview_tools
from mcp_server.time_tools import register_time_tools
from shared.access import TOOLSETS
from shared.idempotency import IdempotencyKey
from shared.models import (
    DEFAULT_DURATION,
    QUERY_MAX,
    CallCreate,
    CallFilter,
    CallReschedule,
    CallStatus,
    CallStatusFilter,
    Company,
    Description,
    DueBefore,
    Duration,
    Email,
    EntityId,
    Name,
    Notes,
    Page,
    ScheduledCall,
    ScheduledFrom,
    ScheduledTo,
    Task,
    TaskCreate,
    TaskFilter,
    TaskStatus,
    TaskStatusFilter,
    TaskUpdate,
    Title,
    User,
    UserCreate,
    UserIdFilter,
    UserQuery,
    UserType,
    UtcDatetime,
)
from shared.services import Services

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_MAX = 512  # as on the REST list endpoints

# Arguments that recur across tools, described once.
USER_ID = Field(description="The user's id, as returned by find_users, list_users or create_user.")
CALL_ID = Field(description="The call's id, as returned by list_calls or schedule_call.")
TASK_ID = Field(description="The task's id, as returned by list_tasks or create_task.")
LIMIT = Field(ge=1, le=MAX_LIMIT, description=f"Most items to return, 1-{MAX_LIMIT}.")
CURSOR = Field(
    max_length=CURSOR_MAX,
    description="The next_cursor of the previous page, unchanged; omit it for the first page.",
)
NOTES = Field(description="Optional free text, at most 500 characters.")
DUE_DATE = Field(
    description="When it is due: ISO 8601 date-time, e.g. 2025-10-26T12:00:00Z; no offset: the server's zone."
)
IDEMPOTENCY_KEY = Field(
    description="Optional unique string, e.g. a UUID. Reuse the same key when retrying the same create: you get "
    "the first result, not a duplicate."
)
SCHEDULED_FOR = Field(
    description="When the call starts: ISO 8601 date-time, e.g. 2025-10-25T10:00:00Z; no offset: the server's zone."
)

ALLOW_OVERLAP = Field(
    description="true books it even if it overlaps another scheduled or rescheduled call of the same user."
)

# Hints for clients deciding whether to ask the user before a call; no tool reaches beyond this service.
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
ADDITIVE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
IDEMPOTENT_UPDATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


T = TypeVar("T")


class ToolPage(Page[T], Generic[T]):
    note: str | None = Field(
        default=None,
        exclude_if=lambda note: note is None,
        description="Present only when stored objects were left out of this page because they are not valid.",
    )

    @classmethod
    def of(cls, page: Page[T]) -> Self:
        return cls(items=page.items, next_cursor=page.next_cursor, note=page.skipped_note())


# Concrete page types rather than Page[User]: the output schema is then titled "UserPage", not "Page[User]".
class UserPage(ToolPage[User]):
    """One page of users, oldest first; pass next_cursor back as cursor for the next page (null: no more)."""


class CallPage(ToolPage[ScheduledCall]):
    """One page of calls, oldest first; pass next_cursor back as cursor for the next page (null: no more)."""


class TaskPage(ToolPage[Task]):
    """One page of tasks, oldest first; pass next_cursor back as cursor for the next page (null: no more)."""


class CreatedUser(User):
    """The new user, with a note when someone else already has this email."""

    note: str | None = Field(
        default=None,
        exclude_if=lambda note: note is None,
        description="Only when another user already has this email (likely the same person).",
    )


def _duplicate_email_note(user: User, others: list[User]) -> str | None:
    if not others:
        return None
    named = ", ".join(f"{other.id} ({other.name})" for other in others[:3])
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    return (
        f"The email {user.email} already belongs to user {named}{more}. If that is the same person, use that "
        "id from now on; two users with one email are allowed."
    )


def register_tools(
    mcp: MCPServer, services: Services, toolsets: Collection[str] = TOOLSETS, *, zone: tzinfo = UTC
) -> None:
    """The tools of the groups in `toolsets` (TASK_API_TOOLSETS, --toolsets; every group by default), and
    get_current_time, always."""
    groups: dict[str, Callable[[MCPServer, Services], None]] = {
        "users": _register_user_and_overview_tools,
        "calls": _register_call_tools,
        "tasks": _register_task_tools,
        "history": register_history_tools,
    }
    register_time_tools(mcp, services, zone)
    for group, register in groups.items():
        if group in toolsets:
            register(mcp, services)


def _register_user_and_overview_tools(mcp: MCPServer, services: Services) -> None:
    _register_user_tools(mcp, services)
    register_overview_tools(mcp, services)


def _register_user_tools(mcp: MCPServer, services: Services) -> None:
    @mcp.tool(title="Create a user", annotations=ADDITIVE)
    @service_tool
    def create_user(
        name: Annotated[Name, Field(description="Full name, 1-100 characters, e.g. 'María García'.")],
        email: Annotated[Email, Field(description="Email address, e.g. maria@test-azollon.com.")],
        company: Annotated[Company, Field(description="Company name, 1-100 characters.")],
        user_type: Annotated[UserType, Field(description="client (the default), prospect or partner.")] = (
            UserType.CLIENT
        ),
        notes: Annotated[Notes | None, NOTES] = None,
        idempotency_key: Annotated[IdempotencyKey | None, IDEMPOTENCY_KEY] = None,
    ) -> CreatedUser:
        """Register a new user (a client, prospect or partner) and return it with its id.

        Call find_users first: if the person is already there, use their id instead of creating a duplicate.
        Next, use the returned id with schedule_call or create_task.
        """
        user = services.create_user(
            UserCreate(name=name, email=email, company=company, user_type=user_type, notes=notes),
            idempotency_key=idempotency_key,
        )
        others = [other for other in services.users_with_email(user.email) if other.id != user.id]
        return CreatedUser(**dict(user), note=_duplicate_email_note(user, others))

    @mcp.tool(title="Get a user", annotations=READ_ONLY)
    @service_tool
    def get_user(user_id: Annotated[EntityId, USER_ID]) -> User:
        """Get one user by id.

        Needs a user_id: call find_users or list_users first. For the user together with their calls and
        tasks, read the resource taskapi://users/{user_id}.
        """
        return services.get_user(user_id)

    @mcp.tool(title="List users", annotations=READ_ONLY)
    @service_tool
    def list_users(
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, CURSOR] = None,
    ) -> UserPage:
        """List every user, oldest first, a page at a time.

        Returns {items, next_cursor}: while next_cursor is not null, call again with cursor=next_cursor
        to get the rest. To look someone up by name, email or company, use find_users instead.
        """
        page = services.list_users(limit=limit, cursor=cursor)
        return UserPage.of(page)

    @mcp.tool(title="Find users", annotations=READ_ONLY)
    @service_tool
    def find_users(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=QUERY_MAX,
                pattern=r"\S",  # blank would match everyone: that is list_users
                description="Words to look for in name, email and company, e.g. 'maria garcia'.",
            ),
        ],
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, CURSOR] = None,
    ) -> UserPage:
        """Search users by name, email or company; the way to get a user_id.

        Case- and accent-insensitive, and every word must match: "maria garcia" finds "María García".
        Returns {items, next_cursor}; items is empty when nobody matches (then create_user if needed).
        Call this before create_user to avoid registering someone twice.
        """
        page = services.list_users(UserQuery(query=query), limit=limit, cursor=cursor)
        return UserPage.of(page)


def _register_call_tools(mcp: MCPServer, services: Services) -> None:
    @mcp.tool(title="Schedule a call", annotations=ADDITIVE)
    @service_tool
    def schedule_call(
        user_id: Annotated[EntityId, USER_ID],
        title: Annotated[Title, Field(description="What the call is about, 1-200 characters.")],
        scheduled_for: Annotated[UtcDatetime, SCHEDULED_FOR],
        duration_minutes: Duration = DEFAULT_DURATION,
        notes: Annotated[Notes | None, NOTES] = None,
        idempotency_key: Annotated[IdempotencyKey | None, IDEMPOTENCY_KEY] = None,
        allow_overlap: Annotated[bool, ALLOW_OVERLAP] = False,
    ) -> ScheduledCall:
        """Book a call with a user; returns the call (status "scheduled") with its id.

        Needs a user_id: call find_users or create_user first. To move an existing call, use
        reschedule_call instead of booking a second one. A time that overlaps another of the user's
        calls is refused with free slots of the same length to choose from.
        """
        return services.schedule_call(
            CallCreate(
                user_id=user_id,
                title=title,
                scheduled_for=scheduled_for,
                duration_minutes=duration_minutes,
                notes=notes,
            ),
            idempotency_key=idempotency_key,
            allow_overlap=allow_overlap,
        )

    @mcp.tool(title="Get a call", annotations=READ_ONLY)
    @service_tool
    def get_call(call_id: Annotated[EntityId, CALL_ID]) -> ScheduledCall:
        """Get one scheduled call by id. Needs a call_id: call list_calls first."""
        return services.get_call(call_id)

    @mcp.tool(title="List calls", annotations=READ_ONLY)
    @service_tool
    def list_calls(
        user_id: UserIdFilter = None,
        status: CallStatusFilter = None,
        scheduled_from: ScheduledFrom = None,
        scheduled_to: ScheduledTo = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, CURSOR] = None,
    ) -> CallPage:
        """List scheduled calls, oldest booked first, optionally filtered; the way to get a call_id.

        Filters combine: e.g. a user's calls this week is user_id plus scheduled_from and scheduled_to.
        Returns {items, next_cursor}: while next_cursor is not null, call again with cursor=next_cursor
        and the same filters.
        """
        where = CallFilter(user_id=user_id, status=status, scheduled_from=scheduled_from, scheduled_to=scheduled_to)
        page = services.list_calls(where, limit=limit, cursor=cursor)
        return CallPage.of(page)

    @mcp.tool(title="Update a call's status", annotations=IDEMPOTENT_UPDATE)
    @service_tool
    def update_call_status(
        call_id: Annotated[EntityId, CALL_ID],
        status: Annotated[CallStatus, Field(description="The new status, e.g. completed or cancelled.")],
    ) -> ScheduledCall:
        """Set a call's status (completed once it happened, cancelled if it won't) and return the call.

        Needs a call_id: call list_calls first. Setting the status it already has changes nothing.
        To move a call to another time, use reschedule_call.
        """
        return services.update_call_status(call_id, status)

    @mcp.tool(title="Reschedule a call", annotations=IDEMPOTENT_UPDATE)
    @service_tool
    def reschedule_call(
        call_id: Annotated[EntityId, CALL_ID],
        scheduled_for: Annotated[UtcDatetime, SCHEDULED_FOR],
        duration_minutes: Annotated[
            Duration | None, Field(description="New length in minutes, 15-240; omit to keep the current one.")
        ] = None,
        allow_overlap: Annotated[bool, ALLOW_OVERLAP] = False,
    ) -> ScheduledCall:
        """Move a call to a new time (and optionally a new length); its status becomes "rescheduled".

        Needs a call_id: call list_calls first. Only a scheduled or rescheduled call can be moved; for a
        completed or cancelled one, book a new call with schedule_call. A time that overlaps another of
        the user's calls is refused with free slots to choose from.
        """
        return services.reschedule_call(
            call_id,
            CallReschedule(scheduled_for=scheduled_for, duration_minutes=duration_minutes),
            allow_overlap=allow_overlap,
        )


def _register_task_tools(mcp: MCPServer, services: Services) -> None:
    @mcp.tool(title="Create a task", annotations=ADDITIVE)
    @service_tool
    def create_task(
        title: Annotated[Title, Field(description="What is to be done, 1-200 characters.")],
        description: Annotated[
            Description | None, Field(description="Optional details, at most 1000 characters.")
        ] = None,
        user_id: Annotated[
            EntityId | None, Field(description="Optional: the user it is for, an id from find_users.")
        ] = None,
        due_date: Annotated[UtcDatetime | None, DUE_DATE] = None,
        idempotency_key: Annotated[IdempotencyKey | None, IDEMPOTENCY_KEY] = None,
    ) -> Task:
        """Create a task (status "todo") and return it with its id; optionally for a user and with a due date.

        For a user's task, get the user_id from find_users first, and check list_tasks(user_id=...) for
        an existing task so you do not create a duplicate.
        """
        return services.create_task(
            TaskCreate(title=title, description=description, user_id=user_id, due_date=due_date),
            idempotency_key=idempotency_key,
        )

    @mcp.tool(title="Get a task", annotations=READ_ONLY)
    @service_tool
    def get_task(task_id: Annotated[EntityId, TASK_ID]) -> Task:
        """Get one task by id. Needs a task_id: call list_tasks first."""
        return services.get_task(task_id)

    @mcp.tool(title="List tasks", annotations=READ_ONLY)
    @service_tool
    def list_tasks(
        user_id: UserIdFilter = None,
        status: TaskStatusFilter = None,
        due_before: DueBefore = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, CURSOR] = None,
    ) -> TaskPage:
        """List tasks, oldest first, optionally filtered; the way to get a task_id.

        Use user_id to see what is already planned for someone before creating a task.
        Returns {items, next_cursor}: while next_cursor is not null, call again with cursor=next_cursor
        and the same filters.
        """
        where = TaskFilter(user_id=user_id, status=status, due_before=due_before)
        page = services.list_tasks(where, limit=limit, cursor=cursor)
        return TaskPage.of(page)

    @mcp.tool(title="Update a task's status", annotations=IDEMPOTENT_UPDATE)
    @service_tool
    def update_task_status(
        task_id: Annotated[EntityId, TASK_ID],
        status: Annotated[TaskStatus, Field(description="The new status: todo, in_progress, done or cancelled.")],
    ) -> Task:
        """Move a task to another status and return it. Needs a task_id: call list_tasks first.

        Setting the status it already has changes nothing. To edit the title, description or due date,
        use update_task.
        """
        return services.update_task_status(task_id, status)

    @mcp.tool(title="Edit a task", annotations=IDEMPOTENT_UPDATE)
    @service_tool
    def update_task(
        task_id: Annotated[EntityId, TASK_ID],
        title: Annotated[Title | None, Field(description="New title, 1-200 characters.")] = None,
        description: Annotated[
            Description | None, Field(description="New description; an empty string blanks it.")
        ] = None,
        due_date: Annotated[UtcDatetime | None, DUE_DATE] = None,
    ) -> Task:
        """Change a task's title, description or due date, and return the task.

        Only the arguments you give change; omitted (or null) ones keep their value. Give at least one.
        Needs a task_id: call list_tasks first. To change the status, use update_task_status.
        """
        # Models often send every optional argument as null, so null means "keep", never "remove".
        changes = {
            name: value
            for name, value in {"title": title, "description": description, "due_date": due_date}.items()
            if value is not None
        }
        return services.update_task(task_id, TaskUpdate.model_validate(changes))
