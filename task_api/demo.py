"""`task-api demo`: the three PyCon scenarios, played through a real MCP client session, no LLM and no network.

Against a running server's /mcp (the default) or in-process with `--local`. Each tool call and its result is
printed as it happens; with the board open, the audience sees every step land. Safe to run again: it finds
what an earlier run made and creates nothing twice.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, TextIO

import anyio
from mcp import Client
from mcp.types import TextContent

from mcp_server.prompts import FOLLOW_UP_DUE, ONBOARDING_HOUR, ONBOARDING_MINUTES
from shared.models import as_utc

MARIA = {"name": "María García", "email": "maria.garcia@techcorp.example", "company": "TechCorp"}
ONBOARDING_TITLE = "Onboarding call - TechCorp"
FOLLOW_UP_PREFIX = "Follow up"
PENDING = ("scheduled", "rescheduled")
OPEN_TASK = ("todo", "in_progress")
PAGE = 200


class DemoFailed(Exception):
    """A tool answered with an error the demo cannot go on from."""


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def next_friday(today: datetime) -> datetime:
    """The first Friday after today, at the onboarding hour (UTC)."""
    days = (4 - today.weekday()) % 7 or 7
    return as_utc(datetime.combine(today.date() + timedelta(days=days), ONBOARDING_HOUR))


def this_week(now: datetime) -> tuple[datetime, datetime]:
    monday = now.date() - timedelta(days=now.weekday())
    return as_utc(datetime.combine(monday, time.min)), as_utc(datetime.combine(monday + timedelta(6), time.max))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + '..."'


def describe(result: dict[str, Any]) -> str:
    """A result in one readable line: the entity's key facts, or a list's size."""
    if "items" in result:
        more = " (more pages)" if result.get("next_cursor") else ""
        return f"{len(result['items'])} found{more}"
    if "email" in result:
        return f"user {result['name']} <{result['email']}>, {result['company']} · id {result['id']}"
    if "scheduled_for" in result:
        when = datetime.fromisoformat(result["scheduled_for"].replace("Z", "+00:00"))
        return f"call “{result['title']}” {when:%a %d %b %H:%M} UTC · {result['status']} · id {result['id']}"
    due = f" · due {result['due_date'][:10]}" if result.get("due_date") else ""
    return f"task “{result['title']}” · {result['status']}{due} · id {result['id']}"


@dataclass
class Narrator:
    client: Client
    out: TextIO
    pause: float = 0.0
    colour: bool = False
    created: dict[str, int] = field(default_factory=lambda: {"user": 0, "call": 0, "task": 0})
    changed: int = 0

    def _paint(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def scenario(self, number: int, title: str) -> None:
        self.say("")
        self.say(self._paint("1", f"Scenario {number} · {title}"))

    def note(self, text: str) -> None:
        self.say(f"    {self._paint('2', text)}")

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        shown = ", ".join(f"{name}={_short(value)}" for name, value in arguments.items())
        self.say(f"  → {self._paint('36', tool)}({shown})")
        result = await self.client.call_tool(tool, arguments)
        if result.is_error:
            text = " ".join(c.text for c in result.content if isinstance(c, TextContent))
            self.say(f"  ← {self._paint('31', 'error: ' + text)}")
            raise DemoFailed(f"{tool} failed: {text}")
        structured = result.structured_content or {}
        self.say(f"  ← {describe(structured)}")
        if tool in ("create_user", "schedule_call", "create_task"):
            self.created[tool.split("_")[-1]] += 1
        elif tool.startswith("update_"):
            self.changed += 1
        if self.pause:
            await anyio.sleep(self.pause)
        return structured

    async def all_items(self, tool: str, **arguments: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await self.call(tool, **arguments, limit=PAGE, **({"cursor": cursor} if cursor else {}))
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items


async def onboard_maria(n: Narrator, now: datetime) -> None:
    n.scenario(1, "Register María García at TechCorp (unless she exists) and book her onboarding call")
    found = await n.call("find_users", query=MARIA["email"])
    if found["items"]:
        user = found["items"][0]
        n.note(f"{user['name']} is already registered: no new user.")
    else:
        user = await n.call("create_user", **MARIA, user_type="client")
    calls = await n.all_items("list_calls", user_id=user["id"])
    booked = [c for c in calls if c["title"].startswith("Onboarding") and c["status"] != "cancelled"]
    if booked:
        n.note(f"Her onboarding call is already booked ({booked[0]['status']}): nothing to book.")
        return
    slot = next_friday(now)
    await n.call(
        "schedule_call",
        user_id=user["id"],
        title=ONBOARDING_TITLE,
        scheduled_for=iso(slot),
        duration_minutes=ONBOARDING_MINUTES,
    )


async def complete_earliest_call(n: Narrator, now: datetime) -> None:
    n.scenario(2, "List this week's pending calls and complete the earliest")
    start, end = this_week(now)
    calls = await n.all_items("list_calls", scheduled_from=iso(start), scheduled_to=iso(end))
    pending = sorted((c for c in calls if c["status"] in PENDING), key=lambda c: c["scheduled_for"])
    if not pending:
        n.note("No pending calls this week: nothing to complete.")
        return
    for call in pending:
        n.note(describe(call))
    await n.call("update_call_status", call_id=pending[0]["id"], status="completed")


async def follow_ups(n: Narrator, now: datetime) -> None:
    n.scenario(3, "Create follow-up tasks for everyone with a call this week, skipping those who have one open")
    start, end = this_week(now)
    monday = start.date()
    due = as_utc(datetime.combine(monday + timedelta(days=7), FOLLOW_UP_DUE))
    calls = await n.all_items("list_calls", scheduled_from=iso(start), scheduled_to=iso(end))
    by_user: dict[str, list[dict[str, Any]]] = {}
    for call in calls:
        if call["status"] != "cancelled":
            by_user.setdefault(call["user_id"], []).append(call)
    if not by_user:
        n.note("Nobody has a call this week.")
    for user_id, their_calls in by_user.items():
        user = await n.call("get_user", user_id=user_id)
        tasks = await n.all_items("list_tasks", user_id=user_id)
        open_follow_up = [t for t in tasks if t["title"].startswith(FOLLOW_UP_PREFIX) and t["status"] in OPEN_TASK]
        if open_follow_up:
            n.note(f"{user['name']} already has an open follow-up: skipped.")
            continue
        titles = "; ".join(f"{c['title']} ({c['scheduled_for'][:10]})" for c in their_calls)
        await n.call(
            "create_task",
            title=f"Follow up with {user['name']} ({user['company']})",
            user_id=user_id,
            due_date=iso(due),
            description=f"After this week's call(s): {titles}"[:1000],
        )


SCENARIOS = (onboard_maria, complete_earliest_call, follow_ups)


async def play(
    client: Client, *, out: TextIO = sys.stdout, pause: float = 0.0, clock: Callable[[], datetime] | None = None
) -> Narrator:
    """Every scenario in order, through `client`; returns what was created and changed."""
    now = as_utc(clock() if clock else datetime.now().astimezone())
    narrator = Narrator(client, out, pause=pause, colour=out.isatty())
    async with client:
        for scenario in SCENARIOS:
            await scenario(narrator, now)
    made = ", ".join(f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in narrator.created.items())
    total = sum(narrator.created.values())
    narrator.say("")
    narrator.say(f"Done. Created {made if total else 'nothing'}; changed {narrator.changed} call(s).")
    return narrator
