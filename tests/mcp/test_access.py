"""A read-only server and toolsets, in memory and as `python -m mcp_server` / `task-api mcp` on stdio."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.types import TextContent, ToolAnnotations

from mcp_server import build_mcp
from mcp_server.access import writes
from mcp_server.tools import ADDITIVE, IDEMPOTENT_UPDATE, READ_ONLY
from shared.services import Services
from tests.live_server import clean_env
from tests.mcp.conftest import (
    ALWAYS,
    CALL_READS,
    CALL_WRITES,
    READS,
    TASK_READS,
    TASK_WRITES,
    USER_READS,
    USER_WRITES,
    WRITES,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_tool_writes_unless_its_annotations_say_it_only_reads() -> None:
    assert not writes(READ_ONLY)
    assert writes(ADDITIVE) and writes(IDEMPOTENT_UPDATE)
    assert writes(None) and writes(ToolAnnotations(title="no hint"))


@pytest.mark.anyio
async def test_a_full_server_offers_every_tool(services: Services) -> None:
    server = build_mcp(services)
    async with Client(server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READS | WRITES
    assert server.write_tools == WRITES


@pytest.mark.anyio
async def test_a_read_only_server_registers_no_write_tool_and_no_prompt(services: Services) -> None:
    async with Client(build_mcp(services, read_only=True)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        prompts = (await client.list_prompts()).prompts
        refused = await client.call_tool("create_user", {"name": "A", "email": "a@example.com", "company": "C"})
        instructions = client.instructions
    assert names == READS
    assert prompts == []
    assert refused.is_error
    assert "This server is read-only" in (instructions or "")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("toolsets", "expected"),
    [
        (("users",), ALWAYS | USER_READS | USER_WRITES),
        (("calls", "tasks"), ALWAYS | CALL_READS | CALL_WRITES | TASK_READS | TASK_WRITES),
    ],
)
async def test_toolsets_choose_the_groups_of_tools(
    services: Services, toolsets: tuple[str, ...], expected: set[str]
) -> None:
    async with Client(build_mcp(services, toolsets=toolsets)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == expected


@pytest.mark.anyio
async def test_without_an_http_request_calls_run_as_the_servers_local_label(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="task_api.mcp")
    async with Client(build_mcp(services, local_label="desk")) as client:
        result = await client.call_tool("create_task", {"title": "Local"})
    assert not result.is_error
    [line] = [r.getMessage() for r in caplog.records if r.name == "task_api.mcp"]
    assert re.fullmatch(r"MCP create_task task=\S+ ok \(\d+ ms\) by desk", line)


def stdio_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(TASK_API_DATA_DIR=str(tmp_path / "data"), **extra)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["-m", "mcp_server", "--read-only", "--toolsets", "users,calls"], {}, ALWAYS | USER_READS | CALL_READS),
        # The flag wins over the environment.
        (
            ["-m", "task_api", "mcp", "--toolsets", "tasks"],
            {"TASK_API_TOOLSETS": "users"},
            ALWAYS | TASK_READS | TASK_WRITES,
        ),
        (["-m", "mcp_server"], {"TASK_API_READ_ONLY": "1", "TASK_API_TOOLSETS": "tasks"}, ALWAYS | TASK_READS),
    ],
    ids=["python-m-mcp_server-flags", "task-api-mcp-flag-over-env", "env-only"],
)
async def test_the_stdio_server_takes_read_only_and_toolsets(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: set[str]
) -> None:
    params = StdioServerParameters(command=sys.executable, args=args, env=stdio_env(tmp_path, **env), cwd=REPO_ROOT)
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        refused = await client.call_tool("create_user", {"name": "A", "email": "a@example.com", "company": "C"})
    assert names == expected
    assert refused.is_error
    [content] = refused.content
    assert isinstance(content, TextContent) and "create_user" in content.text


@pytest.mark.parametrize("command", [["-m", "mcp_server"], ["-m", "task_api", "mcp"]])
def test_help_names_the_flags(command: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, *command, "--help"], env=stdio_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--read-only" in done.stdout and "--toolsets" in done.stdout
    assert "users, calls, tasks, history" in " ".join(done.stdout.split())


@pytest.mark.parametrize("command", [["-m", "mcp_server"], ["-m", "task_api", "mcp"]])
def test_an_unknown_toolset_flag_stops_the_server_before_it_starts(command: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, *command, "--toolsets", "users,mail"],
        env=stdio_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "unknown toolset mail; the toolsets are: users, calls, tasks, history" in done.stderr
