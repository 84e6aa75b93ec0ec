"""Overlapping calls over REST: the `allow_overlap` query flag, the X-Overlapping-Calls header, the 409 body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response

from shared.models import ScheduledCall
from shared.services import Services
from task_api.errors import CallOverlapBody, ErrorBody

OVERLAPPING_CALLS_HEADER = "X-Overlapping-Calls"

# The spec books every call, so REST does by default; false asks for the conflict check MCP applies by default.
AllowOverlap = Annotated[
    bool,
    Query(
        description="`false`: refuse (409) a time that overlaps another scheduled or rescheduled call of the same "
        "user, naming the clash and offering free slots of the same length. `true` (the default): book it and "
        f"name the overlapped calls in the `{OVERLAPPING_CALLS_HEADER}` response header.",
    ),
]


_BUSY = "0192f5e0-7b1c-7cc3-9d2e-6f1a2b3c4d5e"
_OVERLAP_EXAMPLE = {
    "success": False,
    "message": f"A call at 2025-10-27T10:30:00Z for 45 min overlaps 1 other call of the same user: {_BUSY} "
    "\u201cOnboarding Call - Test Azollon\u201d at 2025-10-27T10:00:00Z for 60 min. Free slots of 45 min: "
    "2025-10-27T11:00:00Z, 2025-10-27T11:15:00Z, 2025-10-27T11:30:00Z.",
    "overlapping_calls": [
        {
            "id": _BUSY,
            "user_id": "550e8400-e29b-41d4-a716-446655440000",
            "title": "Onboarding Call - Test Azollon",
            "scheduled_for": "2025-10-27T10:00:00Z",
            "duration_minutes": 60,
            "notes": None,
            "status": "scheduled",
            "created_at": "2025-10-24T10:30:00Z",
            "updated_at": "2025-10-24T10:30:00Z",
        }
    ],
    "free_slots": ["2025-10-27T11:00:00Z", "2025-10-27T11:15:00Z", "2025-10-27T11:30:00Z"],
}


def name_overlaps(response: Response, services: Services, call: ScheduledCall, *, checked: bool) -> None:
    """Name the calls `call` overlaps in the response header; none when the booking was checked for them."""
    if checked:
        return
    if overlapping := services.overlapping_calls(call):
        response.headers[OVERLAPPING_CALLS_HEADER] = ",".join(c.id for c in overlapping)


def overlap_responses(success: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of the two routes that book a time: the header on success, and the 409 of an overlap."""
    return {
        success: {
            "headers": {
                OVERLAPPING_CALLS_HEADER: {
                    "description": "Present when the call overlaps other scheduled or rescheduled calls of the "
                    "same user: their ids, comma-separated, soonest first.",
                    "schema": {"type": "string"},
                }
            }
        },
        409: {
            "description": "The change is not possible in the current state (a cancelled call cannot be moved); or, "
            "with `allow_overlap=false`, the time overlaps another call of the same user: then the body also "
            "names the overlapping calls and up to three free start times of the same length, nearest first.",
            "model": ErrorBody | CallOverlapBody,
            "content": {"application/json": {"example": _OVERLAP_EXAMPLE}},
        },
    }
