"""The app factory: settings -> storage -> services, handed to the REST routes and the MCP endpoint."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from mcp.server.transport_security import TransportSecuritySettings

from mcp_server.server import build_mcp
from shared.runtime import open_services
from shared.services import Services
from shared.settings import Settings
from shared.storage.startup import keep_trying_until_ready
from task_api import __version__
from task_api.board import board_router, mount_board_assets
from task_api.board.feed import BoardFeed
from task_api.change_log import ChangeLogMiddleware
from task_api.docs import redoc_router
from task_api.errors import COMMON_ERRORS, error_responses, install_error_handlers
from task_api.home import home_router
from task_api.input_zone import InputZoneMiddleware
from task_api.limits import BodySizeLimitMiddleware
from task_api.mcp_guard import McpGuardMiddleware
from task_api.routes import api_router
from task_api.security import ApiKeyMiddleware, RedactKeysFilter

log = logging.getLogger("task_api")

MCP_PATH = "/mcp"

DESCRIPTION = """\
Users (clients, prospects, partners), scheduled calls and tasks, stored as one JSON object per entity in S3
or a local folder. Every endpoint but `/health` and `/health/ready` needs the `X-API-Key` header.

The same data and rules are served to LLM agents as an MCP server at `/mcp` (streamable HTTP, same key).
"""


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build one app. Nothing is contacted here; the store is made ready when the app starts."""
    settings = settings or Settings()
    if services is None:
        serving = f"REST and MCP on http://{settings.host}:{settings.port}"
        services = open_services(settings, serving=serving)
    storage = services.storage

    mcp = build_mcp(services, read_only=settings.read_only, toolsets=settings.enabled_toolsets(), zone=settings.zone)
    # Threads for the server's own work (the start-up check, readiness probes), apart from anyio's default
    # limiter that requests use: with every request thread stuck on S3, these still run.
    app_limiter = anyio.CapacityLimiter(4)
    # Stateless JSON responses: any replica can answer any request, and no session state to lose.
    # The SDK's Host/Origin check matches "name:*" as a prefix; McpGuardMiddleware matches exactly instead.
    mcp_app = mcp.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    keys = settings.access_keys()
    redact = RedactKeysFilter([key.secret for key in keys])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Added here, not at build time: the server configures its loggers before the app starts.
        access_log = logging.getLogger("uvicorn.access")
        access_log.addFilter(redact)
        # The store is made ready in the background: the port opens at once, whatever S3 does. Until it is
        # ready, /health answers, /health/ready says why not, and requests get a 503 naming the cause.
        stop = threading.Event()
        async with anyio.create_task_group() as background:
            background.start_soon(
                lambda: anyio.to_thread.run_sync(
                    keep_trying_until_ready, storage, stop, log, abandon_on_cancel=True, limiter=app_limiter
                )
            )
            # Mounted inside FastAPI, the MCP app's own lifespan does not run: run its session manager here.
            async with mcp.session_manager.run():
                yield
            stop.set()
            background.cancel_scope.cancel()
        await anyio.to_thread.run_sync(storage.close, abandon_on_cancel=True, limiter=app_limiter)
        access_log.removeFilter(redact)

    # Swagger UI and ReDoc from the assets bundled in fastapi-offline, not a CDN: the docs work with no network.
    app = FastAPIOffline(
        title="Task API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,  # served by task_api.docs instead, with a policy that keeps it offline
    )
    app.state.settings = settings
    app.state.services = services
    app.state.mcp = mcp
    app.state.probe_limiter = app_limiter
    app.state.board_feed = BoardFeed(services)
    app.include_router(home_router())
    app.include_router(api_router())
    # Every error the board's data can answer, as for the REST routes (task_api/routes/__init__.py).
    app.include_router(board_router(), responses=error_responses(*COMMON_ERRORS))
    app.include_router(redoc_router(app.title, app.openapi_url or "/openapi.json"))
    mount_board_assets(app)
    # The MCP routes join the app's own router (not a Mount), so /mcp is served as is, without a redirect.
    app.router.routes.extend(mcp_app.routes)
    install_error_handlers(app)
    # Innermost: everything that reads the request's input runs in the configured zone.
    app.add_middleware(InputZoneMiddleware, zone=settings.zone)
    # Added last, so it runs first: CORS preflights are answered without a key; then /mcp's Host and Origin,
    # then the key, before the body size, and all before the body is read.
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(ApiKeyMiddleware, keys=keys, read_only=settings.read_only, mcp_path=MCP_PATH)
    app.add_middleware(
        McpGuardMiddleware,
        path=MCP_PATH,
        extra_hosts=settings.extra_allowed_hosts(),
        origins=settings.allowed_cors_origins(),
    )
    if origins := settings.allowed_cors_origins():  # none by default: no cross-origin browser access
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=[
                "X-API-Key",
                "Authorization",
                "Content-Type",
                "Accept",
                "Mcp-Protocol-Version",
                "Idempotency-Key",
            ],
            expose_headers=["X-Next-Cursor", "Retry-After", "Idempotent-Replayed", "X-Overlapping-Calls"],
            max_age=600,
        )
    # Outermost (after CORS): one line per change, refused ones included, timed end to end.
    app.add_middleware(ChangeLogMiddleware)
    return app
