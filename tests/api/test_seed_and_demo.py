"""`task-api seed` and `task-api demo` against a live server, run twice: the second run adds nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import ServerProcess, clean_env, serve_process

API_KEY = "stage-test-key-0123"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(TASK_API_KEY=API_KEY, TASK_API_DATA_DIR=str(tmp_path / "data"))


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[ServerProcess]:
    with serve_process(env, tmp_path) as running:
        yield running


def run_task_api(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "task_api", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def task_api(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = run_task_api(*args, env=env, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def everything(url: str) -> dict[str, list[dict[str, object]]]:
    with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=30) as client:
        return {kind: client.get(f"/{kind}").json() for kind in ("users", "calls", "tasks")}


def test_seed_loads_a_demo_data_set_that_the_server_serves_and_a_second_run_adds_nothing(
    server: ServerProcess, env: dict[str, str], tmp_path: Path
) -> None:
    first = task_api("seed", env=env, cwd=tmp_path)
    seeded = everything(server.url)

    assert "30 users (30 new), 18 calls (18 new), 24 tasks (24 new)" in first.stdout
    assert len(seeded["users"]) == 30
    assert len({u["email"] for u in seeded["users"]}) == 30
    assert set(Counter(t["status"] for t in seeded["tasks"])) == {"todo", "in_progress", "done", "cancelled"}
    assert set(Counter(c["status"] for c in seeded["calls"])) == {"scheduled", "completed", "cancelled", "rescheduled"}

    second = task_api("seed", env=env, cwd=tmp_path)

    assert "30 users (0 new), 18 calls (0 new), 24 tasks (0 new)" in second.stdout
    assert everything(server.url) == seeded


def test_demo_plays_the_three_scenarios_through_mcp_and_a_second_run_creates_nothing(
    server: ServerProcess, env: dict[str, str], tmp_path: Path
) -> None:
    task_api("seed", env=env, cwd=tmp_path)
    before = everything(server.url)

    first = task_api("demo", "--url", server.url, "--key", API_KEY, env=env, cwd=tmp_path).stdout
    after_first = everything(server.url)

    for step in (
        "Scenario 1",
        "Scenario 2",
        "Scenario 3",
        "→ create_user(",
        "→ schedule_call(",
        "→ update_call_status(",
    ):
        assert step in first, first
    marias = [u for u in after_first["users"] if u["email"] == "maria.garcia@techcorp.example"]
    assert len(marias) == 1
    onboarding = [c for c in after_first["calls"] if c["user_id"] == marias[0]["id"]]
    assert [(c["title"], c["duration_minutes"], c["scheduled_for"][11:]) for c in onboarding] == [
        ("Onboarding call - TechCorp", 45, "10:00:00Z")
    ]
    follow_ups = [t for t in after_first["tasks"] if t["title"].startswith("Follow up with ")]
    assert follow_ups, first
    made = re.search(r"Created 1 user, 1 call, (\d+) tasks; changed 1 call", first)
    assert made is not None, first
    assert int(made.group(1)) == len(follow_ups) == len(after_first["tasks"]) - len(before["tasks"])
    assert sum(c["status"] == "completed" for c in after_first["calls"]) == 1 + sum(
        c["status"] == "completed" for c in before["calls"]
    )

    second = task_api("demo", "--url", server.url, "--key", API_KEY, env=env, cwd=tmp_path).stdout
    after_second = everything(server.url)

    assert "Created nothing" in second, second
    assert "is already registered" in second
    assert len(after_second["users"]) == len(after_first["users"])
    assert len(after_second["calls"]) == len(after_first["calls"])
    assert len(after_second["tasks"]) == len(after_first["tasks"])

    # The presenter's terminal tells the story: a line per tool call, none of the SDK's per-request noise.
    log = server.log()
    assert f"MCP create_user user={marias[0]['id']} ok" in log
    assert f"MCP schedule_call call={onboarding[0]['id']} ok" in log
    assert re.search(r"MCP list_calls \d+ items ok \(\d+ ms\)", log)
    assert "Terminating session" not in log
    assert "POST /mcp" not in log


def test_demo_runs_in_process_with_local(env: dict[str, str], tmp_path: Path) -> None:
    first = task_api("demo", "--local", env=env, cwd=tmp_path).stdout
    second = task_api("demo", "--local", env=env, cwd=tmp_path).stdout

    assert "in-process on local folder" in first
    assert "Created 1 user, 1 call" in first
    assert "Created nothing" in second


def test_demo_without_a_server_says_how_to_start_one(env: dict[str, str], tmp_path: Path) -> None:
    result = run_task_api("demo", "--url", "http://127.0.0.1:9", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9 " in result.stderr
    assert "task-api serve" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_with_a_wrong_key_says_so(server: ServerProcess, env: dict[str, str], tmp_path: Path) -> None:
    result = run_task_api("demo", "--url", server.url, "--key", "wrong", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert f"{server.url} refused the API key (403)" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
