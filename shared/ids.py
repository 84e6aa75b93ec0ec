"""Entity ids: UUIDv7 (RFC 9562), so the order of keys in the bucket is the order entities were created in.

A listing of S3 keys (or file names) is then oldest first without reading a single object, which is what lets
a page of a list cost one LIST and the reads of that page only.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from datetime import datetime

_COUNTER_BITS = 12  # rand_a of RFC 9562: here a counter, so ids minted in one millisecond keep their order
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1


class IdFactory:
    """Mints time-ordered ids; thread-safe, and strictly increasing within one process (RFC 9562, method 1).

    The timestamp is the entity's own `created_at`, so key order and creation order agree even under a test
    clock. Ids never go backwards, even when that clock does: the previous millisecond is reused and the
    counter carries on.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0

    def new_id(self, at: datetime) -> str:
        ms = int(at.timestamp() * 1000)
        with self._lock:
            if ms > self._last_ms:
                # A random start within the lower half leaves room to count up within the millisecond.
                self._last_ms, self._counter = ms, secrets.randbits(_COUNTER_BITS - 1)
            elif self._counter < _COUNTER_MAX:
                self._counter += 1
            else:  # 2,048+ ids in one millisecond: borrow the next one, as RFC 9562 allows
                self._last_ms, self._counter = self._last_ms + 1, 0
            ms, counter = self._last_ms, self._counter
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | secrets.randbits(62)
        return str(uuid.UUID(int=value))


def is_time_ordered(entity_id: str) -> bool:
    """Whether an id is a UUIDv7, whose key order is creation order; other ids still list, at their key's place."""
    try:
        return uuid.UUID(entity_id).version == 7
    except ValueError:
        return False
