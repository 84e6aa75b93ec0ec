"""S3 outages through a TCP proxy in front of a moto server: a black hole, refused connections, a restart.

Every S3 call has a deadline (connect and read timeouts, one retry where it is safe), and a circuit breaker
fails calls at once while S3 is known to be unreachable, so a request never hangs on S3.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio.to_thread
import pytest

from shared.errors import StorageUnavailable
from shared.storage import S3Storage
from shared.storage.s3_guard import PROBE_INTERVAL, READ_TIMEOUT, CircuitBreaker
from tests.conftest import unique_bucket
from tests.tcp_proxy import TcpProxy

# The budget: any request answers within 5 s when S3 hangs, within 1 s when it refuses connections.
HANG_BUDGET = 5.0
REFUSED_BUDGET = 1.0


@pytest.fixture
def storage(s3_proxy: TcpProxy, aws_credentials: None) -> Iterator[S3Storage]:
    s = S3Storage(unique_bucket(), endpoint_url=s3_proxy.url)
    s.ensure_ready()
    s.create("users", "u1", b"{}")
    yield s
    s.close()


def timed(operation: Callable[[], object]) -> tuple[float, StorageUnavailable]:
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as raised:
        operation()
    return time.monotonic() - started, raised.value


OPERATIONS: list[tuple[str, Callable[[S3Storage], object]]] = [
    ("get", lambda s: s.get("users", "u1")),
    ("list_refs", lambda s: s.list_refs("users")),
    ("create", lambda s: s.create("users", "u2", b"{}")),
    ("replace", lambda s: s.replace("users", "u1", b"{}", '"etag"')),
    ("check", lambda s: s.check()),
]


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_a_hanging_s3_fails_each_operation_within_the_deadline(
    storage: S3Storage, s3_proxy: TcpProxy, name: str, operation: Callable[[S3Storage], object]
) -> None:
    s3_proxy.blackhole()

    elapsed, error = timed(lambda: operation(storage))

    assert elapsed < HANG_BUDGET, f"{name} took {elapsed:.1f}s"
    assert error.message.startswith(f"Storage unavailable: S3 bucket {storage.bucket} at {s3_proxy.url}")
    assert f"no answer within {READ_TIMEOUT:g} s" in error.message
    assert error.transient


def test_a_read_is_retried_once_but_a_write_that_may_have_been_sent_is_not(
    storage: S3Storage, s3_proxy: TcpProxy
) -> None:
    s3_proxy.blackhole()
    before = s3_proxy.connections_accepted
    storage.close()  # no pooled connection: each attempt opens its own, so the proxy counts attempts
    fresh = S3Storage(storage.bucket, endpoint_url=s3_proxy.url)
    with pytest.raises(StorageUnavailable):
        fresh.create("users", "u3", b"{}")
    assert s3_proxy.connections_accepted - before == 1

    other = S3Storage(storage.bucket, endpoint_url=s3_proxy.url)
    with pytest.raises(StorageUnavailable):
        other.get("users", "u1")
    assert s3_proxy.connections_accepted - before == 3


def test_once_s3_is_known_to_hang_calls_fail_at_once_and_it_recovers_when_s3_answers(
    storage: S3Storage, s3_proxy: TcpProxy
) -> None:
    s3_proxy.blackhole()
    timed(lambda: storage.get("users", "u1"))  # two attempts time out: the breaker opens

    elapsed, error = timed(lambda: storage.get("users", "u1"))
    assert elapsed < 0.2
    assert "unreachable for" in error.message

    s3_proxy.restore()
    deadline = time.monotonic() + PROBE_INTERVAL + 3 * READ_TIMEOUT
    while True:
        try:
            assert storage.get("users", "u1") is not None
            break
        except StorageUnavailable:
            assert time.monotonic() < deadline, "S3 came back but the store did not"
            time.sleep(0.1)


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_refused_connections_fail_each_operation_within_a_second(
    storage: S3Storage, s3_proxy: TcpProxy, name: str, operation: Callable[[S3Storage], object]
) -> None:
    s3_proxy.refuse()

    for _ in range(3):
        elapsed, error = timed(lambda: operation(storage))
        assert elapsed < REFUSED_BUDGET, f"{name} took {elapsed:.2f}s"
        assert "Storage unavailable: S3 bucket" in error.message


def test_a_restarted_s3_serves_again_and_nothing_written_before_is_lost(storage: S3Storage, s3_proxy: TcpProxy) -> None:
    version = storage.create("users", "kept", b'{"a": 1}')
    s3_proxy.refuse()
    with pytest.raises(StorageUnavailable):
        storage.get("users", "kept")
    s3_proxy.restore()

    deadline = time.monotonic() + 2 * PROBE_INTERVAL + READ_TIMEOUT
    while True:
        try:
            stored = storage.get("users", "kept")
            break
        except StorageUnavailable:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert stored is not None and stored.version == version


def test_the_connection_pool_is_as_large_as_the_worker_threads(
    storage: S3Storage, caplog: pytest.LogCaptureFixture
) -> None:
    async def default_threads() -> int:
        return int(anyio.to_thread.current_default_thread_limiter().total_tokens)

    threads = anyio.run(default_threads)  # 40: the worker threads REST routes and MCP tools run in
    assert storage.client.meta.config.max_pool_connections >= max(threads, 32)

    caplog.set_level(logging.WARNING, logger="urllib3.connectionpool")
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: storage.get("users", "u1"), range(4 * threads)))

    assert all(r is not None for r in results)
    assert not [r for r in caplog.records if "Connection pool is full" in r.getMessage()]


# The breaker alone, on a fake clock.


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_two_failures_in_a_row_and_lets_one_probe_through_per_interval() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock=clock)

    breaker.record_failure("connection refused")
    assert breaker.allow() and not breaker.is_open  # one failure is not an outage
    breaker.record_success()
    breaker.record_failure("connection refused")
    assert not breaker.is_open  # the success in between reset the count
    breaker.record_failure("connection refused")
    assert breaker.is_open
    assert not breaker.allow()

    clock.now += PROBE_INTERVAL
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # and only one
    breaker.record_success()
    assert breaker.allow() and not breaker.is_open
