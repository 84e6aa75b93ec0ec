"""scripts/test_api.sh, the spec's Complete Testing Flow, run as printed (curl + jq) against a live server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import API_KEY

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test_api.sh"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def tools() -> None:
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to run {SCRIPT.name} (apt-get install {tool})")


def run(base_url: str, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": "/usr/bin:/bin", "BASE_URL": base_url, "TASK_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_complete_testing_flow_runs_and_leaves_what_it_says(
    tools: None, base_url: str, client: httpx.Client
) -> None:
    result = run(base_url, API_KEY)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "✅ Complete testing flow executed!" in result.stdout
    ids = {kind: re.search(rf"Created {kind}: ({UUID})", result.stdout) for kind in ("user", "call", "task")}
    assert all(ids.values()), result.stdout
    user_id, call_id, task_id = (match.group(1) for match in ids.values() if match)
    assert client.get(f"/users/{user_id}").json()["email"] == "test@example.com"
    assert client.get(f"/calls/{call_id}").json()["status"] == "completed"
    assert client.get(f"/tasks/{task_id}").json()["status"] == "done"


def test_a_wrong_key_stops_the_flow_at_the_first_write(tools: None, base_url: str, client: httpx.Client) -> None:
    result = run(base_url, "wrong-key")

    assert result.returncode == 1
    assert "FAILED: POST /users" in result.stderr
    assert "Invalid API key" in result.stderr
    assert client.get("/users").json() == []
