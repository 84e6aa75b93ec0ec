"""Deadlines for S3: what to retry, how soon, and a circuit breaker so an outage costs seconds, not minutes.

botocore's own retries are switched off (`total_max_attempts=1` in the client config): its backoff waits up
to a second before a retry, and it retries a write whose request may already have reached S3. Instead, one
`needs-retry` handler decides, and one `before-send` handler fails a call at once while S3 is known to be
unreachable. Both are hooked on the client's events, so every call made through the client is covered,
paginators included, whoever writes the call.

The budget, with `CONNECT_TIMEOUT`/`READ_TIMEOUT` from the client config:
- S3 refuses connections: each attempt fails in milliseconds; after `TRIP_AFTER` such failures in a row
  (across all threads) the breaker opens and calls fail without a connection attempt.
- S3 accepts connections and never answers (a dead NAT): an attempt ends after `READ_TIMEOUT`; one retry
  for a read, none for a write that may have been sent: at most 2 x READ_TIMEOUT + a short pause per call,
  under 5 s, and once the breaker is open, calls fail at once.
- While open, one call every `PROBE_INTERVAL` goes through as a probe; the first answer from S3 (any HTTP
  status) closes the breaker.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

CONNECT_TIMEOUT = 1.0  # seconds to open a TCP connection; a healthy S3 takes milliseconds
READ_TIMEOUT = 2.0  # seconds of silence on an open connection before an attempt is given up
MAX_ATTEMPTS = 2  # the first try and one retry
TRIP_AFTER = 2  # consecutive unreachable attempts that open the breaker
PROBE_INTERVAL = 1.0  # seconds between probes while the breaker is open
_RETRY_PAUSE = (0.02, 0.15)  # seconds, random: a retry soon, but not in step with other threads
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
# Operations that change nothing: retried after any failure. A write is retried only when it cannot have
# been sent (no connection was made); otherwise a retried create could find its own first attempt and fail.
_READS = frozenset({"GetObject", "HeadObject", "HeadBucket", "ListObjectsV2", "ListObjects", "GetBucketLocation"})


class S3Unreachable(BotoCoreError):
    """Raised instead of sending a request while the breaker is open."""

    fmt = "{reason}"


def describe_failure(exc: BaseException) -> str:
    """A short cause for a connection-level failure, for the "Storage unavailable" message."""
    if isinstance(exc, S3Unreachable):
        return str(exc)
    if isinstance(exc, ReadTimeoutError):
        return f"no answer within {READ_TIMEOUT:g} s"
    if isinstance(exc, EndpointConnectionError):  # ConnectTimeoutError is one too
        return "connection timed out" if "timeout" in type(exc).__name__.lower() else "connection refused or failed"
    if isinstance(exc, ConnectionClosedError):
        return "connection closed before an answer"
    return type(exc).__name__


def _is_unreachable(exc: BaseException) -> bool:
    """S3 cannot be reached at all: these failures count towards opening the breaker.

    A connection closed by the server (ConnectionClosedError) does not: the server was there, and stale
    pooled connections after a restart would otherwise trip the breaker just as S3 comes back."""
    return isinstance(exc, ReadTimeoutError | EndpointConnectionError)


class CircuitBreaker:
    """Thread-safe; counts consecutive unreachable attempts across every thread using one client."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open = False
        self._next_probe_at = 0.0
        self._last_cause = ""
        self._opened_at = 0.0

    @property
    def is_open(self) -> bool:
        return self._open

    def allow(self) -> bool:
        """May a request be sent now? While open, True once per probe interval (that call is the probe)."""
        with self._lock:
            if not self._open:
                return True
            now = self._clock()
            if now < self._next_probe_at:
                return False
            # Let this one through; no other until it had time to time out, plus the interval.
            self._next_probe_at = now + PROBE_INTERVAL + CONNECT_TIMEOUT + READ_TIMEOUT
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._open = False

    def record_failure(self, cause: str) -> None:
        with self._lock:
            self._failures += 1
            self._last_cause = cause
            if self._failures >= TRIP_AFTER:
                now = self._clock()
                if not self._open:
                    self._open = True
                    self._opened_at = now
                self._next_probe_at = now + PROBE_INTERVAL

    def open_reason(self) -> str:
        with self._lock:
            since = self._clock() - self._opened_at
            return f"unreachable for {since:.1f} s ({self._last_cause}); not tried again until S3 answers a probe"


class S3Guard:
    """The two event handlers, over one breaker; `install` hooks them on a client."""

    def __init__(self, breaker: CircuitBreaker | None = None) -> None:
        self.breaker = breaker or CircuitBreaker()

    def install(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-send.s3", self.before_send, unique_id="task-api-s3-breaker")
        events.register("needs-retry.s3", self.needs_retry, unique_id="task-api-s3-retry")

    def before_send(self, **_: Any) -> None:
        if not self.breaker.allow():
            raise S3Unreachable(reason=self.breaker.open_reason())

    def needs_retry(
        self,
        *,
        attempts: int,
        operation: Any,
        response: Any = None,
        caught_exception: BaseException | None = None,
        **_: Any,
    ) -> float | None:
        """The pause before another attempt, or None for no retry (botocore then returns or raises)."""
        if caught_exception is not None:
            if isinstance(caught_exception, S3Unreachable):
                return None
            if _is_unreachable(caught_exception):
                self.breaker.record_failure(describe_failure(caught_exception))
            if not isinstance(caught_exception, BotoCoreError) or attempts >= MAX_ATTEMPTS:
                return None
            not_sent = isinstance(caught_exception, EndpointConnectionError)
            if operation.name not in _READS and not not_sent:
                return None
            return random.uniform(*_RETRY_PAUSE)
        # S3 answered: it is reachable, whatever the status.
        self.breaker.record_success()
        status = _status(response)
        # A 5xx to a write may come after the write was made; only 503 (SlowDown) surely means "not done".
        retryable = status in _RETRYABLE_STATUS and (operation.name in _READS or status == 503)
        if retryable and attempts < MAX_ATTEMPTS:
            return random.uniform(*_RETRY_PAUSE)
        return None


def _status(response: Any) -> int:
    try:
        return int(response[0].status_code)
    except (TypeError, IndexError, AttributeError, ValueError):
        return 0
