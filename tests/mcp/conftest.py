"""An MCP server per test over a fresh local store, driven through the SDK's in-memory client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent

from mcp_server import build_mcp
from mcp_server.server import TaskAPIServer
from shared.services import Services
from shared.storage import LocalStorage
from tests.clocks import TickingClock

# The tools, by toolset and by whether they change data (their readOnlyHint).
USER_READS = {"get_user", "list_users", "find_users", "get_user_overview"}
CALL_READS = {"get_call", "list_calls"}
TASK_READS = {"get_task", "list_tasks"}
USER_WRITES = {"create_user"}
CALL_WRITES = {"schedule_call", "update_call_status", "reschedule_call"}
TASK_WRITES = {"create_task", "update_task_status", "update_task"}
HISTORY_READS = {"get_history"}
HISTORY_WRITES = {"revert_change"}
# get_current_time is there whatever the toolsets.
ALWAYS = {"get_current_time"}
READS = ALWAYS | USER_READS | CALL_READS | TASK_READS | HISTORY_READS
WRITES = USER_WRITES | CALL_WRITES | TASK_WRITES | HISTORY_WRITES

BUCKET = "mcp-pycon-demo-bucket"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    storage = LocalStorage(tmp_path, BUCKET)
    storage.ensure_ready()
    return storage


@pytest.fixture
def services(storage: LocalStorage) -> Services:
    return Services(storage, clock=TickingClock())


@pytest.fixture
def server(services: Services) -> TaskAPIServer:
    return build_mcp(services)


@pytest.fixture
async def client(server: MCPServer) -> AsyncIterator[Client]:
    async with Client(server) as client:
        yield client


def output_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """Strict like the TypeScript SDK's client: formats (date-time) are checked, not just types."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def part_of(compact: dict[str, Any], whole: dict[str, Any]) -> bool:
    """Whether a compact answer holds the same values as the whole entity, for the fields it has."""
    return compact == {key: whole[key] for key in compact}


def result_text(result: CallToolResult) -> str:
    """The text a model reads from a result: its one text block."""
    [content] = result.content
    assert isinstance(content, TextContent)
    return content.text


@dataclass
class Tools:
    """Calls tools as a model would, and checks every result the way a strict client does."""

    client: Client
    # The schema each tool publishes in tools/list (the lists), and the one the server checks every result with.
    output_schemas: dict[str, dict[str, Any]]
    result_schemas: dict[str, dict[str, Any]]

    async def ok(self, tool: str, /, **arguments: Any) -> dict[str, Any]:
        """The structured result of a call that must succeed, validated against the tool's output schemas.

        Its text is the same JSON, compact: what the model reads."""
        result = await self.client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        if tool in self.output_schemas:
            output_validator(self.output_schemas[tool]).validate(result.structured_content)
        output_validator(self.result_schemas[tool]).validate(result.structured_content)
        text = result_text(result)
        assert json.loads(text) == result.structured_content
        assert text == json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
        return result.structured_content

    async def error(self, tool: str, /, **arguments: Any) -> str:
        """The text a model reads from a call that must fail."""
        result = await self.client.call_tool(tool, arguments)
        assert result.is_error, result.structured_content
        assert result.structured_content is None
        [content] = result.content
        assert isinstance(content, TextContent)
        assert "Traceback" not in content.text
        assert content.text.strip() != f"Error executing tool {tool}"
        return content.text

    async def get(self, kind: str, entity_id: str) -> dict[str, Any]:
        """The whole entity (a write answers with its compact form): get_user, get_call or get_task."""
        return await self.ok(f"get_{kind}", **{f"{kind}_id": entity_id})

    async def make_user(self, **overrides: Any) -> dict[str, Any]:
        arguments = {"name": "María García", "email": "maria@test-azollon.com", "company": "Test Azollon"}
        return await self.ok("create_user", **(arguments | overrides))

    async def make_call(self, user_id: str, **overrides: Any) -> dict[str, Any]:
        """A call to work with; booked even over another (tests of the overlap rule pass allow_overlap=False)."""
        arguments = {
            "user_id": user_id,
            "title": "Onboarding call",
            "scheduled_for": "2025-10-25T10:00:00Z",
            "allow_overlap": True,
        }
        return await self.ok("schedule_call", **(arguments | overrides))

    async def make_task(self, **overrides: Any) -> dict[str, Any]:
        return await self.ok("create_task", **({"title": "Prepare onboarding materials"} | overrides))


@pytest.fixture
async def tools(client: Client, server: TaskAPIServer) -> Tools:
    listing = await client.list_tools()
    schemas = {tool.name: tool.output_schema for tool in listing.tools if tool.output_schema is not None}
    checked = {tool.name: server.result_schema(tool.name) for tool in listing.tools}
    return Tools(client, schemas, {name: schema for name, schema in checked.items() if schema is not None})


def wire_json(value: Any) -> bytes:
    """A value as compact JSON in UTF-8: how its size on the wire, or in a model's context, is counted."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


async def tools_list_bytes(client: Client) -> int:
    """The size of the tools/list result a client receives: the serialized JSON of the result object."""
    listing = await client.list_tools()
    return len(wire_json(listing.model_dump(mode="json", by_alias=True, exclude_none=True)))


@dataclass
class Read:
    """One tool call and the size of its answer: the text the model reads, the structuredContent, the result."""

    tool: str
    arguments: dict[str, Any]
    text: int
    structured: int
    wire: int


@dataclass
class Recorder:
    """Calls tools like a model would and keeps the size of every answer, for budgets on what a model reads."""

    client: Client
    reads: list[Read]

    async def call(self, tool: str, /, **arguments: Any) -> dict[str, Any]:
        result = await self.client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        text = sum(len(block.text.encode()) for block in result.content if isinstance(block, TextContent))
        structured = len(wire_json(result.structured_content))
        wire = len(wire_json(result.model_dump(mode="json", by_alias=True, exclude_none=True)))
        self.reads.append(Read(tool, arguments, text, structured, wire))
        return result.structured_content

    def total(self, measure: str = "text") -> int:
        return sum(getattr(read, measure) for read in self.reads)

    def report(self) -> str:
        lines = [
            f"{r.tool:<20} text {r.text:>5} B  structured {r.structured:>5} B  wire {r.wire:>5} B" for r in self.reads
        ]
        totals = f"{'total':<20} text {self.total():>5} B  structured {self.total('structured'):>5} B"
        return "\n".join([*lines, f"{totals}  wire {self.total('wire'):>5} B"])
