"""Typed access to one collection: entities in, entities out, and updates that never lose a write."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import Conflict, NotFound, StorageUnavailable
from shared.storage.base import AlreadyExists, Storage, VersionMismatch, is_valid_id

log = logging.getLogger(__name__)

E = TypeVar("E", bound=BaseModel)

# A conditional write that loses a race re-reads and tries again; past this many losses the caller is told.
MAX_WRITE_ATTEMPTS = 10
# Between attempts, a random pause growing with each loss, so writers that collided do not collide again in step.
_BACKOFF_BASE_SECONDS = 0.002
_BACKOFF_CAP_SECONDS = 0.25


class Repository(Generic[E]):
    def __init__(self, storage: Storage, collection: str, model: type[E], kind: str) -> None:
        self.storage = storage
        self.collection = collection
        self.model = model
        self.kind = kind  # "User", "Call", "Task": the word used in error messages

    def _decode(self, object_id: str, body: bytes) -> E:
        try:
            return self.model.model_validate_json(body)
        except ValidationError as exc:
            log.error("unreadable %s object %s: %s", self.collection, object_id, exc)
            raise StorageUnavailable(
                f"Stored {self.kind.lower()} {object_id} is unreadable; it was left as it is."
            ) from exc

    def _read(self, object_id: str) -> tuple[E, str] | None:
        if not is_valid_id(object_id):  # cannot name a stored object, so it is not one
            return None
        stored = self.storage.get(self.collection, object_id)
        if stored is None:
            return None
        return self._decode(object_id, stored.body), stored.version

    def get(self, object_id: str) -> E:
        found = self._read(object_id)
        if found is None:
            raise NotFound(self.kind, object_id)
        return found[0]

    def exists(self, object_id: str) -> bool:
        return self._read(object_id) is not None

    def add(self, object_id: str, entity: E) -> None:
        try:
            self.storage.create(self.collection, object_id, entity.model_dump_json().encode())
        except AlreadyExists as exc:
            raise Conflict(f"{self.kind} {object_id} already exists; nothing was overwritten.") from exc

    def update(self, object_id: str, change: Callable[[E], E | None]) -> E:
        """Apply `change` to the current entity and write it only if nobody wrote in between.

        `change` returns the new entity, or None when there is nothing to change (no write is made).
        It may raise a domain error to refuse the change; it may be called more than once.
        """
        for attempt in range(MAX_WRITE_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)))
            found = self._read(object_id)
            if found is None:
                raise NotFound(self.kind, object_id)
            current, version = found
            changed = change(current)
            if changed is None:
                return current
            try:
                self.storage.replace(self.collection, object_id, changed.model_dump_json().encode(), version)
            except VersionMismatch:
                continue
            return changed
        raise Conflict(f"{self.kind} {object_id} is being changed by others right now; try again.")

    def all(self) -> list[E]:
        """Every entity of the collection. Objects that vanish mid-listing are skipped, as are unreadable ones
        (logged), so one bad object cannot take a whole list down."""
        entities: list[E] = []
        for ref in self.storage.list_refs(self.collection):
            stored = self.storage.get(self.collection, ref.key_id)
            if stored is None:
                continue
            try:
                entities.append(self._decode(ref.key_id, stored.body))
            except StorageUnavailable:
                continue
        return entities
