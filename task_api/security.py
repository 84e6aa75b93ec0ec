"""API key check for every path but the open ones, made before the request body is read."""

from __future__ import annotations

import hmac
import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = frozenset({"/", "/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/board"})
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

    def _presented_key(self, headers: Headers) -> str | None:
        if "x-api-key" in headers:
            return headers["x-api-key"]
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        presented = self._presented_key(Headers(scope=scope))
        if presented is None:
            body = _reject("Missing API key: send it in the X-API-Key header.")
        elif not hmac.compare_digest(presented.encode(), self._key):
            body = _reject("Invalid API key")
        else:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
