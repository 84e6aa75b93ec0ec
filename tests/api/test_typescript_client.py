"""The official TypeScript MCP client, over stdio and HTTP: strict output-schema validation of every tool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shared.storage import Storage
from tests.api.conftest import API_KEY
from tests.api.test_mcp_http import stdio_env

TS_CLIENT = Path(__file__).parent.parent / "ts_client"


def node_ready() -> str | None:
    """Why the TypeScript client cannot run here, or None. CI installs it (.ci/run), so there it must run."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (TS_CLIENT / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        return f"run `npm ci --prefix {TS_CLIENT}` first"
    return None


def test_the_typescript_sdk_client_accepts_every_tool_result(
    base_url: str, api_storage: Storage, client: httpx.Client
) -> None:
    reason = node_ready()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the TypeScript client check must run in CI: {reason}")
        pytest.skip(reason)
    env = stdio_env(api_storage) | {"TASK_API_KEY": API_KEY}
    result = subprocess.run(
        ["node", str(TS_CLIENT / "check.mjs"), base_url, API_KEY, sys.executable],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    # Both clients wrote to the store the REST API reads.
    for user_id in report["users"]:
        assert client.get(f"/users/{user_id}").status_code == 200
