"""The zone a date-time without an offset is read in, set around every request (TASK_API_TIMEZONE)."""

from __future__ import annotations

from datetime import tzinfo

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.context import acting


class InputZoneMiddleware:
    """Around the whole request, so body and query validation, and the route, all read naive input in `zone`."""

    def __init__(self, app: ASGIApp, *, zone: tzinfo) -> None:
        self.app = app
        self.zone = zone

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with acting(zone=self.zone):
            await self.app(scope, receive, send)
