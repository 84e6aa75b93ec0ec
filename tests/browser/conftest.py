"""A real headless Chromium (Debian's) driven by Playwright, with every request off this machine blocked."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("TASK_API_TEST_CHROMIUM", "/usr/bin/chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("TASK_API_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "browser"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# Every wait in these tests is bounded by this; the whole browser suite takes well under a minute.
STEP_TIMEOUT_MS = 15_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _why_no_browser() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and shutil.which(CHROMIUM) is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    reason = _why_no_browser()
    if reason:
        # .ci/run installs both, so under CI a missing browser is a failure, never a silent skip.
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {reason}")
        pytest.skip(reason)
    return CHROMIUM


@dataclass
class Offline:
    """Requests the page tried to make off this machine (all aborted)."""

    blocked: list[str] = field(default_factory=list)


@pytest.fixture
def offline() -> Offline:
    return Offline()


@pytest.fixture
async def context(chromium_path: str, offline: Offline) -> AsyncIterator[object]:
    """A fresh browser profile in which any request to a non-loopback host is aborted and recorded."""
    from playwright.async_api import Route, async_playwright

    async def only_loopback(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK:
            offline.blocked.append(url)
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            browser_context = await browser.new_context(viewport={"width": 1600, "height": 1000})
            browser_context.set_default_timeout(STEP_TIMEOUT_MS)
            await browser_context.route("**/*", only_loopback)
            yield browser_context
            await browser_context.close()
        finally:
            await browser.close()


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
