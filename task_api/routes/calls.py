"""/calls: schedule, list (filterable), get, change status, reschedule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shared.fields import CALL_FIELDS
from shared.idempotency import CreateOutcome
from shared.models import CallCreate, CallFilter, CallReschedule, CallStatus, ScheduledCall
from task_api.deps import ApiKeyDoc, ServicesDep
from task_api.overlaps import AllowOverlap, name_overlaps, overlap_responses
from task_api.routes.idempotency import CREATE_RESPONSES, IdempotencyKeyHeader, mark_replay
from task_api.routes.pagination import NEXT_CURSOR_DOC, Cursor, Fields, Limit, list_response, selected

router = APIRouter(prefix="/calls", tags=["calls"], dependencies=[ApiKeyDoc])

# POST /calls documents both its headers on 201: the replay of an idempotent create and the overlapping calls.
_SCHEDULE_RESPONSES = {**CREATE_RESPONSES, **overlap_responses(201)}
_SCHEDULE_RESPONSES[201] = {
    "headers": {**CREATE_RESPONSES[201]["headers"], **overlap_responses(201)[201]["headers"]},
}


@router.post("", status_code=status.HTTP_201_CREATED, summary="Schedule a new call", responses=_SCHEDULE_RESPONSES)
def schedule_call(
    payload: CallCreate,
    services: ServicesDep,
    response: Response,
    allow_overlap: AllowOverlap = True,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ScheduledCall:
    outcome = CreateOutcome()
    call = services.schedule_call(
        payload, allow_overlap=allow_overlap, idempotency_key=idempotency_key, outcome=outcome
    )
    mark_replay(response, outcome)
    name_overlaps(response, services, call, checked=not allow_overlap)
    return call


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
    responses=overlap_responses(200),
)
def reschedule_call(
    call_id: str, payload: CallReschedule, services: ServicesDep, response: Response, allow_overlap: AllowOverlap = True
) -> ScheduledCall:
    call = services.reschedule_call(call_id, payload, allow_overlap=allow_overlap)
    name_overlaps(response, services, call, checked=not allow_overlap)
    return call
