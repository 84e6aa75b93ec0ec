"""The MCP tools: one per service operation, typed with the REST limits and described for a model."""

# No `from __future__ import annotations`: the SDK evaluates these signatures to build the JSON schemas,
# and plain annotations resolve without depending on where the tool functions are defined.

from collections.abc import Callable, Collection
from datetime import UTC, tzinfo
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from mcp_server.errors import service_tool
from mcp_server.history_tools import register_history_tools
from mcp_server.overview_tools import register_overview_tools
from mcp_server.pages import CallFields, CallPage, TaskFields, TaskPage, UserFields, UserPage, compact_result
from mcp_server.time_tools import register_time_tools
from shared.access import TOOLSETS
from shared.fields import CALL_FIELDS, TASK_FIELDS, USER_FIELDS
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
USER_ID = Field(description="A user id from find_users or create_user.")
CALL_ID = Field(description="A call id from list_calls or schedule_call.")
TASK_ID = Field(description="A task id from list_tasks or create_task.")
LIMIT = Field(ge=1, le=MAX_LIMIT, description="Page size.")
CURSOR = Field(max_length=CURSOR_MAX, description="The previous page's next_cursor, for the next page.")
NOTES = Field(description="Free text.")
DUE_DATE = Field(description="When it is due, e.g. 2025-10-26T12:00:00Z; no offset: the server's zone.")
SCHEDULED_FOR = Field(description="When it starts, e.g. 2025-10-25T10:00:00Z; no offset: the server's zone.")
IDEMPOTENCY_KEY = Field(description="A unique string (a UUID); the same key on a retry returns the first result.")
ALLOW_OVERLAP = Field(description="Book even if it overlaps another of the user's calls.")

# Hints for clients deciding whether to ask the user before a call; no tool reaches beyond this service.
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
ADDITIVE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
IDEMPOTENT_UPDATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


class CreatedUser(User):
    """The new user, with a note when someone else already has this email."""

    note: str | None = None


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
    @compact_result(USER_FIELDS, note=True)
    @service_tool
    def create_user(
        name: Annotated[Name, Field(description="Full name, e.g. María García.")],
        email: Annotated[Email, Field(description="Email address.")],
        company: Annotated[Company, Field(description="Company name.")],
        user_type: Annotated[UserType, Field(description="What they are to us.")] = UserType.CLIENT,
        notes: Annotated[Notes | None, NOTES] = None,
        idempotency_key: Annotated[IdempotencyKey | None, IDEMPOTENCY_KEY] = None,
    ) -> CreatedUser:
        """Register a client, prospect or partner; returns the user with its id.

        Call find_users first: if they exist, use their id. Next: schedule_call or create_task.
        A note says when another user already has this email.
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
        """One user in full, notes included. Needs a user_id from find_users.

        With their calls and tasks: the resource taskapi://users/{user_id}.
        """
        return services.get_user(user_id)

    @mcp.tool(title="List users", annotations=READ_ONLY)
    @service_tool
    def list_users(
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, CURSOR] = None,
        fields: UserFields = None,
    ) -> UserPage:
        """Every user, oldest first; to look someone up, use find_users instead.

        Returns {items, has_more, next_cursor}; while has_more, call again with cursor=next_cursor.
        """
        page = services.list_users(limit=limit, cursor=cursor)
        return UserPage.of(page, USER_FIELDS, fields)

    @mcp.tool(title="Find users", annotations=READ_ONLY)
    @service_tool
    def find_users(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=QUERY_MAX,
                pattern=r"\S",  # blank would match everyone: that is list_users
                description="Words to find in name, email or company, e.g. maria garcia.",
            ),
        ],
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, CURSOR] = None,
        fields: UserFields = None,
    ) -> UserPage:
        """Search users by name, email or company (every word must match; accents and case do not matter).

        The way to get a user_id, and to check before create_user. Returns {items, has_more, next_cursor}.
        """
        page = services.list_users(UserQuery(query=query), limit=limit, cursor=cursor)
        return UserPage.of(page, USER_FIELDS, fields)


def _register_call_tools(mcp: MCPServer, services: Services) -> None:
    @mcp.tool(title="Schedule a call", annotations=ADDITIVE)
    @compact_result(CALL_FIELDS)
    @service_tool
    def schedule_call(
        user_id: Annotated[EntityId, USER_ID],
        title: Annotated[Title, Field(description="What the call is about.")],
        scheduled_for: Annotated[UtcDatetime, SCHEDULED_FOR],
        duration_minutes: Duration = DEFAULT_DURATION,
        notes: Annotated[Notes | None, NOTES] = None,
        idempotency_key: Annotated[IdempotencyKey | None, IDEMPOTENCY_KEY] = None,
        allow_overlap: Annotated[bool, ALLOW_OVERLAP] = False,
    ) -> ScheduledCall:
        """Book a call with a user; returns the call (status scheduled) with its id.

        Needs a user_id from find_users or create_user. To move a booked call, use reschedule_call.
        A clash with another of the user's calls is refused, offering free slots of the same length.
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
        """One call in full, notes included. Needs a call_id from list_calls."""
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
        fields: CallFields = None,
    ) -> CallPage:
        """Calls, oldest booked first; filters combine (a user's calls this week: user_id, scheduled_from/to).

        The way to get a call_id. Returns {items, has_more, next_cursor}; while has_more, call again with
        cursor=next_cursor and the same filters.
        """
        where = CallFilter(user_id=user_id, status=status, scheduled_from=scheduled_from, scheduled_to=scheduled_to)
        page = services.list_calls(where, limit=limit, cursor=cursor)
        return CallPage.of(page, CALL_FIELDS, fields, fixed=where.fixed_fields())

    @mcp.tool(title="Update a call's status", annotations=IDEMPOTENT_UPDATE)
    @compact_result(CALL_FIELDS)
    @service_tool
    def update_call_status(
        call_id: Annotated[EntityId, CALL_ID],
        status: Annotated[CallStatus, Field(description="The new status.")],
    ) -> ScheduledCall:
        """Mark a call completed or cancelled (or another status); returns the call. Needs a call_id from list_calls.

        The same status again changes nothing. To move a call, use reschedule_call.
        """
        return services.update_call_status(call_id, status)

    @mcp.tool(title="Reschedule a call", annotations=IDEMPOTENT_UPDATE)
    @compact_result(CALL_FIELDS)
    @service_tool
    def reschedule_call(
        call_id: Annotated[EntityId, CALL_ID],
        scheduled_for: Annotated[UtcDatetime, SCHEDULED_FOR],
        duration_minutes: Annotated[
            Duration | None, Field(description="New length in minutes; omit to keep it.")
        ] = None,
        allow_overlap: Annotated[bool, ALLOW_OVERLAP] = False,
    ) -> ScheduledCall:
        """Move a call to a new time (and length); it becomes rescheduled. Needs a call_id from list_calls.

        Only a scheduled or rescheduled call moves; for a completed or cancelled one, use schedule_call.
        A clash is refused as in schedule_call.
        """
        return services.reschedule_call(
            call_id,
            CallReschedule(scheduled_for=scheduled_for, duration_minutes=duration_minutes),
            allow_overlap=allow_overlap,
        )


