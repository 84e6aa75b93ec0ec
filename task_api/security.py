"""API key check for every path but the open ones, made before the request body is read."""

from __future__ import annotations

import hmac
import json
import logging
import re
from urllib.parse import parse_qsl, unquote_plus

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

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


def _reject(message: str) -> bytes:
    return json.dumps({"success": False, "message": message}).encode()


class ApiKeyMiddleware:
    """Accepts the key as `X-API-Key: <key>` or `Authorization: Bearer <key>` (what MCP clients send).

    A missing or wrong key gets 403 with the spec's JSON body. Not 401: MCP clients such as Claude Code
    read a 401 from /mcp as an OAuth challenge and start a registration flow that cannot succeed.
    """

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()
        self._plain_key = api_key

    def _key_in_query(self, query_string: bytes) -> bool:
        query = query_string.decode("latin-1")
        if self._plain_key in unquote_plus(query):
            return True
        return any(_squash(name) in _KEY_PARAMS for name, _ in parse_qsl(query, keep_blank_values=True))

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
        elif not hmac.compare_digest(presented.encode(), self._key):
            body = _reject("Invalid API key")
        else:
            await self.app(scope, receive, send)
            return
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

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self._key = api_key

    def _redact(self, path: str) -> str:
        target, sep, query = path.partition("?")
        if sep:

            def hide(match: re.Match[str]) -> str:
                if _squash(unquote_plus(match.group("name"))) in _KEY_PARAMS:
                    return f"{match.group('name')}=REDACTED"
                return match.group(0)

            path = f"{target}?{_QUERY_PARAM.sub(hide, query)}"
        if self._key and self._key in unquote_plus(path):
            path = f"{target}?REDACTED" if sep and self._key not in unquote_plus(target) else "REDACTED"
        return path

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn.access: '%s - "%s %s HTTP/%s" %d' with (client, method, path and query, version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], self._redact(args[2]), *args[3:])
        return True
