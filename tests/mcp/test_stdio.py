"""`python -m mcp_server` as a desktop client runs it: a subprocess speaking MCP on stdin/stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.mcp.conftest import BUCKET

REPO_ROOT = Path(__file__).resolve().parents[2]


def server_env(data_dir: Path) -> dict[str, str]:
    return {"TASK_API_STORAGE": "local", "TASK_API_DATA_DIR": str(data_dir)}


@pytest.mark.anyio
async def test_stdio_server_creates_a_user_in_the_local_store_and_reads_it_back(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server"], env=server_env(tmp_path), cwd=REPO_ROOT
    )

    with anyio.fail_after(60):
        async with Client(params, read_timeout_seconds=30) as client:
            created = await client.call_tool(
                "create_user",
                {"name": "María García", "email": "maria@test-azollon.com", "company": "Test Azollon"},
            )
            assert not created.is_error, created.content
            assert created.structured_content is not None
            user_id = created.structured_content["id"]
            fetched = await client.call_tool("get_user", {"user_id": user_id})

    assert fetched.structured_content is not None
    assert created.structured_content == {key: fetched.structured_content[key] for key in created.structured_content}
    stored = tmp_path / BUCKET / "users" / f"{user_id}.json"
    assert json.loads(stored.read_text())["email"] == "maria@test-azollon.com"


def run_until_stdin_closes(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), **server_env(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "mcp_server"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )


def test_stdio_server_logs_its_store_to_stderr_and_keeps_stdout_for_the_protocol(tmp_path: Path) -> None:
    finished = run_until_stdin_closes(tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == ""
    # The start line of the one start-up path, as the REST server logs it too (tests/api/test_entrypoint.py).
    assert f"serving MCP on stdio; data in local folder {(tmp_path / BUCKET).resolve()}" in finished.stderr
    assert (tmp_path / BUCKET / "users").is_dir()


def test_stdio_server_starts_even_when_the_store_is_not_ready(tmp_path: Path) -> None:
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be")

    finished = run_until_stdin_closes(blocked)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == ""
    assert "Storage unavailable: cannot create the data folder" in finished.stderr
