"""GET /health: liveness, with no key required."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from task_api import __version__

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    timestamp: datetime


@router.get("/health", summary="Check API health (no authentication required)")
def health() -> Health:
    return Health(status="healthy", version=__version__, timestamp=datetime.now(UTC))
