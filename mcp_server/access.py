"""Per-request access over MCP: the grant of the API key that carried the message, and read-only keys.

Over /mcp the REST app's key middleware leaves the grant in the HTTP request's scope. The tool runs in the
MCP session's task, not the HTTP request's, so context variables set there do not reach it: the grant is
read from the request the SDK attaches to each message (`ServerRequestContext.request`). On stdio and in
memory there is no HTTP request; whoever started the process holds the store, and acts under the label the
server was built with.

Which tools write is decided once, from each tool's own `readOnlyHint` annotation (see TaskAPIServer.add_tool).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import ToolAnnotations

from shared.access import Grant, grant_in

# A request that came over HTTP without passing the key middleware (a mount without it): it may only read.
UNCHECKED = Grant(label="unchecked", read_only=True)


def writes(annotations: ToolAnnotations | None) -> bool:
    """Whether a tool with these annotations changes data; a tool that does not say it only reads, does."""
    return not (annotations is not None and annotations.read_only_hint is True)


def request_grant(request_context: ServerRequestContext[Any, Any] | None, local: Grant) -> Grant:
    """The grant of the message being handled: its HTTP request's, or `local` when it came without one."""
    request = None if request_context is None else request_context.request
    scope = getattr(request, "scope", None)
    if not isinstance(scope, Mapping):
        return local
    return grant_in(scope) or UNCHECKED


def read_only_refusal(tool: str, grant: Grant) -> str:
    return (
        f"{tool} changes data, and this API key ({grant.label}) is read-only: it can use only the tools that "
        "read (the ones tools/list shows it). Ask for a full key to make changes."
    )


class HideWriteToolsFromReadOnlyKeys:
    """MCP middleware: a read-only key's tools/list leaves out the tools that change data.

    Calling one anyway is refused by TaskAPIServer.call_tool, with the same grant and the same list of
    write tools, so what is listed and what can be called never disagree.
    """

    def __init__(self, write_tools: Callable[[], Collection[str]], local: Grant) -> None:
        self._write_tools = write_tools
        self._local = local

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list" or not isinstance(result, dict) or not request_grant(ctx, self._local).read_only:
            return result
        hidden = self._write_tools()
        tools = result.get("tools")
        if isinstance(tools, list):
            result = result | {"tools": [t for t in tools if not (isinstance(t, dict) and t.get("name") in hidden)]}
        return result
