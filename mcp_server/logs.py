"""Logs that tell the story: one line per tool call (tool, entity, outcome, time), the SDK's chatter silenced."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import IO, Any

from pydantic import ValidationError

from mcp_server.pages import ToolPage
from shared.context import current_actor
from shared.errors import DomainError
from shared.models import Entity, Page, ScheduledCall, Task, User

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

tool_log = logging.getLogger("task_api.mcp")

# The SDK logs each request's plumbing at INFO ("Terminating session: None" on every stateless call,
# session manager start and stop); the story lines say what happened, so only its warnings stay.
_QUIET = ("mcp", "httpx", "httpx2")

_KINDS: dict[type[Entity], str] = {User: "user", ScheduledCall: "call", Task: "task"}
_ID_ARGUMENTS = (("task_id", "task"), ("call_id", "call"), ("user_id", "user"))


def configure_logging(stream: IO[str] | None = None, level: int = logging.INFO) -> None:
    """The format of both entry points; `stream` is stderr for stdio, where stdout carries the protocol."""
    logging.basicConfig(stream=stream, level=level, format=LOG_FORMAT)
    quiet()


def quiet() -> None:
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def _entity(result: Any, arguments: Mapping[str, Any]) -> str:
    for model, kind in _KINDS.items():  # isinstance: create_user answers a CreatedUser, a User with a note
        if isinstance(result, model):
            return f"{kind}={result.id}"
    if isinstance(result, Page | ToolPage):
        return f"{len(result.items)} items" + (" (more)" if result.next_cursor else "")
    for argument, name in _ID_ARGUMENTS:
        if arguments.get(argument):
            return f"{name}={arguments[argument]}"
    # The history tools name the entity by kind ("tasks") and id.
    collection, entity_id = arguments.get("kind"), arguments.get("id")
    if isinstance(collection, str) and isinstance(entity_id, str) and entity_id:
        return f"{collection.removesuffix('s')}={entity_id}"
    return "-"


def log_tool_call(
    tool: str, arguments: Mapping[str, Any], elapsed: float, *, result: Any = None, error: BaseException | None = None
) -> None:
    """One line: `MCP <tool> <entity or count> <outcome> (<ms> ms) by <label>`.

    The label is the acting key's (TaskAPIServer.call_tool sets it around the call; the context follows
    the tool into its worker thread).
    """
    milliseconds = elapsed * 1000
    by = current_actor().label
    if error is None:
        tool_log.info("MCP %s %s ok (%.0f ms) by %s", tool, _entity(result, arguments), milliseconds, by)
    elif isinstance(error, DomainError):
        outcome = f"refused: {type(error).__name__}: {error.message}"
        tool_log.info("MCP %s %s %s (%.0f ms) by %s", tool, _entity(None, arguments), outcome, milliseconds, by)
    else:
        if isinstance(error, ValidationError):
            fields = ", ".join(sorted({".".join(map(str, e["loc"])) or "input" for e in error.errors()}))
            outcome = f"refused: invalid {fields}"
            tool_log.info("MCP %s %s %s (%.0f ms) by %s", tool, _entity(None, arguments), outcome, milliseconds, by)
        else:
            # A bug, not a caller's mistake: the SDK logs the traceback; this line keeps the story complete.
            tool_log.warning(
                "MCP %s %s FAILED: %s (%.0f ms) by %s",
                tool,
                _entity(None, arguments),
                type(error).__name__,
                milliseconds,
                by,
            )
