"""/calls: schedule, list (filterable), get, change status, reschedule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shared.fields import CALL_FIELDS
from shared.models import CallCreate, CallFilter, CallReschedule, CallStatus, ScheduledCall
from task_api.deps import ApiKeyDoc, ServicesDep
from task_api.routes.pagination import NEXT_CURSOR_DOC, Cursor, Fields, Limit, list_response, selected

router = APIRouter(prefix="/calls", tags=["calls"], dependencies=[ApiKeyDoc])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Schedule a new call")
def schedule_call(payload: CallCreate, services: ServicesDep) -> ScheduledCall:
    return services.schedule_call(payload)


@router.get("", summary="List all calls (filterable)", responses=NEXT_CURSOR_DOC, response_model=list[ScheduledCall])
def list_calls(
    services: ServicesDep,
    where: Annotated[CallFilter, Query()],
    limit: Limit = None,
    cursor: Cursor = None,
    fields: Fields = None,
) -> Response:
    chosen = selected(CALL_FIELDS, fields)
    return list_response(services.list_calls(where, limit=limit, cursor=cursor), ScheduledCall, chosen)


@router.get("/{call_id}", summary="Get call by ID")
def get_call(call_id: str, services: ServicesDep) -> ScheduledCall:
    return services.get_call(call_id)


@router.patch("/{call_id}/status", summary="Update call status")
def update_call_status(
    call_id: str,
    services: ServicesDep,
    new_status: Annotated[CallStatus, Query(description="The call's new status.")],
) -> ScheduledCall:
    return services.update_call_status(call_id, new_status)


@router.patch(
    "/{call_id}",
    summary="Reschedule a call",
    description="Move a scheduled or rescheduled call to a new time (and optionally a new length); "
    "its status becomes `rescheduled`. A completed or cancelled call cannot be moved (409).",
)
def reschedule_call(call_id: str, payload: CallReschedule, services: ServicesDep) -> ScheduledCall:
    return services.reschedule_call(call_id, payload)
