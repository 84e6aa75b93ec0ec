"""The command line explains itself: --help everywhere, one-line usage errors, .env read, real variables win."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.live_server import clean_env, serve_process

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("serve", "mcp", "seed", "demo")


def task_api(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "task_api", *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = task_api("--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert f"\n    {command} " in result.stdout
    assert ".env" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_its_own_help(tmp_path: Path, command: str) -> None:
    result = task_api(command, "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: task-api {command}")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["serve", "--port", "eighty"], "argument --port: invalid int value: 'eighty'"),
        (["deploy"], "invalid choice: 'deploy'"),
        (["demo", "--local", "--url", "http://127.0.0.1:1"], "not allowed with argument"),
    ],
)
def test_a_usage_mistake_is_one_line(tmp_path: Path, args: list[str], complaint: str) -> None:
    result = task_api(*args, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert complaint in result.stderr
    assert "--help" in result.stderr


def test_the_console_script_is_the_same_command() -> None:
    script = Path(sys.executable).parent / "task-api"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=30, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "task-api 0.1.0"


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# the demo laptop\nTASK_API_KEY=key-from-the-dotenv-file\nTASK_API_DATA_DIR=dotenv-data\n"
    )

    with serve_process(clean_env(), tmp_path) as server:
        created = httpx.post(
            f"{server.url}/users",
            headers={"X-API-Key": "key-from-the-dotenv-file"},
            json={"name": "Ana", "email": "ana@example.com", "company": "Acme"},
        )
    assert created.status_code == 201, created.text
    assert (tmp_path / "dotenv-data" / "mcp-pycon-demo-bucket" / "users" / f"{created.json()['id']}.json").is_file()


def test_real_environment_variables_win_over_the_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TASK_API_KEY=key-from-the-dotenv-file\n")

    with serve_process(clean_env(TASK_API_KEY="key-from-the-environment"), tmp_path) as server:
        dotenv_key = httpx.get(f"{server.url}/users", headers={"X-API-Key": "key-from-the-dotenv-file"})
        env_key = httpx.get(f"{server.url}/users", headers={"X-API-Key": "key-from-the-environment"})
    assert dotenv_key.status_code == 403
    assert env_key.status_code == 200


def test_env_example_names_every_setting() -> None:
    from shared.settings import Settings

    example = (REPO_ROOT / ".env.example").read_text()
    named = {line.split("=", 1)[0].lstrip("# ").strip() for line in example.splitlines() if "=" in line}
    for field in Settings.model_fields.values():
        assert field.validation_alias in named, field.validation_alias
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= named


@pytest.mark.anyio
async def test_the_mcp_command_is_the_stdio_server(tmp_path: Path) -> None:
    import anyio
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "task_api", "mcp"],
        env=clean_env(TASK_API_DATA_DIR=str(tmp_path / "data")),
        cwd=tmp_path,
    )
    with anyio.fail_after(60):
        async with Client(params, read_timeout_seconds=30) as client:
            made = await client.call_tool("create_task", {"title": "Over stdio"})
    assert not made.is_error, made.content
    assert made.structured_content is not None
    task_file = tmp_path / "data" / "mcp-pycon-demo-bucket" / "tasks" / f"{made.structured_content['id']}.json"
    assert task_file.is_file()
