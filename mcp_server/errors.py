"""Domain errors in words a model can act on, and the one wrapper that gives them to every tool."""

import functools
import inspect
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from mcp_server.logs import log_tool_call
from shared.errors import CallOverlap, DomainError, NotFound, StorageUnavailable

P = ParamSpec("P")
R = TypeVar("R")

# What to call to get a valid id, by the kind NotFound names.
_FINDERS = {
    "User": "Call find_users or list_users to get a valid user_id.",
    "Call": "Call list_calls to get a valid call_id.",
    "Task": "Call list_tasks to get a valid task_id.",
}


def explain(exc: DomainError) -> str:
    """The error's message, plus what to do next when the message alone does not say it."""
    if isinstance(exc, NotFound):
        hint = _FINDERS.get(exc.kind)
        return f"{exc.message}. {hint}" if hint else f"{exc.message}."
    if isinstance(exc, CallOverlap):
        choose = "Offer the user one of the free slots" if exc.free_slots else "Ask the user for another time"
        return f"{exc.message} {choose}, or call again with allow_overlap=true to book this time anyway."
    if isinstance(exc, StorageUnavailable):
        if exc.transient:
            return f"{exc.message.rstrip('.')}. Try again in a moment."
        return f"{exc.message.rstrip('.')}. Trying again will not help until the server's storage is fixed."
    # InvalidInput and Conflict messages already name the field or the state, and the way out.
    return exc.message


def _reason(message: str) -> str:
    # pydantic prefixes a validator's own ValueError with "Value error, "; the model needs only the reason.
    return message.removeprefix("Value error, ").rstrip(".")


def explain_validation(exc: ValidationError) -> str:
    """Each rejected field and why, without the values or pydantic's links."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'input'}: {_reason(error['msg'])}" for error in exc.errors()
    )
    return f"Invalid input: {problems}. Correct these arguments and call the tool again."


def service_tool(fn: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Make a blocking tool body into an async tool that the model can learn from when it fails.

    The body runs in a worker thread, because the services block on storage and the event loop also
    serves other requests. Domain and validation errors become `ToolError`, the only exception whose
    text the SDK shows the model; anything else is a bug and stays the SDK's generic, logged error.
    `functools.wraps` keeps the body's signature, from which the SDK builds the input and output schemas.
    The docstring is the tool's description, sent verbatim: dedented here so the model sees no indentation.
    Every call logs one line (tool, entity, outcome, time): the presenter's terminal narrates the demo.
    """
    name = fn.__name__

    @functools.wraps(fn)
    async def tool(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            result = await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
        except DomainError as exc:
            log_tool_call(name, kwargs, time.perf_counter() - started, error=exc)
            raise ToolError(explain(exc)) from exc
        except ValidationError as exc:
            log_tool_call(name, kwargs, time.perf_counter() - started, error=exc)
            raise ToolError(explain_validation(exc)) from exc
        except Exception as exc:
            log_tool_call(name, kwargs, time.perf_counter() - started, error=exc)
            raise
        log_tool_call(name, kwargs, time.perf_counter() - started, result=result)
        return result

    tool.__doc__ = inspect.cleandoc(fn.__doc__ or "")
    return tool
