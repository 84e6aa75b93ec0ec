"""/mcp's own front door: exact Host and Origin checks against DNS rebinding, and POST only.

The MCP SDK's check treats "localhost:*" as a prefix, so "localhost:evil" and "localhost:1@evil.com" pass
(upstream issue 3463). Here a Host header is split into a name and a port and both are compared exactly:
the loopback names on the port this server listens on, plus the names in TASK_API_ALLOWED_HOSTS. An Origin,
when a browser sends one, must be this server's own (scheme + an allowed Host) or one of TASK_API_CORS_ORIGINS.

The server is stateless (JSON responses, no sessions): a GET would open an event stream that carries nothing
and never ends, and a DELETE has no session to end. Both answer 405.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.settings import LOOPBACK_NAMES

# A host name or an IPv6 literal in brackets, then an optional port of digits: nothing else.
_HOST = re.compile(r"^(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?$")


def parse_host(value: str) -> tuple[str, int | None] | None:
    """("name", port) from a Host header value, or None when it is not a plain host[:port]."""
    match = _HOST.fullmatch(value)
    if match is None:
        return None
    port = match.group("port")
    return match.group("name").lower(), int(port) if port is not None else None


class HostRule:
    """Which Host values are this server's: exact names, each with one port or (written "name:*") any port."""

    def __init__(self, extra: Iterable[str]) -> None:
        self._exact: set[tuple[str, int | None]] = set()
        self._any_port: set[str] = set()
        for entry in extra:
            if entry.endswith(":*"):
                self._any_port.add(entry[:-2].lower())
                continue
            parsed = parse_host(entry)
            if parsed is None:
                raise ValueError(f"TASK_API_ALLOWED_HOSTS: {entry!r} is not a host[:port]")
            self._exact.add(parsed)

    def allows(self, value: str, server_port: int | None) -> bool:
        parsed = parse_host(value)
        if parsed is None:
            return False
        name, port = parsed
        if name in LOOPBACK_NAMES:
            # The port the client dialled is the one we listen on; a Host without a port means port 80.
            return (port if port is not None else 80) == server_port
        return (name, port) in self._exact or (port is not None and name in self._any_port)


class McpGuardMiddleware:
    def __init__(self, app: ASGIApp, *, path: str, extra_hosts: Iterable[str], origins: Iterable[str]) -> None:
        self.app = app
        self.path = path
        self.hosts = HostRule(extra_hosts)
        self.origins = frozenset(origins)

    def _origin_allowed(self, origin: str, server_port: int | None) -> bool:
        if origin in self.origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or parts.path or parts.query or "@" in parts.netloc:
            return False
        return self.hosts.allows(parts.netloc, server_port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        server = scope.get("server")
        server_port = server[1] if server else None
        host = headers.get("host", "")
        origin = headers.get("origin")
        if not self.hosts.allows(host, server_port):
            await _answer(send, 421, f"Host {host!r} is not this server's; add it to TASK_API_ALLOWED_HOSTS.")
        elif origin is not None and not self._origin_allowed(origin, server_port):
            await _answer(send, 403, f"Origin {origin!r} is not allowed; add it to TASK_API_CORS_ORIGINS.")
        elif scope["method"] != "POST":
            await _answer(
                send,
                405,
                "This MCP endpoint is stateless: send JSON-RPC requests with POST (no event stream, no sessions).",
                extra=[(b"allow", b"POST")],
            )
        else:
            await self.app(scope, receive, send)


async def _answer(send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"success": False, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})
