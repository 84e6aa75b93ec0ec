"""Who is acting, and in which time zone their input is read: set by each adapter around a request.

REST sets them in its middleware for the request, MCP around each tool call, the CLI for its run. They are
context variables, so they follow the request into the worker thread that runs the blocking service code
(anyio copies the context there) and never leak from one request into another. Outside any request (tests,
scripts) the defaults apply: the "system" actor and UTC.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Literal

Channel = Literal["rest", "mcp", "cli", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: the label of the key they used (never the key) and the door they came through."""

    label: str
    via: Channel


SYSTEM = Actor(label="system", via="system")

_actor: ContextVar[Actor] = ContextVar("task_api_actor", default=SYSTEM)
_zone: ContextVar[tzinfo] = ContextVar("task_api_input_zone", default=UTC)


def current_actor() -> Actor:
    return _actor.get()


def input_zone() -> tzinfo:
    """The zone a date-time without an offset is read in (TASK_API_TIMEZONE; UTC unless set)."""
    return _zone.get()


@contextlib.contextmanager
def acting(actor: Actor | None = None, *, zone: tzinfo | None = None) -> Iterator[None]:
    """Within the block, changes are made by `actor` and naive date-times are read in `zone`."""
    actor_token = None if actor is None else _actor.set(actor)
    zone_token = None if zone is None else _zone.set(zone)
    try:
        yield
    finally:
        if zone_token is not None:
            _zone.reset(zone_token)
        if actor_token is not None:
            _actor.reset(actor_token)
