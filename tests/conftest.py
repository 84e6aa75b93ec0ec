"""Storage backends every suite can run against: a local folder, S3 under in-process moto, S3 over HTTP."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSPreparedRequest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.common_types import TYPE_RESPONSE

from shared.storage import LocalStorage, S3Storage, Storage
from shared.storage.local import SETTLE_SECONDS
from tests.live_server import release_dropped_apps
from tests.moto_server import MotoServerError, answers, free_port, moto_server
from tests.tcp_proxy import TcpProxy

BUCKET = "mcp-pycon-demo-bucket"

__all__ = ["free_port"]  # re-exported: suites import it from here


@pytest.fixture(autouse=True)
def _release_dropped_apps() -> Iterator[None]:
    """Each test's apps are garbage once it ends: let them go (see release_dropped_apps)."""
    yield
    release_dropped_apps()


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


@pytest.fixture(scope="session")
def moto_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One moto server process for the whole session; tests keep apart by using a bucket each."""
    log_path = tmp_path_factory.mktemp("moto-server") / "moto-server.log"
    try:
        with moto_server(log_path) as url:
            yield url
    except MotoServerError as exc:
        pytest.fail(str(exc))


def settle(storage: Storage) -> None:
    """Make the store look as it will a few seconds after the last write.

    The local store lists a file changed within the last seconds with a version that matches nothing (its
    identity could still repeat), so a test of what a later listing reports ages every file, each from its own
    mtime. S3's versions are content digests: nothing to wait for.
    """
    if not isinstance(storage, LocalStorage):
        return
    age_ns = int((SETTLE_SECONDS + 1) * 1e9)
    for path in [*storage.root.glob("*/*.json"), *storage.root.glob("*/")]:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns - age_ns, stat.st_mtime_ns - age_ns))


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


@pytest.fixture
def proxied_s3(moto_server_url: str, aws_credentials: None) -> Iterator[tuple[S3Storage, TcpProxy]]:
    """S3 on the moto server reached through a TcpProxy, which notes every request that reaches S3."""
    host, port = moto_server_url.removeprefix("http://").split(":")
    with TcpProxy(host, int(port)) as proxy:
        storage = S3Storage(unique_bucket(), endpoint_url=proxy.url)
        storage.ensure_ready()
        proxy.reset_requests()
        yield storage, proxy
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
    if not answers(url):
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


@pytest.fixture
def s3_proxy(moto_server_url: str) -> Iterator[TcpProxy]:
    """A TcpProxy in front of the session's moto server, to play S3 outages: blackhole(), refuse(), restore()."""
    upstream = urlsplit(moto_server_url)
    assert upstream.hostname is not None and upstream.port is not None
    with TcpProxy(upstream.hostname, upstream.port) as proxy:
        yield proxy
