"""The live board in a real browser: key once, then changes from a stdio MCP server and from REST land in seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from shared.services import Services
from shared.settings import Settings
from shared.storage import LocalStorage
from tests.api.conftest import stdio_env
from tests.browser.conftest import REPO_ROOT, Offline, screenshot_path
from tests.live_server import serve

pytestmark = pytest.mark.anyio

API_KEY = "board-test-key-0123"
BUCKET = "mcp-pycon-demo-bucket"
# The issue asks for about 2 seconds; the bound leaves room for a loaded CI machine, the figure is printed.
LANDS_WITHIN_MS = 5_000


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def base_url(data_dir: Path) -> Iterator[str]:
    from task_api.app import create_app

    storage = LocalStorage(data_dir, BUCKET)
    storage.ensure_ready()
    app = create_app(Settings(TASK_API_KEY=API_KEY), services=Services(storage))
    with serve(app) as url:
        yield url


def stdio_server(data_dir: Path) -> StdioServerParameters:
    """A separate MCP server process on the same folder, as Claude Desktop would start it."""
    env = stdio_env(LocalStorage(data_dir, BUCKET))
    return StdioServerParameters(command=sys.executable, args=["-m", "mcp_server"], env=env, cwd=REPO_ROOT)


async def open_board(context: Any, base_url: str) -> Any:
    """A new tab on the board, the key entered once, live."""
    page = await context.new_page()
    await page.goto(f"{base_url}/board")
    await page.get_by_label("API key").fill(API_KEY)
    await page.get_by_role("button", name="Open the board").click()
    await page.locator("#status.live").wait_for()
    return page


async def wait_for_card(page: Any, column: str, text: str) -> float:
    """Milliseconds until a card with `text` is shown in the list `column`."""
    started = time.monotonic()
    await page.locator(f"#{column} .card", has_text=text).wait_for(timeout=LANDS_WITHIN_MS)
    return (time.monotonic() - started) * 1000


async def test_wrong_key_is_refused_with_a_clear_message(context: Any, base_url: str, offline: Offline) -> None:
    with anyio.fail_after(60):
        page = await context.new_page()
        await page.goto(f"{base_url}/board")
        await page.get_by_label("API key").fill("not-the-key")
        await page.get_by_role("button", name="Open the board").click()
        error = page.locator("#key-error")
        await error.wait_for()
        assert "Wrong API key" in await error.inner_text()
        assert "Invalid API key" in await error.inner_text()
        assert await page.locator("#board").is_hidden()
        assert await page.evaluate("sessionStorage.length") == 0
        assert "not-the-key" not in page.url
        await page.screenshot(path=screenshot_path("board-wrong-key"))
    assert offline.blocked == []


async def test_board_shows_changes_from_a_stdio_mcp_server_and_from_rest(
    context: Any, base_url: str, data_dir: Path, offline: Offline
) -> None:
    with anyio.fail_after(120):
        page = await open_board(context, base_url)
        assert API_KEY not in page.url
        assert await page.evaluate("Object.values(sessionStorage)") == [API_KEY]

        # Over MCP, from another process writing the shared folder: the server learns of it only from the store.
        async with Client(stdio_server(data_dir), read_timeout_seconds=30) as mcp:
            user = await mcp.call_tool(
                "create_user", {"name": "María García", "email": "maria@techcorp.example", "company": "TechCorp"}
            )
            assert user.structured_content is not None, user.content
            user_id = user.structured_content["id"]
            made = await mcp.call_tool("create_task", {"title": "Made by the agent over MCP", "user_id": user_id})
            assert not made.is_error, made.content
        mcp_ms = await wait_for_card(page, "todo", "Made by the agent over MCP")
        await page.locator("#users .card", has_text="María García").wait_for()
        assert await page.locator("#todo .card.changed", has_text="Made by the agent over MCP").count() == 1
        await page.screenshot(path=screenshot_path("board-after-mcp"))

        # Over REST, as curl would.
        with httpx.Client(base_url=base_url, headers={"X-API-Key": API_KEY}, timeout=30) as rest:
            created = rest.post("/tasks", json={"title": "Made with curl over REST", "user_id": user_id})
            assert created.status_code == 201, created.text
            rest_ms = await wait_for_card(page, "todo", "Made with curl over REST")
            moved = rest.patch(f"/tasks/{created.json()['id']}/status", params={"new_status": "done"})
            assert moved.status_code == 200, moved.text
        done_ms = await wait_for_card(page, "done", "Made with curl over REST")
        assert await page.locator("#todo .card", has_text="Made with curl over REST").count() == 0
        await page.locator("#changes li.fresh", has_text="→ done").wait_for()
        print(f"landed on the board after: MCP {mcp_ms:.0f} ms, REST {rest_ms:.0f} ms, status {done_ms:.0f} ms")
        await page.screenshot(path=screenshot_path("board-light"))

        # Dark follows the system setting as it changes; the button overrides it, for this browser.
        await page.emulate_media(color_scheme="dark")
        await page.locator("html[data-theme='dark']").wait_for(state="attached")
        await page.screenshot(path=screenshot_path("board-dark"))
        await page.get_by_role("button", name="Light / dark").click()
        await page.locator("html[data-theme='light']").wait_for(state="attached")

        # The key is asked once per tab session: a reload goes straight to the board.
        await page.reload()
        await page.locator("#status.live").wait_for()
        assert await page.locator("#key-form").is_hidden()
        assert await page.locator("#done .card", has_text="Made with curl over REST").count() == 1

    assert offline.blocked == []


async def test_a_seeded_board_shows_every_column(context: Any, base_url: str, data_dir: Path, offline: Offline) -> None:
    from shared.services import utc_now
    from task_api.seed import seed

    seed(Services(LocalStorage(data_dir, BUCKET)), utc_now())
    with anyio.fail_after(60):
        page = await open_board(context, base_url)
        assert await page.locator("#users .card").count() == 30
        assert await page.locator("#calls .card").count() >= 10  # this week's and later ones of the data set
        for column in ("todo", "in_progress", "done", "cancelled"):
            assert await page.locator(f"#{column} .card").count() >= 1, column
        await page.screenshot(path=screenshot_path("board-seeded"))
    assert offline.blocked == []
