"""Idempotent creates over REST: the Idempotency-Key header a create takes, and the header that marks a replay."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Response

from shared.idempotency import KEY_RULE, CreateOutcome, IdempotencyKey

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    IdempotencyKey | None,
    Header(
        alias=KEY_HEADER,
        description=f"Optional: {KEY_RULE}, unique to this create. Sent again with the same body within 24 hours "
        "(a retry), it returns the first result, same id and status, with `Idempotent-Replayed: true`, and creates "
        "nothing; with another body it is refused (422). Kept in the store, so it holds across replicas and "
        "the MCP tools' `idempotency_key`.",
    ),
]

# The 201 of a create, with the header a replay adds; and what 422 also covers when a key is sent.
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {
            REPLAYED_HEADER: {
                "description": "`true` when this is the recorded result of an earlier request with the same "
                "Idempotency-Key (nothing new was created); absent otherwise.",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    },
    422: {"description": "Invalid body, or an Idempotency-Key that is malformed or was first used with another body."},
}


def mark_replay(response: Response, outcome: CreateOutcome) -> None:
    if outcome.replayed:
        response.headers[REPLAYED_HEADER] = "true"
