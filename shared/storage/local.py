"""A folder on disk laid out like the bucket: `<root>/<bucket>/<collection>/<id>.json`.

Safe for several processes sharing the folder (the REST server and a stdio MCP server): a create links a
finished temp file into place, which fails if the name exists; a replace compares versions and renames
under an exclusive `flock`. Readers never see a half-written file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shared.errors import StorageUnavailable
from shared.storage.base import (
    COLLECTIONS,
    AlreadyExists,
    ObjectRef,
    Storage,
    StoredObject,
    VersionMismatch,
    check_key,
    is_valid_id,
)

_SUFFIX = ".json"


def _version(st: os.stat_result) -> str:
    # Every write puts a new file (new inode) in place, so inode + mtime + size changes on every write.
    return f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"


class LocalStorage(Storage):
    def __init__(self, data_dir: Path, bucket: str) -> None:
        self.root = Path(data_dir) / bucket

    def describe(self) -> str:
        return f"local folder {self.root.resolve()}"

    def ensure_ready(self) -> None:
        try:
            for collection in COLLECTIONS:
                (self.root / collection).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"Cannot create the data folder {self.root}: {exc.strerror}") from exc

    def _path(self, collection: str, object_id: str) -> Path:
        check_key(collection, object_id)
        return self.root / collection / f"{object_id}{_SUFFIX}"

    def get(self, collection: str, object_id: str) -> StoredObject | None:
        path = self._path(collection, object_id)
        try:
            with path.open("rb") as fh:
                st = os.fstat(fh.fileno())
                return StoredObject(body=fh.read(), version=_version(st))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageUnavailable(f"Cannot read {path}: {exc.strerror}") from exc

    def _write_temp(self, directory: Path, body: bytes) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name)

    def create(self, collection: str, object_id: str, body: bytes) -> str:
        path = self._path(collection, object_id)
        try:
            tmp = self._write_temp(path.parent, body)
            try:
                os.link(tmp, path)  # atomic, and refuses to replace an existing name
            except FileExistsError as exc:
                raise AlreadyExists(f"{collection}/{object_id}") from exc
            finally:
                tmp.unlink(missing_ok=True)
            return _version(path.stat())
        except OSError as exc:
            raise StorageUnavailable(f"Cannot write {path}: {exc.strerror}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def replace(self, collection: str, object_id: str, body: bytes, if_version: str) -> str:
        path = self._path(collection, object_id)
        try:
            with self._locked():
                try:
                    current = _version(path.stat())
                except FileNotFoundError as exc:
                    raise VersionMismatch(f"{collection}/{object_id} is gone") from exc
                if current != if_version:
                    raise VersionMismatch(f"{collection}/{object_id} changed")
                tmp = self._write_temp(path.parent, body)
                try:
                    os.replace(tmp, path)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
                return _version(path.stat())
        except OSError as exc:
            raise StorageUnavailable(f"Cannot write {path}: {exc.strerror}") from exc

    def list_refs(self, collection: str) -> list[ObjectRef]:
        if collection not in COLLECTIONS:
            raise ValueError(f"unknown collection {collection!r}")
        directory = self.root / collection
        refs: list[ObjectRef] = []
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageUnavailable(f"Cannot list {directory}: {exc.strerror}") from exc
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.endswith(_SUFFIX):
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:  # replaced between scandir and stat: the next listing sees it
                continue
            object_id = name[: -len(_SUFFIX)]
            if is_valid_id(object_id):  # a stray file someone dropped in is not an entity
                refs.append(ObjectRef(key_id=object_id, version=_version(st)))
        return refs
