"""Domain errors and HTTP errors to the spec's JSON bodies, in one place."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import (
    CallOverlap,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    StorageUnavailable,
    StoredObjectInvalid,
)
from shared.models import ScheduledCall

log = logging.getLogger(__name__)

# InvalidInput names a field; these are the ones that arrive in the query string rather than the body.
_QUERY_FIELDS = frozenset({"cursor", "limit", "q", "scheduled_from", "scheduled_to", "due_before", "fields"})
# And these arrive in a header, under this name.
_HEADER_FIELDS = {"idempotency_key": "Idempotency-Key"}


class ErrorBody(BaseModel):
    """Every error but a validation error (422): `{"success": false, "message": ...}`."""

    success: Literal[False] = False
    message: str = Field(examples=["User 0b8f7c1e-2d3a-4e5f-9a6b-7c8d9e0f1a2b not found"])


class CallOverlapBody(BaseModel):
    """409 for a time that overlaps another call of the same user (asked for with `allow_overlap=false`)."""

    success: Literal[False] = False
    message: str
    overlapping_calls: list[ScheduledCall]
    free_slots: list[datetime] = Field(description="Up to three free start times of the same length, nearest first.")


_USER_ID = "550e8400-e29b-41d4-a716-446655440000"

# Every error status a route can answer, with when and an example of the body, for the OpenAPI document.
_ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "The API key was sent in the URL; send it in the X-API-Key header.",
        "Send the API key in the X-API-Key header (or Authorization: Bearer), never in the URL: URLs end up in "
        "logs, browser history and proxies. This request was refused and its URL not logged.",
    ),
    403: ("Missing or invalid API key (checked before the body is read).", "Invalid API key"),
    404: ("No user, call or task with that id.", f"User {_USER_ID} not found"),
    409: (
        "The change is not possible in the current state (a cancelled call cannot be rescheduled), or "
        "others changed the same entity too often meanwhile.",
        "Call 0192f5e0-7b1c-7cc3-9d2e-6f1a2b3c4d5e is cancelled; only a scheduled or rescheduled call can be moved.",
    ),
    413: ("Request body larger than 1 MiB.", "Request body too large: the limit is 1048576 bytes."),
    502: (
        "A stored object is not a valid entity; the message names its key. It is left as it is.",
        f"Stored user {_USER_ID} (users/{_USER_ID}.json) is not a valid user: id does not match its key. "
        "It was left as it is; fix or remove that object.",
    ),
    503: (
        "The store does not work; the message says why. With Retry-After when waiting can help.",
        "Storage unavailable: S3 bucket mcp-pycon-demo-bucket at http://localhost:4566: GetObject failed: "
        "connection refused or failed",
    ),
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for routes that can answer these codes: the JSON error shape, when, and an example."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        description, example = _ERRORS[code]
        response: dict[str, Any] = {
            "model": ErrorBody,
            "description": description,
            "content": {"application/json": {"example": {"success": False, "message": example}}},
        }
        if code == 503:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again; absent when waiting cannot help.",
                    "schema": {"type": "integer"},
                }
            }
        responses[code] = response
    return responses


# What any route can answer whatever it does: a key in the URL, the key check, the body cap, the store.
COMMON_ERRORS = (400, 403, 413, 503)
# And the routes that read or change one entity.
ENTITY_ERRORS = (404, 409, 502)


def failure(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "message": message}, status_code=status_code, headers=headers)


async def domain_error(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFound):
        return failure(404, exc.message)
    if isinstance(exc, InvalidInput):
        # The same shape as FastAPI's own validation errors, so clients parse one 422 format.
        if exc.field in _QUERY_FIELDS:
            loc = ["query", exc.field]
        elif exc.field in _HEADER_FIELDS:
            loc = ["header", _HEADER_FIELDS[exc.field]]
        else:
            loc = ["body"] if exc.field == "body" else ["body", exc.field]
        return JSONResponse({"detail": [{"loc": loc, "msg": exc.message, "type": "value_error"}]}, status_code=422)
    if isinstance(exc, CallOverlap):
        body = CallOverlapBody(message=exc.message, overlapping_calls=exc.overlapping, free_slots=exc.free_slots)
        return JSONResponse(body.model_dump(mode="json"), status_code=409)
    if isinstance(exc, Conflict):
        return failure(409, exc.message)
    if isinstance(exc, StoredObjectInvalid):
        # The store answered, with bytes that are not a valid entity: a bad answer from upstream, and one that
        # retrying cannot mend (no Retry-After). The message names the key to fix.
        return failure(502, exc.message)
    if isinstance(exc, StorageUnavailable):
        log.warning("%s", exc.message)
        # Retry-After only where waiting can help: not for a missing folder or bucket, nor a denied access.
        return failure(503, exc.message, headers={"Retry-After": "5"} if exc.transient else None)
    assert isinstance(exc, DomainError)
    return failure(400, exc.message)


def _json_safe(value: Any) -> Any:
    # FastAPI echoes the rejected input; JSON has no Infinity or NaN (a body of `1e999` parses to inf).
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        # A lone surrogate ("\ud800" in the JSON) is valid JSON text but cannot be encoded as UTF-8.
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 422 format, made safe for any input."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)


def _allowed_methods(request: Request) -> str | None:
    """Every method the path answers, from the OpenAPI document. Starlette's 405 names only the first route
    that matched the path, so `/users` (a GET route and a POST route) would say `Allow: POST` alone."""
    path = request.url.path
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            methods = {method.upper() for method in operations}
            if "GET" in methods:
                methods.add("HEAD")
            return ", ".join(sorted(methods))
    return None


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allowed := _allowed_methods(request)) is not None:
        headers["Allow"] = allowed
    return failure(exc.status_code, str(exc.detail), headers=headers or None)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return failure(500, "Internal error; it has been logged. Try again, or report it if it persists.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
