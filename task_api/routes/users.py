"""/users: create, list (and search), get."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shared.fields import USER_FIELDS
from shared.idempotency import CreateOutcome
from shared.models import User, UserCreate, UserQuery
from task_api.deps import ApiKeyDoc, ServicesDep
from task_api.routes.idempotency import CREATE_RESPONSES, IdempotencyKeyHeader, mark_replay
from task_api.routes.pagination import NEXT_CURSOR_DOC, Cursor, Fields, Limit, list_response, selected

router = APIRouter(prefix="/users", tags=["users"], dependencies=[ApiKeyDoc])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a new user", responses=CREATE_RESPONSES)
def create_user(
    payload: UserCreate, services: ServicesDep, response: Response, idempotency_key: IdempotencyKeyHeader = None
) -> User:
    outcome = CreateOutcome()
    created = services.create_user(payload, idempotency_key=idempotency_key, outcome=outcome)
    mark_replay(response, outcome)
    return created


@router.get("", summary="List all users, or search them", responses=NEXT_CURSOR_DOC, response_model=list[User])
def list_users(
    services: ServicesDep,
    search: Annotated[UserQuery, Query()],
    limit: Limit = None,
    cursor: Cursor = None,
    fields: Fields = None,
) -> Response:
    chosen = selected(USER_FIELDS, fields)
    return list_response(services.list_users(search, limit=limit, cursor=cursor), User, chosen)


@router.get("/{user_id}", summary="Get user by ID")
def get_user(user_id: str, services: ServicesDep) -> User:
    return services.get_user(user_id)
