"""Liveness, readiness and S3 outages seen from a real HTTP client and a real MCP client.

S3 is a moto server behind a TCP proxy that can black-hole (accept, never answer) or refuse connections.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from shared.services import Services
from shared.settings import Settings
from shared.storage import LocalStorage, S3Storage
from task_api.app import create_app
from tests.api.conftest import API_KEY
from tests.api.test_mcp_http import mcp_client
from tests.conftest import unique_bucket
from tests.live_server import serve
from tests.tcp_proxy import TcpProxy

HANG_BUDGET = 5.0
BUCKET = "mcp-pycon-demo-bucket"


@pytest.fixture
def s3_behind_proxy(s3_proxy: TcpProxy, aws_credentials: None) -> S3Storage:
    return S3Storage(unique_bucket(), endpoint_url=s3_proxy.url)


def served(storage: S3Storage | LocalStorage) -> Iterator[str]:
    with serve(create_app(Settings(TASK_API_KEY=API_KEY), services=Services(storage))) as url:
        yield url


@pytest.fixture
def local_url(local_storage: LocalStorage) -> Iterator[str]:
    yield from served(local_storage)


def test_liveness_and_readiness_answer_get_and_head_without_a_key(local_url: str, local_storage: LocalStorage) -> None:
    with httpx.Client(base_url=local_url, timeout=10) as anonymous:
        live = anonymous.get("/health")
        ready = anonymous.get("/health/ready")
        head_live = anonymous.head("/health")
        head_ready = anonymous.head("/health/ready")

    assert live.status_code == 200 and live.json()["status"] == "healthy"
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["storage"] == local_storage.describe()
    assert (head_live.status_code, head_live.content) == (200, b"")
    assert (head_ready.status_code, head_ready.content) == (200, b"")


def test_a_data_folder_that_cannot_work_is_a_503_naming_it_everywhere_without_retry_after() -> None:
    storage = LocalStorage(Path("/proc/nope"), BUCKET)
    folder = f"/proc/nope/{BUCKET}"
    for url in served(storage):
        with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=10) as client:
            assert client.get("/health").status_code == 200  # alive, but not ready
            responses = [
                client.get("/health/ready"),
                client.head("/health/ready"),
                client.get("/users"),
                client.get("/tasks"),
                client.post("/users", json={"name": "Ana", "email": "ana@example.com", "company": "Acme"}),
            ]
    for response in responses:
        assert response.status_code == 503, response.text
        assert "retry-after" not in response.headers
        if response.request.method != "HEAD":
            assert response.json() == {
                "success": False,
                "message": f"Storage unavailable: cannot create the data folder {folder}: No such file or directory",
            }


def test_start_up_does_not_wait_for_a_hanging_s3(s3_behind_proxy: S3Storage, s3_proxy: TcpProxy) -> None:
    s3_proxy.blackhole()
    started = time.monotonic()
    for url in served(s3_behind_proxy):
        startup = time.monotonic() - started
        with httpx.Client(base_url=url, timeout=10) as anonymous:
            live = anonymous.get("/health")
            probe_started = time.monotonic()
            ready = anonymous.get("/health/ready")
            probe = time.monotonic() - probe_started

    assert startup < 1.0, f"start-up took {startup:.1f}s"
    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["message"].startswith("Storage unavailable: S3 bucket")
    assert probe < 2.5, f"the readiness probe took {probe:.1f}s"


def test_every_request_answers_within_5s_when_s3_hangs_and_liveness_stays_instant(
    s3_behind_proxy: S3Storage, s3_proxy: TcpProxy
) -> None:
    for url in served(s3_behind_proxy):
        with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=30) as client:
            user = client.post("/users", json={"name": "Ana", "email": "ana@example.com", "company": "Acme"})
            assert user.status_code == 201, user.text
            s3_proxy.blackhole()

            def timed_get(path: str) -> tuple[float, httpx.Response]:
                began = time.monotonic()
                response = client.get(path)
                return time.monotonic() - began, response

            # 60 requests at once: more than the 40 worker threads, all stuck on S3 at first.
            paths = [f"/users/{user.json()['id']}", "/users", "/tasks", "/calls"] * 15
            with ThreadPoolExecutor(len(paths)) as pool:
                hanging = [pool.submit(timed_get, p) for p in paths]
                time.sleep(0.5)
                liveness = [timed_get("/health")[0] for _ in range(5)]
                results = [f.result() for f in hanging]

    assert max(liveness) < 0.5, f"/health took {max(liveness):.2f}s while requests hung on S3"
    slowest = max(elapsed for elapsed, _ in results)
    assert slowest < HANG_BUDGET, f"a request took {slowest:.1f}s"
    for _, response in results:
        assert response.status_code == 503
        assert response.json()["message"].startswith(f"Storage unavailable: S3 bucket {s3_behind_proxy.bucket}")
        assert response.headers["Retry-After"]


@pytest.mark.anyio
async def test_an_mcp_tool_on_a_hanging_s3_is_an_error_result_within_5s(
    s3_behind_proxy: S3Storage, s3_proxy: TcpProxy
) -> None:
    s3_proxy.blackhole()
    for url in served(s3_behind_proxy):
        async with mcp_client(url, {"X-API-Key": API_KEY}) as client:
            began = time.monotonic()
            result = await client.call_tool("list_users", {})
            elapsed = time.monotonic() - began

    assert elapsed < HANG_BUDGET
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "Storage unavailable: S3 bucket" in text
    assert text.endswith("Try again in a moment.")


def test_refused_connections_are_a_503_within_a_second_and_s3_coming_back_is_ready_again(
    s3_behind_proxy: S3Storage, s3_proxy: TcpProxy
) -> None:
    for url in served(s3_behind_proxy):
        with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=30) as client:
            deadline = time.monotonic() + 10
            while client.get("/health/ready").status_code != 200:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            s3_proxy.refuse()
            timings = []
            for _ in range(5):
                began = time.monotonic()
                response = client.get("/users")
                timings.append(time.monotonic() - began)
                assert response.status_code == 503
            assert client.get("/health/ready").status_code == 503
            s3_proxy.restore()
            deadline = time.monotonic() + 10
            while client.get("/health/ready").status_code != 200:
                assert time.monotonic() < deadline, "ready again once S3 is back"
                time.sleep(0.2)
            assert client.get("/users").status_code == 200

    assert max(timings) < 1.0, timings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# The health checks the Dockerfile and Compose run, run here as written (only the port differs).

REPO = Path(__file__).resolve().parents[2]


def dockerfile_check() -> str:
    text = REPO.joinpath("Dockerfile").read_text()
    command = json.loads(text.split("HEALTHCHECK", 1)[1].split("CMD", 1)[1].split("\n\n")[0].strip())
    assert command[:2] == ["python", "-c"]
    return str(command[2])


def compose_check() -> str:
    compose = yaml.safe_load(REPO.joinpath("docker-compose.yml").read_text())
    command = compose["services"]["task-api"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    return str(command[3])


def run_check(code: str, url: str) -> int:
    assert "http://127.0.0.1:8000/" in code
    code = code.replace("http://127.0.0.1:8000", url)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=10, check=False).returncode


def test_docker_checks_liveness_and_compose_checks_readiness() -> None:
    assert "/health'" in dockerfile_check()
    assert "/health/ready'" in compose_check()
    for url in served(LocalStorage(Path("/proc/nope"), BUCKET)):  # alive, but its store cannot work
        assert run_check(dockerfile_check(), url) == 0
        assert run_check(compose_check(), url) != 0


def test_both_health_checks_pass_on_a_working_server(local_url: str) -> None:
    assert run_check(dockerfile_check(), local_url) == 0
    assert run_check(compose_check(), local_url) == 0
