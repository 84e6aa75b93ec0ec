"""`python -m task_api.main` as a user runs it: settings from the environment, a log line naming the store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

STARTUP_TIMEOUT = 20.0


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK_API_", "AWS_"))}
    return env | overrides


def test_the_server_starts_from_the_environment_logs_its_store_and_serves(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(TASK_API_PORT=str(port), TASK_API_DATA_DIR=str(tmp_path / "data"), TASK_API_KEY="k-123")
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "task_api.main"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        assert health.json()["status"] == "healthy"
        created = httpx.post(
            f"http://127.0.0.1:{port}/users",
            headers={"X-API-Key": "k-123"},
            json={"name": "Ana", "email": "ana@example.com", "company": "Acme"},
        )
        assert created.status_code == 201
        assert (tmp_path / "data" / "mcp-pycon-demo-bucket" / "users" / f"{created.json()['id']}.json").is_file()
    finally:
        process.terminate()
        process.wait(timeout=10)
    log_text = log_path.read_text()
    # The start line of the one start-up path, as the stdio MCP server logs it too (tests/mcp/test_stdio.py).
    serving = f"serving REST and MCP on http://127.0.0.1:{port}"
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