def _register_task_tools(mcp: MCPServer, services: Services) -> None:
    @mcp.tool(title="Create a task", annotations=ADDITIVE)
    @compact_result(TASK_FIELDS)
    @service_tool
    def create_task(
        title: Annotated[Title, Field(description="What is to be done.")],
        description: Annotated[Description | None, Field(description="Details.")] = None,
        user_id: Annotated[EntityId | None, Field(description="The user it is for, from find_users.")] = None,
        due_date: Annotated[UtcDatetime | None, DUE_DATE] = None,
        idempotency_key: Annotated[IdempotencyKey | None, IDEMPOTENCY_KEY] = None,
    ) -> Task:
        """Create a task (status todo), optionally for a user; returns it with its id.

        For a user's task: user_id from find_users, and list_tasks(user_id) first to avoid a duplicate.
        """
        return services.create_task(
            TaskCreate(title=title, description=description, user_id=user_id, due_date=due_date),
            idempotency_key=idempotency_key,
        )

    @mcp.tool(title="Get a task", annotations=READ_ONLY)
    @service_tool
    def get_task(task_id: Annotated[EntityId, TASK_ID]) -> Task:
        """One task in full, description included. Needs a task_id from list_tasks."""
        return services.get_task(task_id)

    @mcp.tool(title="List tasks", annotations=READ_ONLY)
    @service_tool
    def list_tasks(
        user_id: UserIdFilter = None,
        status: TaskStatusFilter = None,
        due_before: DueBefore = None,
        limit: Annotated[int, LIMIT] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, CURSOR] = None,
        fields: TaskFields = None,
    ) -> TaskPage:
        """Tasks, oldest first, filtered; the way to get a task_id, and (with user_id) to check before create_task.

        Returns {items, has_more, next_cursor}; while has_more, call again with cursor=next_cursor and the
        same filters.
        """
        where = TaskFilter(user_id=user_id, status=status, due_before=due_before)
        page = services.list_tasks(where, limit=limit, cursor=cursor)
        return TaskPage.of(page, TASK_FIELDS, fields, fixed=where.fixed_fields())

    @mcp.tool(title="Update a task's status", annotations=IDEMPOTENT_UPDATE)
    @compact_result(TASK_FIELDS)
    @service_tool
    def update_task_status(
        task_id: Annotated[EntityId, TASK_ID],
        status: Annotated[TaskStatus, Field(description="The new status.")],
    ) -> Task:
        """Move a task to another status; returns it. Needs a task_id from list_tasks.

        The same status again changes nothing. To edit title, description or due date, use update_task.
        """
        return services.update_task_status(task_id, status)

    @mcp.tool(title="Edit a task", annotations=IDEMPOTENT_UPDATE)
    @compact_result(TASK_FIELDS)
    @service_tool
    def update_task(
        task_id: Annotated[EntityId, TASK_ID],
        title: Annotated[Title | None, Field(description="New title.")] = None,
        description: Annotated[Description | None, Field(description="New description; empty blanks it.")] = None,
        due_date: Annotated[UtcDatetime | None, DUE_DATE] = None,
    ) -> Task:
        """Change a task's title, description or due date; returns the task. Needs a task_id from list_tasks.

        Only what you give changes (null keeps the value). For the status, use update_task_status.
        """
        # Models often send every optional argument as null, so null means "keep", never "remove".
        changes = {
            name: value
            for name, value in {"title": title, "description": description, "due_date": due_date}.items()
            if value is not None
        }
        return services.update_task(task_id, TaskUpdate.model_validate(changes))
