"""The storage interface: JSON documents by collection and id, with versions for safe concurrent writes."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

from shared.models import ID_PATTERN

COLLECTIONS = ("users", "calls", "tasks")
_ID_RE = re.compile(ID_PATTERN)


class AlreadyExists(Exception):
    """A create found an object under that key already; nothing was written."""


class VersionMismatch(Exception):
    """A conditional replace found the object changed (or gone) since it was read; nothing was written."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """The bytes of one object and the version (S3 ETag, or a file identity) they were read at."""

    body: bytes
    version: str


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """What a listing says of one object without reading it: its id and current version."""

    key_id: str
    version: str


def is_valid_id(object_id: str) -> bool:
    return _ID_RE.fullmatch(object_id) is not None


def check_key(collection: str, object_id: str) -> None:
    """Refuse anything that could escape the collection (a "/", "..") before it reaches a key or a path."""
    if collection not in COLLECTIONS:
        raise ValueError(f"unknown collection {collection!r}")
    if not is_valid_id(object_id):
        raise ValueError(f"invalid object id {object_id!r}")


class Storage(ABC):
    """One JSON document per entity, at `<collection>/<id>.json`.

    Every method is blocking; async callers run them in a worker thread. Backend failures are raised as
    `shared.errors.StorageUnavailable`.
    """

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
    def list_refs(self, collection: str) -> list[ObjectRef]:
        """Every object of the collection, id and version, without reading the bodies."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to release
        """Release connections or handles."""
