"""Typed access to one collection: entities in, entities out, lists that read only what changed, updates
that never lose a write, and a history record for every write (see shared/storage/history.py)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import ValidationError

from shared.errors import Conflict, DomainError, NotFound, StoredObjectInvalid
from shared.models import Entity, EntityVersion
from shared.storage.base import (
    LIST_PAGE_MAX,
    AlreadyExists,
    ObjectRef,
    Storage,
    StoredObject,
    VersionMismatch,
    is_valid_id,
    key_name,
)
from shared.storage.cache import Unreadable, VersionedCache
from shared.storage.history import HistoryLog, Snapshot

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Entity)

# A conditional write that loses a race re-reads and tries again; past this many losses the caller is told.
MAX_WRITE_ATTEMPTS = 10
# Between attempts, a random pause growing with each loss, so writers that collided do not collide again in step.
_BACKOFF_BASE_SECONDS = 0.002
_BACKOFF_CAP_SECONDS = 0.25

# Entities kept decoded per collection. Measured by the bench, 10,000 cached tasks add about 40 MB to the server
# (141 MB peak in all), so a full cache of one collection is some 100 MB. A collection larger than this still
# lists correctly, re-reading what was evicted.
DEFAULT_CACHE_ENTRIES = 25_000
# A filtered page resolves this many listed objects at a time, and stops as soon as the page is full.
_SCAN_BATCH = 256


@dataclass
class Listing(Generic[E]):
    """Entities in key order, and the ids of objects left out because they do not hold a valid entity."""

    items: list[E]
    skipped: list[str] = field(default_factory=list)
    # Where the next page starts (the id to list after), or None when nothing follows.
    next_after: str | None = None


class Repository(Generic[E]):
    def __init__(
        self,
        storage: Storage,
        collection: str,
        model: type[E],
        kind: str,
        *,
        cache_entries: int = DEFAULT_CACHE_ENTRIES,
    ) -> None:
        self.storage = storage
        self.collection = collection
        self.model = model
        self.kind = kind  # "User", "Call", "Task": the word used in error messages
        self._cache: VersionedCache[E] = VersionedCache(cache_entries)
        # Invalid objects already reported, by id and content: each is logged once, however often it is listed.
        self._reported: set[tuple[str, int]] = set()
        # History is dated by updated_at: every entity of the service has one; a model without it (the contract
        # tests' own) keeps none.
        self._history = HistoryLog(storage, collection) if "updated_at" in model.model_fields else None

    # Reading one object

    def _decode(self, object_id: str, body: bytes) -> E | Unreadable:
        try:
            entity = self.model.model_validate_json(body)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3])
            reason = f"it does not parse ({problems})"
        else:
            if entity.id == object_id:
                return entity
            reason = f"its id is {entity.id!r}, not the id of its key"
        if (object_id, hash(body)) not in self._reported:
            self._reported.add((object_id, hash(body)))
            log.error("%s is not a valid %s and is left out: %s", self._key(object_id), self.kind.lower(), reason)
        return Unreadable(reason)

    def _key(self, object_id: str) -> str:
        return f"{self.collection}/{key_name(object_id)}"

    def _decoded(self, object_id: str, stored: StoredObject) -> E | Unreadable:
        """The entity these bytes hold (or why they hold none), decoded once per version and kept."""
        decoded = self._cache.get(object_id, stored.version_in_listing)
        if decoded is None:
            decoded = self._decode(object_id, stored.body)
            self._cache.put(object_id, stored.version_in_listing, decoded, self._kept(stored.body))
        return decoded

    def _kept(self, body: bytes) -> bytes | None:
        # The bytes are kept beside the entity only where an update can start from them (writes_listed_versions).
        return body if self.storage.writes_listed_versions else None

    def _remember(self, object_id: str, entity: E, body: bytes, version: str) -> None:
        """What this process just wrote, cached under the version the next listing will report for it."""
        if self.storage.writes_listed_versions:
            self._cache.put(object_id, version, entity, body)

    def _cached_for_write(self, object_id: str) -> tuple[E, StoredObject] | None:
        """The cached entity and its exact bytes and version, to update from without a read; None if not cached."""
        if not self.storage.writes_listed_versions:
            return None
        entry = self._cache.entry(object_id)
        if entry is None:
            return None
        version, value, body = entry
        if body is None or isinstance(value, Unreadable):
            return None
        return value, StoredObject(body=body, version=version)

    def _read_stored(self, object_id: str) -> tuple[E, StoredObject] | None:
        """The entity and the object it was read from; None when there is no such object."""
        if not is_valid_id(object_id):  # cannot name a stored object, so it is not one
            return None
        stored = self.storage.get(self.collection, object_id)
        if stored is None:
            self._cache.discard(object_id)
            return None
        decoded = self._decoded(object_id, stored)
        if isinstance(decoded, Unreadable):
            raise StoredObjectInvalid(self.kind, object_id, self._key(object_id), decoded.reason)
        return decoded, stored

    def _read(self, object_id: str) -> tuple[E, str] | None:
        """The entity and the version to write it back at; None when there is no such object."""
        found = self._read_stored(object_id)
        return None if found is None else (found[0], found[1].version)

    def get(self, object_id: str) -> E:
        found = self._read(object_id)
        if found is None:
            raise NotFound(self.kind, object_id)
        return found[0]

    def exists(self, object_id: str) -> bool:
        """Whether the object exists. Nothing deletes entities, so one seen before (and still cached) costs no read."""
        if self._cache.holds(object_id):
            return True
        try:
            return self._read(object_id) is not None
        except StoredObjectInvalid:
            return True  # it exists, broken: a reference to it is still a reference to something there

    # Writing

    def add(self, object_id: str, entity: E) -> None:
        """Store a new entity, its history record first (a record without its write is never shown)."""
        body = entity.model_dump_json().encode()
        if self._history is not None:
            self._history.record(object_id, Snapshot(_updated_at(entity), body), None, action="create")
        try:
            version = self.storage.create(self.collection, object_id, body)
        except AlreadyExists as exc:
            raise Conflict(f"{self.kind} {object_id} already exists; nothing was overwritten.") from exc
        self._remember(object_id, entity, body, version)

    def update(self, object_id: str, change: Callable[[E], E | None], *, reverted_to: int | None = None) -> E:
        """Apply `change` to the current entity and write it only if nobody wrote in between.

        `change` returns the new entity, or None when there is nothing to change (no write is made).
        It may raise a domain error to refuse the change; it may be called more than once.
        An object that does not hold a valid entity raises StoredObjectInvalid and is never overwritten.
        Each attempt writes the history record of its new state before the conditional write; `reverted_to`
        marks the change as the revert to that version.

        Where the store's listings report write versions (S3), a first attempt starts from the cached entity and
        its exact bytes, without a read: the conditional write is what proves them current. If they were not
        (another process wrote since), or if the cached state refuses the change or leaves nothing to change,
        the entity is read and the change applied to what is stored; nothing is decided on a cached state alone.
        """
        cached = self._cached_for_write(object_id)
        if cached is not None:
            written = self._write_change(object_id, cached, change, reverted_to, trusted=False)
            if written is not None:
                return written
        for attempt in range(MAX_WRITE_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)))
            found = self._read_stored(object_id)
            if found is None:
                raise NotFound(self.kind, object_id)
            written = self._write_change(object_id, found, change, reverted_to, trusted=True)
            if written is not None:
                return written
        raise Conflict(f"{self.kind} {object_id} is being changed by others right now; try again.")

    def _write_change(
        self,
        object_id: str,
        found: tuple[E, StoredObject],
        change: Callable[[E], E | None],
        reverted_to: int | None,
        *,
        trusted: bool,
    ) -> E | None:
        """One attempt of `update` from `found`: the entity written (or, when `trusted`, the unchanged entity
        if there is nothing to change), or None to try again from a fresh read.

        `trusted`: `found` was just read. An untrusted (cached) state never answers on its own: a refusal, or
        nothing to change, is checked again against the stored entity.
        """
        current, stored = found
        try:
            changed = change(current)
        except DomainError:
            if trusted:
                raise
            return None
        if changed is None:
            return current if trusted else None
        body = changed.model_dump_json().encode()
        if self._history is not None:
            self._history.record(
                object_id,
                Snapshot(_updated_at(changed), body),
                Snapshot(_updated_at(current), stored.body),
                action="update" if reverted_to is None else "revert",
                reverted_to=reverted_to,
            )
        try:
            version = self.storage.replace(self.collection, object_id, body, stored.version)
        except VersionMismatch:
            return None  # the record just written is an orphan: off the chain, never shown
        self._remember(object_id, changed, body, version)
        return changed

    # History

    def versions(self, object_id: str) -> list[EntityVersion]:
        """The entity's versions, oldest first, the last being the entity as stored now.

        Costs a GET of the entity, a LIST of its history and a GET of each record (read concurrently).
        """
        found = self._read_stored(object_id)
        if found is None:
            raise NotFound(self.kind, object_id)
        current, stored = found
        if self._history is None:
            raise TypeError(f"{self.kind} keeps no history")
        return self._history.versions(object_id, Snapshot(_updated_at(current), stored.body))

    # Lists

    def _resolve(self, refs: Sequence[ObjectRef], listing: Listing[E]) -> list[E]:
        """The entities the refs name, in their order: from the cache when the version matches, else read
        (concurrently, by the backend). Objects gone since the listing are dropped; invalid ones are noted."""
        decoded: dict[str, E | Unreadable] = {}
        missing: list[str] = []
        for ref in refs:
            cached = self._cache.get(ref.key_id, ref.version)
            if cached is None:
                missing.append(ref.key_id)
            else:
                decoded[ref.key_id] = cached
        if missing:
            for object_id, stored in self.storage.get_many(self.collection, missing).items():
                if stored is None:  # removed since it was listed
                    self._cache.discard(object_id)
                    continue
                decoded[object_id] = self._decoded(object_id, stored)
        entities: list[E] = []
        for ref in refs:
            value = decoded.get(ref.key_id)
            if isinstance(value, Unreadable):
                listing.skipped.append(ref.key_id)
            elif value is not None:
                entities.append(value)
        return entities

    def _batches(self, after: str | None) -> Iterator[list[ObjectRef]]:
        """The refs after `after`, listed a LIST page at a time and handed out in batches of _SCAN_BATCH."""
        while True:
            refs = self.storage.list_refs(self.collection, start_after=after, limit=LIST_PAGE_MAX)
            for start in range(0, len(refs), _SCAN_BATCH):
                yield refs[start : start + _SCAN_BATCH]
            if len(refs) < LIST_PAGE_MAX:
                return
            after = refs[-1].key_id

    def all(self, match: Callable[[E], bool] | None = None, *, after: str | None = None) -> Listing[E]:
        """Every entity of the collection (that `match` accepts; after `after`), in key order: oldest first for
        our ids. Misses are read all at once, so a cold list waits for the slowest read, not for their sum."""
        listing: Listing[E] = Listing(items=[])
        entities = self._resolve(self.storage.list_refs(self.collection, start_after=after), listing)
        listing.items = entities if match is None else [e for e in entities if match(e)]
        return listing

    def page(self, *, after: str | None, limit: int, match: Callable[[E], bool] | None = None) -> Listing[E]:
        """Up to `limit` entities (that `match` accepts) whose keys follow `after`'s, and where the next page starts.

        Unfiltered, it lists `limit + 1` keys and reads only the `limit` it returns (fewer when cached); the key
        beyond tells whether more follow. Filtered, it reads on in batches until `limit + 1` match or the
        collection ends.
        """
        listing: Listing[E] = Listing(items=[])
        if match is None:
            refs = self.storage.list_refs(self.collection, start_after=after, limit=limit + 1)
            listing.items = self._resolve(refs[:limit], listing)
            if len(refs) > limit:
                listing.next_after = refs[limit - 1].key_id
            return listing
        for batch in self._batches(after):
            for entity in self._resolve(batch, listing):
                if not match(entity):
                    continue
                if len(listing.items) == limit:  # one more than the page holds: there is a next page
                    listing.next_after = listing.items[-1].id
                    return listing
                listing.items.append(entity)
        return listing


def _updated_at(entity: Entity) -> datetime:
    """When the entity was last written: every stored kind has updated_at, the time its history record bears."""
    value = getattr(entity, "updated_at", None)
    if not isinstance(value, datetime):
        raise TypeError(f"{type(entity).__name__} has no updated_at to date its history by")
    return value
