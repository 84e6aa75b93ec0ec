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
        },
    }
