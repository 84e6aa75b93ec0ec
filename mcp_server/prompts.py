"""The MCP prompts: the demo's workflows, written as step-by-step instructions over the tools."""

from datetime import date, datetime, time, timedelta
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from shared.models import as_utc
from shared.services import Clock

ONBOARDING_MINUTES = 45
ONBOARDING_HOUR = time(10, 0)  # UTC
FOLLOW_UP_DUE = time(12, 0)  # UTC, on the Monday after the week


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _at(day: date, at: time) -> datetime:
    return as_utc(datetime.combine(day, at))


def _next_working_day(today: date) -> date:
    day = today + timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return day


def register_prompts(mcp: MCPServer, clock: Clock) -> None:
    # Dates are computed when a prompt is rendered, so a long-running server never offers a stale week.

    @mcp.prompt(title="Onboard a new client")
    def onboard_client(
        name: Annotated[str, Field(description="The client's full name, e.g. María García.")],
        email: Annotated[str, Field(description="The client's email address.")],
        company: Annotated[str, Field(description="The client's company.")],
    ) -> str:
        """Register a new client (unless they already exist) and book their onboarding call."""
        today = as_utc(clock()).date()
        slot = _at(_next_working_day(today), ONBOARDING_HOUR)
        return f"""Onboard a new client: {name} <{email}> from {company}. Today is {today:%A %d %B %Y} (UTC).

1. Avoid a duplicate: call find_users with query "{email}", and if nothing matches, with query "{name}".
   If one of them is this person, use that user's id and do not call create_user.
2. Otherwise call create_user with name "{name}", email "{email}", company "{company}" and
   user_type "client". Keep the id it returns.
3. Call list_calls with that user_id. Unless it already shows an onboarding call that is scheduled or
   rescheduled, call schedule_call with that user_id, title "Onboarding call - {company}",
   scheduled_for "{_iso(slot)}" and duration_minutes {ONBOARDING_MINUTES}.
4. If a tool returns an error, read it: it says what to call to fix it.
5. Reply with the user's id, whether they were new or already registered, and the call's id and time."""

    @mcp.prompt(title="Weekly follow-ups")
    def weekly_follow_ups() -> str:
        """Create a follow-up task for everyone with a call this week, skipping those who already have one."""
        now = as_utc(clock())
        monday = now.date() - timedelta(days=now.weekday())
        week_start = _at(monday, time.min)
        week_end = _at(monday + timedelta(days=6), time(23, 59, 59))
        due = _at(monday + timedelta(days=7), FOLLOW_UP_DUE)
        return f"""Create follow-up tasks for everyone who has a call this week, without creating duplicates.
Today is {now:%A %d %B %Y} (UTC); this week runs from {week_start:%A %d %B} to {week_end:%A %d %B %Y}.

1. Call list_calls with scheduled_from "{_iso(week_start)}" and scheduled_to "{_iso(week_end)}".
   While has_more is true, call it again with cursor set to next_cursor and the same filters.
   Leave out cancelled calls.
2. For each distinct user_id among those calls:
   a. Call get_user with the user_id, for their name and company.
   b. Call list_tasks with that user_id. If a task whose title starts with "Follow up" is todo or
      in_progress, they already have a follow-up: skip them.
   c. Otherwise call create_task with title "Follow up with <name> (<company>)", that user_id,
      due_date "{_iso(due)}", and a description naming this week's call(s) with them.
3. Reply with a short table: user, their calls this week, and whether a follow-up was created or
   already there."""
