"""The app factory: settings -> storage -> services, handed to the REST routes and the MCP endpoint."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from mcp.server.transport_security import TransportSecuritySettings

from mcp_server.server import build_mcp
from shared.errors import StorageUnavailable
from shared.runtime import open_services
from shared.services import Services
from shared.settings import Settings
from task_api import __version__
from task_api.board import board_router, mount_board_assets
from task_api.board.feed import BoardFeed
from task_api.change_log import ChangeLogMiddleware
from task_api.docs import redoc_router
from task_api.errors import install_error_handlers
from task_api.home import home_router
from task_api.limits import BodySizeLimitMiddleware
from task_api.routes import api_router
from task_api.security import ApiKeyMiddleware

log = logging.getLogger("task_api")

MCP_PATH = "/mcp"

DESCRIPTION = """\
Users (clients, prospects, partners), scheduled calls and tasks, stored as one JSON object per entity in S3
or a local folder. Every endpoint but `/health` needs the `X-API-Key` header.

The same data and rules are served to LLM agents as an MCP server at `/mcp` (streamable HTTP, same key).
"""


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build one app. Nothing is contacted here; the store is made ready when the app starts."""
    settings = settings or Settings()
    if services is None:
        serving = f"REST and MCP on http://{settings.host}:{settings.port}"
        services = open_services(settings, serving=serving)
    storage = services.storage

    mcp = build_mcp(services)
    hosts = settings.mcp_allowed_hosts()
    # Stateless JSON responses: any replica can answer any request, and no session state to lose.
    mcp_app = mcp.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=hosts,
            allowed_origins=[f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")],
        ),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(storage.ensure_ready)
        except StorageUnavailable as exc:
            # Start anyway: /health answers, requests get 503 until the store is back, and S3 writes
            # create the bucket on first use. Refusing to start would turn a slow LocalStack into a crash.
            log.error("storage not ready yet: %s", exc.message)
        # Mounted inside FastAPI, the MCP app's own lifespan does not run: run its session manager here.
        async with mcp.session_manager.run():
            yield
        await anyio.to_thread.run_sync(storage.close)

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
    app.state.board_feed = BoardFeed(services)
    app.include_router(home_router())
    app.include_router(api_router())
    app.include_router(board_router())
    app.include_router(redoc_router(app.title, app.openapi_url or "/openapi.json"))
    mount_board_assets(app)
    # The MCP routes join the app's own router (not a Mount), so /mcp is served as is, without a redirect.
    app.router.routes.extend(mcp_app.routes)
    install_error_handlers(app)
    # Added last, so it runs first: the key is checked before the body size, and both before the body is read.
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key.get_secret_value())
    # Outermost: one line per change, refused ones included, timed end to end.
    app.add_middleware(ChangeLogMiddleware)
    return app
