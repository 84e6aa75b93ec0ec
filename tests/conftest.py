"""Storage backends every suite can run against: a local folder, S3 under in-process moto, S3 over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.awsrequest import AWSPreparedRequest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.common_types import TYPE_RESPONSE

from shared.storage import LocalStorage, S3Storage, Storage

BUCKET = "mcp-pycon-demo-bucket"
MOTO_SERVER_START_TIMEOUT = 20.0
MOTO_SERVER_STOP_TIMEOUT = 5.0


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and nothing from the developer's shell that could send a request to real AWS."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    storage = LocalStorage(tmp_path, BUCKET)
    storage.ensure_ready()
    return storage


@pytest.fixture
def serialized_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let in-process moto handle one request at a time, as a server that is atomic per request would.

    moto 5 is not thread-safe in-process: a conditional PutObject checks If-Match, then writes, without a
    lock (two racing writers can both pass, and one write is lost), and a GetObject racing a PutObject on
    the same key can read a buffer the PutObject just closed ("I/O operation on closed file"). S3 has
    neither problem, so serialize moto to test our code under concurrency, not moto's.
    """
    lock = threading.Lock()
    process_request = BotocoreStubber.process_request

    def one_at_a_time(self: BotocoreStubber, request: AWSPreparedRequest) -> TYPE_RESPONSE | None:
        with lock:
            return process_request(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)


@pytest.fixture
def moto_storage(aws_credentials: None, serialized_moto: None) -> Iterator[S3Storage]:
    with mock_aws():
        storage = S3Storage(BUCKET)
        storage.ensure_ready()
        yield storage
        storage.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str, path: str = "/moto-api/") -> bool:
    # An explicit empty ProxyHandler: a proxy in the environment must not answer for the server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}{path}", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


@pytest.fixture(scope="session")
def moto_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server in its own process on a free loopback port: S3 over real HTTP, as LocalStack would be."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: moto logs every request, and a pipe nobody drains would fill and stall the server.
    log_path = tmp_path_factory.mktemp("moto-server") / "moto-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + MOTO_SERVER_START_TIMEOUT
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-4000:]
                pytest.fail(f"moto server on {url} did not start (exit code {process.poll()}):\n{output}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=MOTO_SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def unique_bucket() -> str:
    """A valid bucket name (3-63 lowercase characters) no other test uses."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def moto_server_storage(moto_server_url: str, aws_credentials: None) -> Iterator[S3Storage]:
    # The server lives for the whole session; a fresh bucket per test keeps tests independent.
    storage = S3Storage(unique_bucket(), endpoint_url=moto_server_url)
    storage.ensure_ready()
    yield storage
    storage.close()


LOCALSTACK_URL_VARIABLE = "TASK_API_TEST_LOCALSTACK_URL"


@pytest.fixture(scope="session")
def localstack_url() -> str:
    """A real LocalStack (the S3 the spec and Compose use), started by .ci/run on a loopback port.

    Locally, start one as .ci/run does and set TASK_API_TEST_LOCALSTACK_URL; without it these tests are
    skipped here, and fail under CI, which always provides one.
    """
    url = os.environ.get(LOCALSTACK_URL_VARIABLE)
    if not url:
        reason = f"no LocalStack: set {LOCALSTACK_URL_VARIABLE} (.ci/run starts one)"
        if os.environ.get("CI"):
            pytest.fail(f"the LocalStack tests must run in CI: {reason}")
        pytest.skip(reason)
    if not _answers(url, "/_localstack/health"):
        pytest.fail(f"LocalStack at {url} does not answer")
    return url


@pytest.fixture
def localstack_storage(localstack_url: str, aws_credentials: None) -> Iterator[S3Storage]:
    storage = S3Storage(unique_bucket(), endpoint_url=localstack_url)
    storage.ensure_ready()
    yield storage
    storage.close()


@pytest.fixture(params=["local", "moto", "moto_server", "localstack"])
def storage(request: pytest.FixtureRequest) -> Storage:
    """The same test against every backend: a local folder, moto in-process, a moto server and LocalStack."""
    backend: Storage = request.getfixturevalue(f"{request.param}_storage")
    return backend
