"""One log line per tool call (tool, entity, outcome, time), on stderr for the stdio server; no SDK chatter."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mcp.conftest import Tools

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.anyio
async def test_each_tool_call_logs_one_line_with_its_entity_outcome_and_time(
    tools: Tools, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="task_api.mcp")
    user = await tools.make_user()
    await tools.error("get_user", user_id="nobody")
    await tools.ok("list_users")
    await tools.error("schedule_call", user_id=user["id"], title="Kickoff", scheduled_for="next friday")

    lines = [r.getMessage() for r in caplog.records if r.name == "task_api.mcp"]
    assert len(lines) == 4, lines
    assert re.fullmatch(rf"MCP create_user user={user['id']} ok" + DONE, lines[0])
    assert re.fullmatch(r"MCP get_user user=nobody refused: NotFound: User nobody not found" + DONE, lines[1])
    assert re.fullmatch(r"MCP list_users 1 items ok" + DONE, lines[2])
    # Refused by the input schema, before the tool body runs: still one line.
    assert re.fullmatch(rf"MCP schedule_call user={user['id']} refused: invalid scheduled_for" + DONE, lines[3])


# Each line ends with the time taken and the label of the key that acted.
DONE = r" \(\d+ ms\) by local"


def rpc(message_id: int | None, method: str, params: dict[str, object]) -> str:
    message: dict[str, object] = {"jsonrpc": "2.0", "method": method, "params": params}
    if message_id is not None:
        message["id"] = message_id
    return json.dumps(message)


def test_the_stdio_server_narrates_on_stderr(tmp_path: Path) -> None:
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mcp_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={"PATH": "", "TASK_API_DATA_DIR": str(tmp_path / "data")},
            cwd=REPO_ROOT,
        )
    assert process.stdin is not None and process.stdout is not None
    try:
        hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}
        process.stdin.write(rpc(1, "initialize", hello) + "\n")
        process.stdin.write(rpc(None, "notifications/initialized", {}) + "\n")
        process.stdin.write(rpc(2, "tools/call", {"name": "create_task", "arguments": {"title": "Narrated"}}) + "\n")
        process.stdin.flush()
        replies = [json.loads(process.stdout.readline()) for _ in range(2)]
        process.stdin.close()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    task_id = next(r for r in replies if r.get("id") == 2)["result"]["structuredContent"]["id"]
    log = stderr_path.read_text()
    assert re.search(rf"INFO task_api.mcp: MCP create_task task={task_id} ok \(\d+ ms\) by stdio", log), log
    assert "Processing request" not in log
