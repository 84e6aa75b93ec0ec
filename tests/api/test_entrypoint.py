"""`python -m task_api.main` as a user runs it: settings from the environment, a log line naming the store."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult

from tests.conftest import free_port
from tests.live_server import ServerProcess, clean_env, serve_process

KEY = "a-key-for-the-entry-point-tests"


@contextmanager
def running_server(env: dict[str, str], cwd: Path, log_path: Path) -> Iterator[str]:
    """`python -m task_api.main` in `cwd`, as a user runs it; its URL once /health answers. The server's
    output is copied to `log_path` when it has stopped."""
    server: ServerProcess | None = None
    try:
        with serve_process(env, cwd, args=("-m", "task_api.main")) as server:
            assert httpx.get(f"{server.url}/health").json()["status"] == "healthy"
            yield server.url
    finally:
        if server is not None:
            log_path.write_text(server.log())


def test_the_server_starts_from_the_environment_logs_its_store_and_serves(tmp_path: Path) -> None:
    env = clean_env(TASK_API_DATA_DIR=str(tmp_path / "data"), TASK_API_KEY=KEY)
    log_path = tmp_path / "server.log"
    with running_server(env, tmp_path, log_path) as url:
        created = httpx.post(
            f"{url}/users",
            headers={"X-API-Key": KEY},
            json={"name": "Ana", "email": "ana@example.com", "company": "Acme"},
        )
        assert created.status_code == 201
        assert (tmp_path / "data" / "mcp-pycon-demo-bucket" / "users" / f"{created.json()['id']}.json").is_file()
    log_text = log_path.read_text()
    # The start line of the one start-up path, as the stdio MCP server logs it too (tests/mcp/test_stdio.py).
    serving = f"serving REST and MCP on {url}"
    assert f"{serving}; data in local folder {tmp_path / 'data' / 'mcp-pycon-demo-bucket'}" in log_text
    assert "Traceback" not in log_text


def test_bad_configuration_is_one_readable_line_not_a_traceback(tmp_path: Path) -> None:
    env = clean_env(TASK_API_PORT="eighty", TASK_API_STORAGE="floppy")
    result = subprocess.run(
        [sys.executable, "-m", "task_api.main"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "invalid configuration" in result.stderr
    assert "TASK_API_PORT" in result.stderr
    assert "TASK_API_STORAGE" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_both_entry_points_share_one_default_store_whatever_their_working_directory(tmp_path: Path) -> None:
    """No TASK_API_DATA_DIR: the REST server started in one folder and the stdio server a desktop client starts
    in another use the same per-user data folder, and both log its absolute path."""
    xdg = tmp_path / "xdg-data"  # platformdirs' user data dir on Linux is $XDG_DATA_HOME/task-api
    store = xdg / "task-api" / "mcp-pycon-demo-bucket"
    env = clean_env(TASK_API_PORT=str(free_port()), TASK_API_KEY=KEY, XDG_DATA_HOME=str(xdg))
    (tmp_path / "shell").mkdir()
    (tmp_path / "desktop").mkdir()
    log_path = tmp_path / "server.log"

    with running_server(env, tmp_path / "shell", log_path) as url:
        created = httpx.post(
            f"{url}/users", headers={"X-API-Key": KEY}, json={"name": "Ana", "email": "ana@example.com", "company": "A"}
        )
        assert created.status_code == 201
    user_id = created.json()["id"]
    assert (store / "users" / f"{user_id}.json").is_file()
    assert f"data in local folder {store}" in log_path.read_text()

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server"], env=env, cwd=str(tmp_path / "desktop")
    )

    async def get_over_stdio() -> CallToolResult:
        with (tmp_path / "stdio.log").open("w") as errlog, anyio.fail_after(60):
            async with Client(stdio_client(params, errlog=errlog)) as client:
                return await client.call_tool("get_user", {"user_id": user_id})

    fetched = anyio.run(get_over_stdio)
    assert not fetched.is_error, fetched.content
    assert f"data in local folder {store}" in (tmp_path / "stdio.log").read_text()
    assert not (tmp_path / "shell" / "data").exists()
    assert not (tmp_path / "desktop" / "data").exists()
