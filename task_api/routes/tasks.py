"""/tasks: create, list (filterable), get, change status, edit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shared.fields import TASK_FIELDS
from shared.idempotency import CreateOutcome
from shared.models import Task, TaskCreate, TaskFilter, TaskStatus, TaskUpdate
from task_api.deps import ApiKeyDoc, ServicesDep
from task_api.routes.idempotency import CREATE_RESPONSES, IdempotencyKeyHeader, mark_replay
from task_api.routes.pagination import NEXT_CURSOR_DOC, Cursor, Fields, Limit, list_response, selected

router = APIRouter(prefix="/tasks", tags=["tasks"], dependencies=[ApiKeyDoc])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a new task", responses=CREATE_RESPONSES)
def create_task(
    payload: TaskCreate, services: ServicesDep, response: Response, idempotency_key: IdempotencyKeyHeader = None
) -> Task:
    outcome = CreateOutcome()
    created = services.create_task(payload, idempotency_key=idempotency_key, outcome=outcome)
    mark_replay(response, outcome)
    return created


@router.get("", summary="List all tasks (filterable)", responses=NEXT_CURSOR_DOC, response_model=list[Task])
def list_tasks(
    services: ServicesDep,
    where: Annotated[TaskFilter, Query()],
    limit: Limit = None,
    cursor: Cursor = None,
    fields: Fields = None,
) -> Response:
    chosen = selected(TASK_FIELDS, fields)
    return list_response(services.list_tasks(where, limit=limit, cursor=cursor), Task, chosen)


@router.get("/{task_id}", summary="Get task by ID")
def get_task(task_id: str, services: ServicesDep) -> Task:
    return services.get_task(task_id)


@router.patch("/{task_id}/status", summary="Update task status")
def update_task_status(
    task_id: str,
    services: ServicesDep,
    new_status: Annotated[TaskStatus, Query(description="The task's new status.")],
) -> Task:
    return services.update_task_status(task_id, new_status)


@router.patch(
    "/{task_id}",
    summary="Edit a task",
    description="Change any of title, description, due_date; fields left out stay as they are, "
    "`null` clears description or due_date.",
)
def update_task(task_id: str, payload: TaskUpdate, services: ServicesDep) -> Task:
    return services.update_task(task_id, payload)
