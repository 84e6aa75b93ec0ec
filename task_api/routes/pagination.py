"""Query parameters and the response header for cursor pages on the list endpoints."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import pydantic_core
from fastapi import Query, Response
from pydantic import BaseModel, TypeAdapter

from shared.fields import FieldSet, project
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

Fields = Annotated[
    str | None,
    Query(
        max_length=512,
        description="Opt-in compact items: the fields each item carries, comma-separated (e.g. `id,name,status`), "
        "or `all`. Without it, the full objects. An unknown name is a 422 naming the valid ones.",
    ),
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


@functools.cache
def _array_of(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def selected(field_set: FieldSet, fields: str | None) -> tuple[str, ...] | None:
    """The fields `?fields=` asks for (checked before anything is listed), or None for the full objects."""
    return None if fields is None else field_set.select(fields)


def list_response(page: Page[Any], model: type[BaseModel], fields: tuple[str, ...] | None = None) -> Response:
    """The page's items as the body (the spec's plain array); the cursor and any left-out objects as headers.

    With `fields` (from `selected`), each item holds only those fields.

    The items are serialized straight to JSON bytes by pydantic: FastAPI would validate every item again and
    then encode it twice, which for a list of 10,000 costs more than the listing itself. The route declares
    `response_model`, so the OpenAPI document is unchanged.
    """
    headers: dict[str, str] = {}
    if page.next_cursor:
        headers[NEXT_CURSOR_HEADER] = page.next_cursor
    if page.skipped:
        headers[SKIPPED_HEADER] = str(len(page.skipped))
        headers[SKIPPED_KEYS_HEADER] = ", ".join(page.skipped)
    if fields is not None:
        body = pydantic_core.to_json(project(page.items, fields))
    else:
        body = _array_of(model).dump_json(page.items)
    return Response(content=body, media_type="application/json", headers=headers)
