"""The REST routes, one router per resource, collected into one router."""

from __future__ import annotations

from fastapi import APIRouter

from shared.models import ScheduledCall, Task, User
from task_api.errors import COMMON_ERRORS, ENTITY_ERRORS, error_responses
from task_api.routes import calls, health, tasks, users
from task_api.routes.history import history_router


def api_router() -> APIRouter:
    """Every error a route can answer is declared here, once per router, with the JSON error shape; FastAPI
    adds 422 (its validation format, which InvalidInput also uses) to every route that takes input."""
    router = APIRouter()
    router.include_router(health.router, responses=error_responses(400, 413))
    resources = error_responses(*COMMON_ERRORS, *ENTITY_ERRORS)
    router.include_router(users.router, responses=resources)
    router.include_router(calls.router, responses=resources)
    router.include_router(tasks.router, responses=resources)
    router.include_router(history_router("users", User), responses=resources)
    router.include_router(history_router("calls", ScheduledCall), responses=resources)
    router.include_router(history_router("tasks", Task), responses=resources)
    return router
