"""The holes closed: weak keys, the demo key, keys in URLs, Host and Origin on /mcp, GET /mcp, header size,
slow clients and CORS. Entry-point behaviour runs `python -m task_api.main` as a user would."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from shared.services import Services
from shared.settings import DEFAULT_API_KEY, Settings, demo_key_problem
from shared.storage import LocalStorage
from task_api.app import create_app
from task_api.mcp_guard import HostRule
from task_api.security import RedactKeysFilter
from task_api.server import MAX_HEADER_BYTES, REQUEST_READ_TIMEOUT
from tests.api.conftest import API_KEY
from tests.api.test_entrypoint import running_server
from tests.api.test_mcp_http import INITIALIZE, MCP_HEADERS
from tests.conftest import free_port
from tests.live_server import clean_env, serve

# Settings and start-up


@pytest.mark.parametrize("key", ["", "   ", "short-key", "fifteen-chars-x"])
def test_an_empty_or_short_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match=r"TASK_API_KEY is (empty|shorter than 16 characters)"):
        Settings(TASK_API_KEY=key)


def test_the_demo_key_and_a_16_character_key_are_accepted() -> None:
    assert Settings(TASK_API_KEY=DEFAULT_API_KEY).uses_demo_key
    assert not Settings(TASK_API_KEY="sixteen-chars-xx").uses_demo_key


@pytest.mark.parametrize(
    ("host", "allow", "refused"),
    [
        ("127.0.0.1", False, False),
        ("localhost", False, False),
        ("::1", False, False),
        ("0.0.0.0", False, True),
        ("192.168.1.20", False, True),
        ("0.0.0.0", True, False),
    ],
)
def test_the_demo_key_is_refused_on_a_non_loopback_host_unless_allowed(host: str, allow: bool, refused: bool) -> None:
    settings = Settings(TASK_API_HOST=host, TASK_API_ALLOW_DEMO_KEY=allow)
    assert (demo_key_problem(settings) is not None) is refused
    # A real key is fine anywhere.
    assert demo_key_problem(Settings(TASK_API_HOST=host, TASK_API_KEY=API_KEY)) is None


def start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "task_api.main"],
        env=clean_env(TASK_API_DATA_DIR=str(tmp_path), **env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("key", ["", "abc"])
def test_the_server_does_not_start_with_an_empty_or_short_key(tmp_path: Path, key: str) -> None:
    finished = start({"TASK_API_KEY": key, "TASK_API_PORT": str(free_port())}, tmp_path)

    assert finished.returncode != 0
    assert "TASK_API_KEY" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_the_server_does_not_serve_the_demo_key_on_all_interfaces(tmp_path: Path) -> None:
    finished = start({"TASK_API_HOST": "0.0.0.0", "TASK_API_PORT": str(free_port())}, tmp_path)

    assert finished.returncode != 0
    assert "refusing to serve the public demo key on 0.0.0.0" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_the_demo_key_is_served_on_loopback_with_a_loud_warning(tmp_path: Path) -> None:
    env = clean_env(TASK_API_PORT=str(free_port()), TASK_API_DATA_DIR=str(tmp_path / "data"))
    with running_server(env, tmp_path, tmp_path / "server.log") as url:
        assert httpx.get(f"{url}/users", headers={"X-API-Key": DEFAULT_API_KEY}).status_code == 200
    log = (tmp_path / "server.log").read_text()
    assert "WARNING: the API key is the public demo key" in log


# Keys only in headers, and never in the access log


def test_a_key_in_the_query_string_is_refused_and_never_logged(tmp_path: Path) -> None:
    env = clean_env(TASK_API_PORT=str(free_port()), TASK_API_DATA_DIR=str(tmp_path / "data"), TASK_API_KEY=API_KEY)
    with running_server(env, tmp_path, tmp_path / "server.log") as url:
        responses = [
            httpx.get(f"{url}/users", params={"api_key": API_KEY}),
            httpx.get(f"{url}/users", params={"X-API-Key": API_KEY}, headers={"X-API-Key": API_KEY}),
            httpx.get(f"{url}/health", params={"token": "anything"}),
            httpx.get(f"{url}/users", params={"q": API_KEY}, headers={"X-API-Key": API_KEY}),
        ]
        normal = httpx.get(f"{url}/users", params={"q": "maria"}, headers={"X-API-Key": API_KEY})
    for response in responses:
        assert response.status_code == 400
        assert response.json()["message"].startswith("Send the API key in the X-API-Key header")
    assert normal.status_code == 200
    assert API_KEY not in (tmp_path / "server.log").read_text()


def test_the_access_log_never_shows_a_key_if_it_is_turned_on() -> None:
    """The server runs without an access log (story logs instead); should uvicorn's be turned on, the filter
    the app installs on it hides key-like query parameters and the key itself."""
    redact = RedactKeysFilter([API_KEY])

    def logged(path: str) -> str:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            "",
            0,
            '%s - "%s %s HTTP/%s" %d',
            ("1.2.3.4:5", "GET", path, "1.1", 400),
            None,
        )
        assert redact.filter(record)
        return record.getMessage()

    assert (
        logged(f"/users?api_key={API_KEY}&q=maria") == '1.2.3.4:5 - "GET /users?api_key=REDACTED&q=maria HTTP/1.1" 400'
    )
    assert logged(f"/users?X-Api-Key={API_KEY}") == '1.2.3.4:5 - "GET /users?X-Api-Key=REDACTED HTTP/1.1" 400'
    assert logged("/users?token=abc") == '1.2.3.4:5 - "GET /users?token=REDACTED HTTP/1.1" 400'
    assert logged(f"/users?q={API_KEY}") == '1.2.3.4:5 - "GET /users?REDACTED HTTP/1.1" 400'
    assert logged("/users?q=maria") == '1.2.3.4:5 - "GET /users?q=maria HTTP/1.1" 400'


# /mcp: exact Host and Origin, POST only


@pytest.fixture
def mcp_url(tmp_path: Path) -> Iterator[str]:
    storage = LocalStorage(tmp_path, "bucket")
    settings = Settings(
        TASK_API_KEY=API_KEY,
        TASK_API_ALLOWED_HOSTS="task-api:8000,demo.local:*",
        TASK_API_CORS_ORIGINS="http://localhost:6274",
    )
    with serve(create_app(settings, services=Services(storage))) as url:
        yield url


def post_initialize(url: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "X-API-Key": API_KEY, **headers})


@pytest.mark.parametrize(
    "host",
    [
        "localhost:evil",
        "localhost:1@evil.com",
        "localhost:80",  # not the port this server listens on
        "localhost",
        "127.0.0.1.evil.com:{port}",
        "evil.com",
        "task-api:8001",
        "task-api",
        "demo.local:",
        "demo.local:80x",
        "",
    ],
)
def test_a_host_that_is_not_exactly_ours_is_refused_on_mcp(mcp_url: str, host: str) -> None:
    port = mcp_url.rsplit(":", 1)[1]
    response = post_initialize(mcp_url, Host=host.format(port=port))

    assert response.status_code == 421
    assert response.json()["success"] is False
    assert "serverInfo" not in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "task-api:8000", "demo.local:9999"])
def test_our_own_hosts_are_accepted_on_mcp(mcp_url: str, host: str) -> None:
    port = mcp_url.rsplit(":", 1)[1]
    response = post_initialize(mcp_url, Host=host.format(port=port))

    assert response.status_code == 200, response.text
    assert response.json()["result"]["serverInfo"]["name"] == "task-api"


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "http://localhost:6275", "http://localhost:evil", "null", "http://localhost:6274.evil.com"],
)
def test_a_foreign_origin_is_refused_on_mcp(mcp_url: str, origin: str) -> None:
    response = post_initialize(mcp_url, Origin=origin)

    assert response.status_code == 403
    assert "serverInfo" not in response.text


def test_the_servers_own_origin_and_the_configured_cors_origins_are_accepted_on_mcp(mcp_url: str) -> None:
    assert post_initialize(mcp_url, Origin=mcp_url).status_code == 200
    assert post_initialize(mcp_url, Origin="http://localhost:6274").status_code == 200


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_mcp_answers_405_to_anything_but_post(mcp_url: str, method: str) -> None:
    started = time.monotonic()
    response = httpx.request(
        method, f"{mcp_url}/mcp", headers={"X-API-Key": API_KEY, "Accept": "text/event-stream"}, timeout=5
    )

    assert time.monotonic() - started < 2  # an answer, not an event stream left open
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "stateless" in response.json()["message"]


def test_host_rules_match_names_and_ports_exactly() -> None:
    rule = HostRule(["task-api:8000", "demo.local:*"])

    assert rule.allows("localhost:8000", 8000)
    assert rule.allows("[::1]:8000", 8000)
    assert not rule.allows("localhost:8000", 9000)
    assert rule.allows("demo.local:1", 8000)
    assert not rule.allows("demo.local.evil.com:1", 8000)
    assert not rule.allows("demo.local", 8000)
    assert not rule.allows("task-api:80001", 8000)


# Header size and slow clients, on the real entry point


@pytest.fixture
def entry_url(tmp_path: Path) -> Iterator[str]:
    env = clean_env(TASK_API_PORT=str(free_port()), TASK_API_DATA_DIR=str(tmp_path / "data"), TASK_API_KEY=API_KEY)
    with running_server(env, tmp_path, tmp_path / "server.log") as url:
        yield url


def test_request_headers_are_capped_at_16_kib(entry_url: str) -> None:
    big = httpx.get(f"{entry_url}/health", headers={"X-Padding": "a" * (MAX_HEADER_BYTES + 1)})
    fine = httpx.get(f"{entry_url}/health", headers={"X-Padding": "a" * 8000})

    assert big.status_code == 431
    assert big.json()["message"] == f"Request headers too large: the limit is {MAX_HEADER_BYTES} bytes."
    assert fine.status_code == 200


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=REQUEST_READ_TIMEOUT + 5)


def test_a_client_that_never_finishes_its_headers_is_cut_off(entry_url: str) -> None:
    silent = connect(entry_url)
    slow = connect(entry_url)
    slow.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    started = time.monotonic()

    answer = slow.recv(4096)
    assert silent.recv(4096) == b""  # closed without a word: it never sent anything
    elapsed = time.monotonic() - started

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert REQUEST_READ_TIMEOUT - 1 < elapsed < REQUEST_READ_TIMEOUT + 3
    silent.close()
    slow.close()


def test_a_kept_alive_connection_is_not_cut_off_between_quick_requests(entry_url: str) -> None:
    with httpx.Client(base_url=entry_url) as client:
        for _ in range(3):
            assert client.get("/health").status_code == 200


# CORS


def test_cors_is_closed_by_default(tmp_path: Path) -> None:
    app = create_app(Settings(TASK_API_KEY=API_KEY), services=Services(LocalStorage(tmp_path, "b")))
    with serve(app) as url:
        preflight = httpx.options(
            f"{url}/users",
            headers={"Origin": "http://localhost:6274", "Access-Control-Request-Method": "GET"},
        )
        simple = httpx.get(f"{url}/health", headers={"Origin": "http://localhost:6274"})

    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


def test_cors_opens_to_the_configured_origins_only(mcp_url: str) -> None:
    allowed = httpx.options(
        f"{mcp_url}/users",
        headers={
            "Origin": "http://localhost:6274",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )
    other = httpx.options(
        f"{mcp_url}/users",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:6274"
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("value", ["*", "localhost:6274", "http://app.example/path"])
def test_a_cors_origin_that_is_not_an_exact_origin_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(TASK_API_KEY=API_KEY, TASK_API_CORS_ORIGINS=value)
