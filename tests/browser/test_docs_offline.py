"""/docs and /redoc render in a real browser with every request off this machine blocked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from shared.services import Services
from shared.settings import Settings
from shared.storage import LocalStorage
from tests.browser.conftest import Offline, screenshot_path
from tests.live_server import serve

pytestmark = pytest.mark.anyio

API_KEY = "docs-test-key-01234"
BUCKET = "mcp-pycon-demo-bucket"


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    from task_api.app import create_app

    storage = LocalStorage(tmp_path, BUCKET)
    app = create_app(Settings(TASK_API_KEY=API_KEY), services=Services(storage))
    with serve(app) as url:
        yield url


async def test_swagger_ui_renders_offline_and_authorize_then_try_it_out_works(
    context: Any, base_url: str, offline: Offline
) -> None:
    with anyio.fail_after(90):
        page = await context.new_page()
        await page.goto(f"{base_url}/docs")
        title = page.locator(".swagger-ui .info .title")
        await title.wait_for()
        assert "Task API" in await title.inner_text()
        assert await page.locator(".opblock").count() >= 12  # every operation of the spec is listed

        await page.locator("button.authorize").first.click()
        await page.locator(".auth-container input").fill(API_KEY)
        await page.locator(".auth-btn-wrapper button.authorize").click()
        await page.locator("button.btn-done").click()

        users = page.locator("#operations-users-list_users_users_get")
        await users.locator(".opblock-summary").click()
        await users.locator("button.try-out__btn").click()
        await users.locator("button.execute").click()
        status = users.locator(".live-responses-table tr.response .response-col_status").first
        await status.wait_for()
        assert (await status.inner_text()).strip() == "200"
        await page.screenshot(path=screenshot_path("docs-swagger-ui"), full_page=False)

    assert offline.blocked == []


async def test_redoc_renders_offline(context: Any, base_url: str, offline: Offline) -> None:
    with anyio.fail_after(90):
        page = await context.new_page()
        await page.goto(f"{base_url}/redoc")
        heading = page.get_by_role("heading", name=re.compile(r"Task API"))
        await heading.first.wait_for()
        await page.get_by_role("heading", name="Create a new user").first.wait_for()
        await page.screenshot(path=screenshot_path("docs-redoc"), full_page=False)

    assert offline.blocked == []


async def test_the_home_page_leads_to_the_docs_and_the_board_without_a_key(context: Any, base_url: str) -> None:
    with anyio.fail_after(60):
        page = await context.new_page()
        response = await page.goto(base_url)
        assert response is not None and response.status == 200
        await page.get_by_role("link", name="/board").click()
        await page.get_by_label("API key").wait_for()
        await page.go_back()
        await page.get_by_role("link", name="/docs").click()
        await page.locator(".swagger-ui .info .title").wait_for()
