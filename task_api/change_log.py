"""One log line per REST change: method and route, the entity, the status, how long it took, and by whom.

Reads are not logged (the board alone polls every second per viewer); MCP calls are logged per tool by
`mcp_server.logs`, so the /mcp transport requests are left out here.
"""

from __future__ import annotations

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.access import grant_in

log = logging.getLogger("task_api.rest")

_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KINDS = {"users": "user", "calls": "call", "tasks": "task"}
_MAX_CAPTURED = 64 * 1024  # a created entity is a few KiB; the id is read from bodies no larger than this


def _entity(scope: Scope, status: int, body: bytes) -> str:
    segments = scope["path"].strip("/").split("/")
    kind = _KINDS.get(segments[0], "")
    if len(segments) > 1:
        return f"{kind or segments[0]}={segments[1]}"
    if status == 201 and body:
        try:
            created = json.loads(body)
        except ValueError:
            return "-"
        if isinstance(created, dict) and isinstance(created.get("id"), str):
            return f"{kind or 'id'}={created['id']}"
    return "-"


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else scope["path"]


class ChangeLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _CHANGES or scope["path"].startswith("/mcp"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        replayed = False
        body = bytearray()

        async def recording_send(message: Message) -> None:
            nonlocal status, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                replayed = (b"idempotent-replayed", b"true") in message.get("headers", [])
            elif message["type"] == "http.response.body" and len(body) < _MAX_CAPTURED:
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            outcome = str(status) if status < 400 else f"{status} {_reason(bytes(body))}".rstrip()
            if replayed:  # a retry answered from its idempotency record: nothing was changed
                outcome += " replayed"
            # The key's label, left in the scope by the API key middleware; none when the key was refused.
            grant = grant_in(scope)
            log.info(
                "REST %s %s %s %s (%.0f ms)%s",
                scope["method"],
                _route(scope),
                _entity(scope, status, bytes(body)),
                outcome,
                milliseconds,
                f" by {grant.label}" if grant is not None else "",
            )


def _reason(body: bytes) -> str:
    """The error's own words (`message`, or the first validation problem), kept short."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    if isinstance(payload, dict):
        message = payload.get("message")
        if isinstance(message, str):
            return message[:160]
        detail = payload.get("detail")
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            loc = ".".join(str(part) for part in detail[0].get("loc", []))
            return f"invalid {loc}: {detail[0].get('msg', '')}"[:160]
    return ""
