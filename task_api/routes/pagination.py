"""Query parameters and the response header for cursor pages on the list endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response

from shared.models import Page

NEXT_CURSOR_HEADER = "X-Next-Cursor"
SKIPPED_HEADER = "X-Skipped-Objects"
SKIPPED_KEYS_HEADER = "X-Skipped-Keys"
REST_MAX_LIMIT = 1000

Limit = Annotated[
    int | None,
    Query(
        ge=1,
        le=REST_MAX_LIMIT,
        description=(
            "Page size (1-1000). Without it the whole list is returned, as the spec's examples expect; "
            f"with it, the `{NEXT_CURSOR_HEADER}` response header carries the cursor of the next page."
        ),
    ),
]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description=f"The `{NEXT_CURSOR_HEADER}` header of the previous page, unchanged."),
]

NEXT_CURSOR_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            NEXT_CURSOR_HEADER: {
                "description": "Present when more items follow: pass it back as `cursor`.",
                "schema": {"type": "string"},
            },
            SKIPPED_HEADER: {
                "description": "Present when stored objects were left out because they are not valid: how many.",
                "schema": {"type": "integer"},
            },
            SKIPPED_KEYS_HEADER: {
                "description": "With X-Skipped-Objects: the keys of the objects left out, comma-separated.",
                "schema": {"type": "string"},
            },
        }
    }
}


def with_next_cursor(response: Response, page: Page[Any]) -> list[Any]:
    """The page's items as the body (the spec's plain array); the cursor and any left-out objects as headers."""
    if page.next_cursor:
        response.headers[NEXT_CURSOR_HEADER] = page.next_cursor
    if page.skipped:
        response.headers[SKIPPED_HEADER] = str(len(page.skipped))
        response.headers[SKIPPED_KEYS_HEADER] = ", ".join(page.skipped)
    return page.items
