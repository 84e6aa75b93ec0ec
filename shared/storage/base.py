"""The storage interface: JSON documents by collection and id, with versions for safe concurrent writes."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.models import ID_PATTERN

COLLECTIONS = ("users", "calls", "tasks")
# Records kept beside the entities, in collections of their own: idempotency records, and each entity's history
# under `history/<collection>/<id>/` (one collection per entity, so its history lists with one prefix).
IDEMPOTENCY = "idempotency"
HISTORY = "history"
SUFFIX = ".json"
# S3's most keys per ListObjectsV2 call; also the chunk the local store lists in, so both count alike.
LIST_PAGE_MAX = 1000
_ID_RE = re.compile(ID_PATTERN)


class AlreadyExists(Exception):
    """A create found an object under that key already; nothing was written."""


class VersionMismatch(Exception):
    """A conditional replace found the object changed (or gone) since it was read; nothing was written."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """The bytes of one object and the version they were read at.

    `version` is what a conditional `replace` takes (S3 ETag; local store: a content digest). `listed_version`
    is what `list_refs` reports for these same bytes (S3: the same ETag; local: the file's identity), so a
    cache can tell from a listing alone whether what it holds is still current. It is not part of equality:
    two reads of the same bytes at the same version are the same object.
    """

    body: bytes
    version: str
    listed_version: str = field(default="", compare=False)

    @property
    def version_in_listing(self) -> str:
        return self.listed_version or self.version


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """What a listing says of one object without reading it: its id and current version."""

    key_id: str
    version: str


def is_valid_id(object_id: str) -> bool:
    return _ID_RE.fullmatch(object_id) is not None


def key_name(object_id: str) -> str:
    """The object's name within its collection. Listings are in the order of these names (S3's key order)."""
    return f"{object_id}{SUFFIX}"


def id_of(name: str) -> str | None:
    """The id an object name stands for, or None for a name that is not an entity's (a stray file, a folder)."""
    if not name.endswith(SUFFIX):
        return None
    object_id = name[: -len(SUFFIX)]
    return object_id if is_valid_id(object_id) else None


def history_collection(collection: str, object_id: str) -> str:
    """The collection holding the history records of one entity."""
    return f"{HISTORY}/{collection}/{object_id}"


def check_collection(collection: str) -> None:
    """Refuse a collection that is not one of ours: an entity collection, idempotency, or an entity's history."""
    if collection in COLLECTIONS or collection == IDEMPOTENCY:
        return
    parts = collection.split("/")
    if len(parts) == 3 and parts[0] == HISTORY and parts[1] in COLLECTIONS and is_valid_id(parts[2]):
        return
    raise ValueError(f"unknown collection {collection!r}")


def check_key(collection: str, object_id: str) -> None:
    """Refuse anything that could escape the collection (a "/", "..") before it reaches a key or a path."""
    check_collection(collection)
    if not is_valid_id(object_id):
        raise ValueError(f"invalid object id {object_id!r}")


class Storage(ABC):
    """One JSON document per entity, at `<collection>/<id>.json`.

    Every method is blocking; async callers run them in a worker thread. Backend failures are raised as
    `shared.errors.StorageUnavailable`.
    """

    # Whether the version `create` and `replace` return (and `get` reads) is the one `list_refs` reports for the
    # same bytes: S3 ETags are. A cache can then tag what it writes, and update from it without a read.
    writes_listed_versions = False

    @abstractmethod
    def describe(self) -> str:
        """Where the data lives, for the start-up log line."""

    @abstractmethod
    def ensure_ready(self) -> None:
        """Create the bucket or folder if it is missing. Safe to call more than once."""

    def check(self) -> None:
        """Raise StorageUnavailable, saying what is wrong, unless the store works now (the readiness probe).

        Makes the store ready first if it is not yet. Backends add a cheap round trip to the store."""
        self.ensure_ready()

    @abstractmethod
    def get(self, collection: str, object_id: str) -> StoredObject | None:
        """The object, or None when there is none."""

    @abstractmethod
    def create(self, collection: str, object_id: str, body: bytes) -> str:
        """Write a new object and return its version; raise AlreadyExists rather than overwrite."""

    @abstractmethod
    def replace(self, collection: str, object_id: str, body: bytes, if_version: str) -> str:
        """Overwrite the object only if it is still at `if_version`; else raise VersionMismatch."""

    @abstractmethod
    def list_refs(
        self, collection: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[ObjectRef]:
        """The collection's objects in key order, id and version, without reading the bodies.

        Only those whose key comes after the key of `start_after` (an id, which need not exist), and at most
        `limit` of them (S3's StartAfter and MaxKeys): a page of a list costs the listing of that page only.
        """

    def get_many(self, collection: str, object_ids: Iterable[str]) -> dict[str, StoredObject | None]:
        """Several objects at once (None for one that is gone). Backends with latency read them concurrently."""
        return {object_id: self.get(collection, object_id) for object_id in object_ids}

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to release
        """Release connections or handles."""
