"""A folder on disk laid out like the bucket: `<root>/<bucket>/<collection>/<id>.json`.

Safe for several processes sharing the folder (the REST server and a stdio MCP server): a create links a
finished temp file into place, which fails if the name exists; a replace compares versions and renames
under an exclusive `flock`. Readers never see a half-written file.

The version a conditional write checks is a digest of the content, as S3's ETag is: equal versions mean
equal bytes, so a stale write can never slip through. Listings report the file's identity instead (inode,
size, mtime in ns), which costs a stat rather than a read. Identity alone can repeat (inodes are reused at
once, and mtimes are coarse on some file systems), so a file changed within the last `SETTLE_SECONDS` is
listed with a version that matches nothing: a cache then re-reads it rather than trust its identity.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import fcntl
import hashlib
import itertools
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISREG

from shared.errors import StorageUnavailable
from shared.storage.base import (
    COLLECTIONS,
    SUFFIX,
    AlreadyExists,
    ObjectRef,
    Storage,
    StoredObject,
    VersionMismatch,
    check_collection,
    check_key,
    id_of,
    key_name,
)

# Longer than the coarsest mtime granularity of common file systems (FAT: 2 s); see the module docstring.
SETTLE_SECONDS = 3.0

# Errors that no retry can fix: the folder is missing, not a folder, or not ours to use.
_PERMANENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS, errno.ELOOP})


def _failure(action: str, path: Path, exc: OSError) -> StorageUnavailable:
    return StorageUnavailable(f"cannot {action} {path}: {exc.strerror}", transient=exc.errno not in _PERMANENT)


def _version(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


class LocalStorage(Storage):
    def __init__(self, data_dir: Path, bucket: str) -> None:
        # Absolute now: the folder the log names is the one used, whatever the working directory becomes.
        self.root = Path(data_dir).expanduser().absolute() / bucket
        self._ready = False
        self._unsettled = itertools.count()
        self._listings: dict[Path, tuple[int, list[str], list[str]]] = {}

    def _identity(self, stat: os.stat_result) -> str:
        identity = f"{stat.st_ino}-{stat.st_size}-{stat.st_mtime_ns}"
        if time.time_ns() - stat.st_mtime_ns < SETTLE_SECONDS * 1e9:
            return f"unsettled-{identity}-{next(self._unsettled)}"  # unique: never equal to a cached version
        return identity

    def describe(self) -> str:
        return f"local folder {self.root}"

    def ensure_ready(self) -> None:
        try:
            for collection in COLLECTIONS:
                (self.root / collection).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _failure("create the data folder", self.root, exc) from exc
        self._ready = True

    def _check_root(self) -> None:
        """Raise unless the data folder is there. Before start-up made it, make it (start-up may not have run
        yet); after, a missing folder (deleted, an unmounted disk) is an error, never a new empty store."""
        if not self._ready:
            self.ensure_ready()
        elif not self.root.is_dir():
            raise StorageUnavailable(
                f"the data folder {self.root} is missing (it was there at start-up); "
                "restore it or set TASK_API_DATA_DIR to the right folder",
                transient=False,
            )

    def check(self) -> None:
        self._check_root()
        for collection in COLLECTIONS:
            directory = self.root / collection
            if not os.access(directory, os.R_OK | os.W_OK | os.X_OK):
                raise StorageUnavailable(
                    f"cannot read and write the data folder {directory}: permission denied", transient=False
                )

    def _path(self, collection: str, object_id: str) -> Path:
        check_key(collection, object_id)
        return self.root / collection / key_name(object_id)

    def get(self, collection: str, object_id: str) -> StoredObject | None:
        path = self._path(collection, object_id)
        if not self._ready:
            self._check_root()
        try:
            with path.open("rb") as fh:
                # The identity of the very file read: a replace renames a new file into place, never rewrites.
                identity = self._identity(os.fstat(fh.fileno()))
                body = fh.read()
        except FileNotFoundError:
            self._check_root()  # no such object, or no store at all?
            return None
        except OSError as exc:
            raise _failure("read", path, exc) from exc
        return StoredObject(body=body, version=_version(body), listed_version=identity)

    @staticmethod
    def _read_bytes(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _failure("read", path, exc) from exc

    def _write_temp(self, directory: Path, body: bytes) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=SUFFIX)
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
        self._check_root()  # writing would otherwise make a missing store anew, empty
        try:
            tmp = self._write_temp(path.parent, body)
            try:
                os.link(tmp, path)  # atomic, and refuses to replace an existing name
            except FileExistsError as exc:
                raise AlreadyExists(f"{collection}/{object_id}") from exc
            finally:
                tmp.unlink(missing_ok=True)
            return _version(body)
        except OSError as exc:
            raise _failure("write", path, exc) from exc

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
        self._check_root()
        try:
            with self._locked():
                current_body = self._read_bytes(path)
                if current_body is None:
                    raise VersionMismatch(f"{collection}/{object_id} is gone")
                if _version(current_body) != if_version:
                    raise VersionMismatch(f"{collection}/{object_id} changed")
                tmp = self._write_temp(path.parent, body)
                try:
                    os.replace(tmp, path)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
                return _version(body)
        except OSError as exc:
            raise _failure("write", path, exc) from exc

    def _names(self, directory: Path, *, keep: bool) -> tuple[list[str], list[str]]:
        """The entity file names of a folder in S3's key order, and their ids; none when the folder is missing.

        Kept per folder while the folder's mtime stays the same (a create, a replace's rename or a removal all
        change it): a page then lists without reading the folder. A folder changed within SETTLE_SECONDS is
        read again every time, as a coarse mtime could hide a second change. Only folders listed with `keep`
        (the entity collections) are kept: an entity's history folder is read rarely, and there is one per entity.
        """
        try:
            stat = os.stat(directory)
        except FileNotFoundError:
            return [], []
        except OSError as exc:
            raise _failure("list", directory, exc) from exc
        cached = self._listings.get(directory)
        if cached is not None and cached[0] == stat.st_mtime_ns:
            return cached[1], cached[2]
        try:
            found = os.listdir(directory)
        except FileNotFoundError:
            return [], []
        except OSError as exc:
            raise _failure("list", directory, exc) from exc
        # Names in S3's key order (code points, as S3 orders UTF-8 bytes), so both stores page alike.
        pairs = sorted((name, object_id) for name in found if not name.startswith(".") and (object_id := id_of(name)))
        names, ids = [name for name, _ in pairs], [object_id for _, object_id in pairs]
        if keep and time.time_ns() - stat.st_mtime_ns >= SETTLE_SECONDS * 1e9:
            self._listings[directory] = (stat.st_mtime_ns, names, ids)
        return names, ids

    def list_refs(
        self, collection: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[ObjectRef]:
        check_collection(collection)
        directory = self.root / collection
        self._check_root()  # a missing data folder is an error, not an empty list
        names, ids = self._names(directory, keep=collection in COLLECTIONS)
        first = 0 if start_after is None else bisect.bisect_right(names, key_name(start_after))
        refs: list[ObjectRef] = []
        if first >= len(names):
            return refs
        try:
            folder = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            return refs
        except OSError as exc:
            raise _failure("list", directory, exc) from exc
        try:
            for name, object_id in zip(names[first:], ids[first:], strict=True):
                if limit is not None and len(refs) >= limit:
                    break
                try:
                    stat = os.stat(name, dir_fd=folder, follow_symlinks=False)
                except FileNotFoundError:  # removed since the folder was read
                    continue
                if S_ISREG(stat.st_mode):  # a folder (or a link) someone made is not an entity
                    refs.append(ObjectRef(key_id=object_id, version=self._identity(stat)))
        except OSError as exc:
            raise _failure("list", directory, exc) from exc
        finally:
            os.close(folder)
        return refs
