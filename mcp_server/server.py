"""Builds the MCP server over the shared services; the stdio entry point and the /mcp mount share it."""

import json
import time
from collections.abc import Callable, Collection
from datetime import UTC, tzinfo
from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    Icon,
    InputRequiredResult,
    TextContent,
    Tool,
    ToolAnnotations,
)
from pydantic import ValidationError

from mcp_server.access import HideWriteToolsFromReadOnlyKeys, read_only_refusal, request_grant, writes
from mcp_server.errors import explain_validation
from mcp_server.logs import log_tool_call
from mcp_server.prompts import register_prompts
from mcp_server.resources import register_resources
from mcp_server.schemas import lean, lean_arguments
from mcp_server.tools import register_tools
from shared.access import TOOLSETS, Grant
from shared.context import Actor, acting
from shared.errors import InvalidInput
from shared.runtime import package_version
from shared.services import Clock, Services, utc_now
from shared.timekeeping import describe_now, zone_name

SERVER_NAME = "task-api"
# Who acts when a tool is called without an HTTP request (stdio, in memory): whoever started the process.
LOCAL_LABEL = "local"

INSTRUCTIONS = """\
Task API: users (clients, prospects and partners), the calls scheduled with them, and tasks \
(to-dos, often follow-ups for a user).

Ids: every user, call and task has an id, returned by the tool that creates it (create_user, \
schedule_call, create_task) and by the list and find tools. Tools that act on one take that id \
(user_id, call_id, task_id); never guess one.

Where to start: call find_users (search by name, email or company; accents and case do not matter) \
to get a user_id. If nobody matches, create_user. Then schedule_call or create_task with that \
user_id. Use list_calls and list_tasks to get call and task ids, and to check for an existing call \
or task before creating another.

Lists and writes answer with compact items (a list's fields argument asks for just what you need, \
or all; get_user, get_call and get_task show one in full). A list is {items, has_more, next_cursor}: \
while has_more, call again with \
cursor=next_cursor. Times are ISO 8601 date-times; one without an offset is read in {zone}, and \
results are in UTC. The resource taskapi://users/{user_id} shows a user with all their calls and \
tasks. An error result says what went wrong and what to call to fix it."""


READ_ONLY_INSTRUCTIONS = """

This server is read-only: it has no tools that create or change anything. Answer from what the tools \
read, and say so if the user asks for a change."""


def instructions(now: str, zone: tzinfo, *, read_only: bool = False) -> str:
    """The instructions with the configured zone and, as of this initialize, what "now" is."""
    return (
        INSTRUCTIONS.replace("{zone}", zone_name(zone))
        + (READ_ONLY_INSTRUCTIONS if read_only else "")
        + f'\n\n{now} Compute relative dates ("next Friday") from this; later in a long session, '
        "call get_current_time."
    )


class _LiveInstructions(Server[Any]):
    """The SDK's low-level server, with instructions computed each time they are read.

    The SDK reads `instructions` when it builds an initialize (or server/discover) result: per initialize over
    HTTP, per connection over stdio and in memory. A fixed text would tell a server running for a week the date
    it started; this tells each client the date it connects.
    """

    _compute_instructions: Callable[[], str]

    @property
    def instructions(self) -> str | None:
        return self._compute_instructions()

    @instructions.setter
    def instructions(self, _: str | None) -> None:
        pass  # the text is always computed


def _live_instructions(server: Server[Any], compute: Callable[[], str]) -> None:
    # MCPServer builds its low-level server itself; it is given this subclass afterwards, which adds only
    # the property (no state of its own besides `compute`).
    server.__dict__.pop("instructions", None)
    server.__class__ = _LiveInstructions
    server._compute_instructions = compute  # type: ignore[attr-defined]


