"""The REST routes, one router per resource, collected into one router."""

from __future__ import annotations

from fastapi import APIRouter

from task_api.routes import calls, health, tasks, users


def api_router() -> APIRouter:
    router = APIRouter()
    router.include_router(health.router)
    router.include_router(users.router)
    router.include_router(calls.router)
    router.include_router(tasks.router)
    return router
