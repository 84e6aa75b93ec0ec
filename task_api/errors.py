"""Domain errors and HTTP errors to the spec's JSON bodies, in one place."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import Conflict, DomainError, InvalidInput, NotFound, StorageUnavailable, StoredObjectInvalid

log = logging.getLogger(__name__)

# InvalidInput names a field; these are the ones that arrive in the query string rather than the body.
_QUERY_FIELDS = frozenset({"cursor", "limit", "q", "scheduled_from", "scheduled_to", "due_before"})


def failure(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "message": message}, status_code=status_code, headers=headers)


async def domain_error(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFound):
        return failure(404, exc.message)
    if isinstance(exc, InvalidInput):
        # The same shape as FastAPI's own validation errors, so clients parse one 422 format.
        if exc.field in _QUERY_FIELDS:
            loc = ["query", exc.field]
        else:
            loc = ["body"] if exc.field == "body" else ["body", exc.field]
        return JSONResponse({"detail": [{"loc": loc, "msg": exc.message, "type": "value_error"}]}, status_code=422)
    if isinstance(exc, Conflict):
        return failure(409, exc.message)
    if isinstance(exc, StoredObjectInvalid):
        # The store answered, with bytes that are not a valid entity: a bad answer from upstream, and one that
        # retrying cannot mend (no Retry-After). The message names the key to fix.
        return failure(502, exc.message)
    if isinstance(exc, StorageUnavailable):
        log.warning("storage unavailable: %s", exc.message)
        return failure(503, exc.message, headers={"Retry-After": "5"})
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


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return failure(exc.status_code, str(exc.detail), headers=exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return failure(500, "Internal error; it has been logged. Try again, or report it if it persists.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