class TaskAPIServer(MCPServer):
    """An MCPServer whose argument errors read like the tools' own: each field and why, then what to do.

    The SDK checks arguments against the input schema before a tool runs and reports a failure with
    pydantic's full text (values, error types, documentation links); that check happens outside any tool,
    so it is translated here, once, for every tool. Here too each call, its argument check included, runs
    in the configured zone (`zone`, TASK_API_TIMEZONE), where date-times without an offset are read.

    It also enforces access: on a read-only server the tools that change data are not registered at all;
    for a read-only key over /mcp they are left out of tools/list and refused when called. Each call runs as
    the key's label (or `local_label` without an HTTP request), so the history records who.
    """

    def __init__(
        self,
        *args: Any,
        read_only: bool = False,
        local_label: str = LOCAL_LABEL,
        zone: tzinfo = UTC,
        **kwargs: Any,
    ) -> None:
        self.read_only = read_only
        self.zone = zone
        self.write_tools: set[str] = set()
        self._local = Grant(label=local_label, read_only=read_only)
        super().__init__(*args, **kwargs)
        self.middleware.append(HideWriteToolsFromReadOnlyKeys(lambda: self.write_tools, self._local))

    def add_tool(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        icons: list[Icon] | None = None,
        meta: dict[str, Any] | None = None,
        structured_output: bool | None = None,
    ) -> None:
        # Every tool, from any module, is registered through here (the @mcp.tool decorator included): the
        # tool's own readOnlyHint is the one place that says whether it writes.
        if writes(annotations):
            if self.read_only:
                return
            self.write_tools.add(name or fn.__name__)
        super().add_tool(fn, name, title, description, annotations, icons, meta, structured_output)

    def grant(self, context: Context[Any, Any] | None) -> Grant:
        """The grant of the message `context` belongs to (the key's label and scope)."""
        try:
            request_context = None if context is None else context.request_context
        except ValueError:  # a Context made outside any request
            request_context = None
        return request_grant(request_context, self._local)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        grant = self.grant(context)
        with acting(Actor(grant.label, "mcp")):
            return await self._call_tool_as(grant, name, arguments, context)

    async def _call_tool_as(
        self, grant: Grant, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None
    ) -> CallToolResult | InputRequiredResult:
        started = time.perf_counter()
        if grant.read_only and name in self.write_tools:
            refusal = InvalidInput("api_key", read_only_refusal(name, grant))
            log_tool_call(name, arguments, time.perf_counter() - started, error=refusal)
            raise ToolError(f"Error executing tool {name}: {refusal.message}")
        # The SDK drops arguments a tool does not take; a misspelt one ("descripton") would then be lost
        # without a word, where REST answers 422. Refused here, naming it and the arguments there are.
        schema = self._tool_input_schema(name)
        if schema is not None:
            known = schema.get("properties", {})
            unknown = sorted(set(arguments) - set(known))
            if unknown:
                refusal = InvalidInput(
                    "arguments",
                    f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}. "
                    f"{name} takes: {', '.join(known)}. Correct these arguments and call the tool again.",
                )
                log_tool_call(name, arguments, time.perf_counter() - started, error=refusal)
                raise ToolError(f"Error executing tool {name}: {refusal.message}")
        try:
            # Arguments are validated inside: a date-time without an offset is read in the configured zone.
            with acting(zone=self.zone):
                return compact_text(await super().call_tool(name, arguments, context))
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            # Refused before the tool body ran, so service_tool did not see it: its story line is written here.
            log_tool_call(name, arguments, time.perf_counter() - started, error=cause)
            # Keep the ValidationError as the cause: the SDK then logs the field names, not the values.
            raise ToolError(f"Error executing tool {name}: {explain_validation(cause)}") from cause

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        # The SDK finds missing arguments only while rendering, and then logs the client's mistake as a crash
        # with a traceback; an invalid-params error says the same to the client and logs nothing.
        given = arguments or {}
        prompts = await self.list_prompts()
        for prompt in prompts:
            if prompt.name == name:
                missing = sorted(a.name for a in prompt.arguments or [] if a.required and a.name not in given)
                if missing:
                    raise MCPError(
                        code=INVALID_PARAMS, message=f"Prompt {name} needs the arguments: {', '.join(missing)}."
                    )
                break
        else:
            # The SDK answers an unknown name with JSON-RPC code 0 and logs it as a crash, traceback and all.
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"Unknown prompt: {name}. Prompts: {', '.join(p.name for p in prompts)}.",
            )
        return await super().get_prompt(name, arguments, context)

    def result_schema(self, name: str) -> dict[str, Any] | None:
        """The schema a tool's structured result is checked against by the SDK, whether published or not."""
        tool = self._tool_manager.get_tool(name)
        return None if tool is None else tool.output_schema

    async def list_tools(self) -> list[Tool]:
        """The tools with lean schemas (mcp_server/schemas.py), and an output schema only where it earns its size.

        A list tool's output schema is published: its items change with `fields`, and has_more and next_cursor
        are what a client pages on. A tool returning one entity (create, get, update) still sends the entity as
        structuredContent, checked by the SDK against its model, but publishes no schema for it: the same user,
        call or task schema would be sent ten times over in every tools/list (half its bytes), clients do not
        show output schemas to the model, and the description says what comes back. The MCP spec makes
        outputSchema optional, and structuredContent without one valid.
        """
        published = []
        for tool in await super().list_tools():
            registered = self._tool_manager.get_tool(tool.name)
            model = registered.fn_metadata.output_model if registered is not None else None
            keep = getattr(model, "publish_output_schema", False)
            published.append(
                tool.model_copy(
                    update={
                        "input_schema": lean_arguments(tool.input_schema),
                        "output_schema": lean(tool.output_schema) if keep and tool.output_schema else None,
                    }
                )
            )
        return published


def compact_text(result: CallToolResult | InputRequiredResult) -> CallToolResult | InputRequiredResult:
    """The text a model reads, as compact JSON: the SDK indents the structured result by two spaces a level,
    which is a fifth of a list's bytes and tells the model nothing. The text stays the same JSON value as
    structuredContent, as the spec asks."""
    if isinstance(result, CallToolResult) and result.structured_content is not None and not result.is_error:
        text = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
        return result.model_copy(update={"content": [TextContent(type="text", text=text)]})
    return result


def build_mcp(
    services: Services,
    *,
    clock: Clock = utc_now,
    read_only: bool = False,
    toolsets: Collection[str] = TOOLSETS,
    local_label: str = LOCAL_LABEL,
    zone: tzinfo = UTC,
) -> TaskAPIServer:
    """A new server with the tools of `toolsets`, the resources and the prompts, bound to `services`.

    `clock` dates the prompts. `read_only`: the tools that change data are not registered, nor the prompts
    (they walk a model through creating things). `local_label` names who acts when there is no HTTP request
    (stdio, in memory); over /mcp it is the label of the request's key. `zone` (TASK_API_TIMEZONE) is where
    date-times without an offset are read; "now", in the instructions and get_current_time, comes from the
    services' clock.
    """
    mcp = TaskAPIServer(
        name=SERVER_NAME,
        title="Task API",
        instructions=INSTRUCTIONS,
        version=package_version(),
        read_only=read_only,
        local_label=local_label,
        zone=zone,
    )
    _live_instructions(
        mcp._lowlevel_server,
        lambda: instructions(describe_now(services.current_time(zone).utc, zone), zone, read_only=read_only),
    )
    register_tools(mcp, services, toolsets, zone=zone)
    register_resources(mcp, services)
    if not read_only:
        register_prompts(mcp, clock)
    return mcp
