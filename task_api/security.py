"""API key check for every path but the open ones, made before the request body is read.

Each key maps to a grant (its label, and whether it may change data). The grant goes into the request's
scope (`request.state.grant`), where the MCP transport reads it per message; REST requests run as the
key's label (`shared.context.acting`), so the history and the change log say who.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote_plus

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.access import GRANT_STATE, ApiKey, Grant
from shared.context import Actor, acting

# Query parameters that look like a credential, compared without case, "-" or "_": api_key, apiKey, x-api-key...
_KEY_PARAMS = frozenset({"apikey", "xapikey", "key", "token", "accesstoken", "authorization", "auth", "bearer"})
_KEY_IN_URL = (
    "Send the API key in the X-API-Key header (or Authorization: Bearer), never in the URL: "
    "URLs end up in logs, browser history and proxies. This request was refused and its URL not logged."
)

OPEN_PATHS = frozenset(
    {"/", "/health", "/health/ready", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/board"}
)
# Static assets of the docs and the board: public files shipped in packages, no data. The board's data comes
# from /board/state, which needs the key like every other endpoint.
OPEN_PREFIXES = ("/static-offline-docs/", "/board/static/")


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or (path.startswith(OPEN_PREFIXES) and ".." not in path)


# The methods that change data. POST on the MCP endpoint is its transport, not a change: there the MCP
# layer decides, per tool, from the same grant.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _reject(message: str) -> bytes:
    return json.dumps({"success": False, "message": message}).encode()


class ApiKeyMiddleware:
    """Accepts the key as `X-API-Key: <key>` or `Authorization: Bearer <key>` (what MCP clients send).

    A missing or wrong key gets 403 with the spec's JSON body. Not 401: MCP clients such as Claude Code
    read a 401 from /mcp as an OAuth challenge and start a registration flow that cannot succeed.
    """

    def __init__(
        self, app: ASGIApp, keys: Sequence[ApiKey], *, read_only: bool = False, mcp_path: str = "/mcp"
    ) -> None:
        self.app = app
        # A read-only server turns every key into a read-only one.
        self._grants = [(key.secret.encode(), Grant(key.label, key.read_only or read_only)) for key in keys]
        self._plain_keys = [key.secret for key in keys]
        self._read_only_server = read_only
        self._mcp_path = mcp_path

    def _grant(self, presented: str) -> Grant | None:
        """The grant of the key presented, compared in constant time with every key (no early exit)."""
        given = presented.encode()
        found = None
        for secret, grant in self._grants:
            if hmac.compare_digest(given, secret) and found is None:
                found = grant
        return found

    def _key_in_query(self, query_string: bytes) -> bool:
        query = query_string.decode("latin-1")
        unquoted = unquote_plus(query)
        if any(key in unquoted for key in self._plain_keys):
            return True
        return any(_squash(name) in _KEY_PARAMS for name, _ in parse_qsl(query, keep_blank_values=True))

    def _read_only_refusal(self, grant: Grant) -> str:
        if self._read_only_server:
            return "This server is read-only (TASK_API_READ_ONLY): data can be read but not changed."
        return (
            f"This API key ({grant.label}) is read-only: it can read but not change data. "
            "Use a full key (TASK_API_KEY or TASK_API_KEYS) to make changes."
        )

    def _presented_key(self, headers: Headers) -> str | None:
        if "x-api-key" in headers:
            return headers["x-api-key"]
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 403
        if self._key_in_query(scope.get("query_string", b"")):
            status, body = 400, _reject(_KEY_IN_URL)
        elif is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        elif (presented := self._presented_key(Headers(scope=scope))) is None:
            body = _reject("Missing API key: send it in the X-API-Key header.")
        elif (grant := self._grant(presented)) is None:
            body = _reject("Invalid API key")
        else:
            # A new dict: the "state" uvicorn hands each request is a copy, but nothing here relies on it.
            scope["state"] = {**scope.get("state", {}), GRANT_STATE: grant}
            if scope["path"].rstrip("/") == self._mcp_path:
                await self.app(scope, receive, send)
                return
            if not (grant.read_only and scope["method"] in WRITE_METHODS):
                with acting(Actor(grant.label, "rest")):
                    await self.app(scope, receive, send)
                return
            body = _reject(self._read_only_refusal(grant))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _squash(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


_QUERY_PARAM = re.compile(r"(?P<name>[^&=?]+)=(?P<value>[^&]*)")


class RedactKeysFilter(logging.Filter):
    """Keeps credentials out of uvicorn's access log: the value of any key-like query parameter, and the key
    itself wherever it appears in the logged URL, become "REDACTED". The request itself is refused (400)."""

    def __init__(self, api_keys: Sequence[str]) -> None:
        super().__init__()
        self._keys = [key for key in api_keys if key]

    def _redact(self, path: str) -> str:
        target, sep, query = path.partition("?")
        if sep:

            def hide(match: re.Match[str]) -> str:
                if _squash(unquote_plus(match.group("name"))) in _KEY_PARAMS:
                    return f"{match.group('name')}=REDACTED"
                return match.group(0)

            path = f"{target}?{_QUERY_PARAM.sub(hide, query)}"
        unquoted, unquoted_target = unquote_plus(path), unquote_plus(target)
        if any(key in unquoted for key in self._keys):
            in_target = any(key in unquoted_target for key in self._keys)
            path = f"{target}?REDACTED" if sep and not in_target else "REDACTED"
        return path

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn.access: '%s - "%s %s HTTP/%s" %d' with (client, method, path and query, version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], self._redact(args[2]), *args[3:])
        return True
