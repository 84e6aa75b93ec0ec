"""An in-process cache of decoded entities, each tagged with the version a listing reports for its bytes.

A list checks every cached entity against the version the listing just gave (an S3 ETag, a file identity):
the same version is the same bytes, so the entity is served without a read; any other version is read anew.
What another process wrote is therefore seen on the next list, and nothing stale is ever served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """What a cache holds for an object that does not decode: the reason, so it is neither re-read nor re-logged."""

    reason: str


class VersionedCache(Generic[T]):
    """At most `max_entries` values by id, the least recently used evicted first; thread-safe."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be at least 0")
        self.max_entries = max_entries
        # id -> (version, value, the bytes of that version when the caller kept them)
        self._entries: OrderedDict[str, tuple[str, T | Unreadable, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, object_id: str, version: str) -> T | Unreadable | None:
        """The value cached for exactly this version of the object, or None."""
        with self._lock:
            entry = self._entries.get(object_id)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(object_id)
            return entry[1]

    def entry(self, object_id: str) -> tuple[str, T | Unreadable, bytes | None] | None:
        """Whatever version is cached for the object: its version, value and bytes (if kept); None if none."""
        with self._lock:
            entry = self._entries.get(object_id)
            if entry is not None:
                self._entries.move_to_end(object_id)
            return entry

    def holds(self, object_id: str) -> bool:
        """Whether any version of the object was seen (and is still cached)."""
        with self._lock:
            return object_id in self._entries

    def put(self, object_id: str, version: str, value: T | Unreadable, body: bytes | None = None) -> None:
        if not self.max_entries:
            return
        with self._lock:
            self._entries[object_id] = (version, value, body)
            self._entries.move_to_end(object_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def discard(self, object_id: str) -> None:
        with self._lock:
            self._entries.pop(object_id, None)
