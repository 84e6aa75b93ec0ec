"""GET /health (liveness) and GET /health/ready (readiness), with no key required; HEAD works on both.

Liveness answers from the event loop with no blocking work: it never waits for a worker thread, so it stays
fast when every thread is stuck on S3. Readiness asks the store, with a deadline, on threads of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.errors import StorageUnavailable
from shared.services import Services
from task_api import __version__
from task_api.errors import ErrorBody, failure

router = APIRouter(tags=["health"])

# A readiness probe must answer before the prober gives up (Docker's health check allows 3 s).
READY_DEADLINE_SECONDS = 2.0


class Health(BaseModel):
    status: str = Field(examples=["healthy"])
    version: str = Field(examples=[__version__])
    timestamp: datetime


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    version: str = Field(examples=[__version__])
    storage: str = Field(description="Where the data lives.", examples=["S3 bucket mcp-pycon-demo-bucket at AWS"])
    timestamp: datetime


# HEAD is served too (probes and load balancers use it), without a second operation in the OpenAPI document.
@router.head("/health", include_in_schema=False)
@router.get("/health", summary="Liveness: the process answers (no authentication required)")
async def health() -> Health:
    return Health(status="healthy", version=__version__, timestamp=datetime.now(UTC))


@router.head("/health/ready", include_in_schema=False, response_model=Readiness)
@router.get(
    "/health/ready",
    summary="Readiness: the store works (no authentication required)",
    response_model=Readiness,
    responses={503: {"model": ErrorBody, "description": "The store does not work; the message says why."}},
)
async def ready(request: Request) -> Readiness | JSONResponse:
    services: Services = request.app.state.services
    storage = services.storage
    try:
        with anyio.fail_after(READY_DEADLINE_SECONDS):
            await anyio.to_thread.run_sync(
                storage.check, abandon_on_cancel=True, limiter=request.app.state.probe_limiter
            )
    except TimeoutError:
        return failure(
            503, f"Storage unavailable: {storage.describe()} did not answer within {READY_DEADLINE_SECONDS:g} s"
        )
    except StorageUnavailable as exc:
        return failure(503, exc.message)
    return Readiness(status="ready", version=__version__, storage=storage.describe(), timestamp=datetime.now(UTC))
