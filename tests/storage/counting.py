"""A storage that counts the calls made of it, to prove what a list or a write costs on any backend."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from shared.storage import ObjectRef, Storage, StoredObject


class CountingStorage(Storage):
    """Wraps a real backend; `calls` counts list_refs calls and objects read (get, or each id of get_many)."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.read_ids: list[str] = []

    def reset(self) -> None:
        self.calls.clear()
        self.read_ids.clear()

    def describe(self) -> str:
        return self.inner.describe()

    def ensure_ready(self) -> None:
        self.inner.ensure_ready()

    def get(self, collection: str, object_id: str) -> StoredObject | None:
        self.calls["get"] += 1
        self.read_ids.append(object_id)
        return self.inner.get(collection, object_id)

    def get_many(self, collection: str, object_ids: Iterable[str]) -> dict[str, StoredObject | None]:
        ids = list(object_ids)
        self.calls["get"] += len(ids)
        self.read_ids.extend(ids)
        return self.inner.get_many(collection, ids)

    def create(self, collection: str, object_id: str, body: bytes) -> str:
        self.calls["create"] += 1
        return self.inner.create(collection, object_id, body)

    def replace(self, collection: str, object_id: str, body: bytes, if_version: str) -> str:
        self.calls["replace"] += 1
        return self.inner.replace(collection, object_id, body, if_version)

    def list_refs(
        self, collection: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[ObjectRef]:
        self.calls["list_refs"] += 1
        return self.inner.list_refs(collection, start_after=start_after, limit=limit)
