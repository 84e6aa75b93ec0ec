"""S3 through boto3: `s3://<bucket>/<collection>/<id>.json`, with conditional writes (IfNoneMatch/IfMatch)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from shared.errors import StorageUnavailable
from shared.storage.base import (
    LIST_PAGE_MAX,
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
from shared.storage.s3_guard import CONNECT_TIMEOUT, READ_TIMEOUT, S3Guard, describe_failure

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Reads of a list's missing objects in flight at once, per process. The connection pool is larger (see
# _CLIENT_CONFIG), so the request threads' own reads and writes never wait behind a list's fetches.
FETCH_CONCURRENCY = 32

# Connections kept to S3: one per worker thread that may call S3 at once (anyio's default limiter allows 40
# request threads) plus a list's concurrent fetches. Fewer, and threads beyond the pool open and drop a
# connection per call ("Connection pool is full" warnings, a TCP and TLS handshake each time).
REQUEST_THREADS = 40
POOL_CONNECTIONS = REQUEST_THREADS + FETCH_CONCURRENCY

# Deadlines: during an outage a caller gets a clear error within seconds, never a hung request.
# botocore's retries are off: S3Guard (s3_guard.py) retries what is safe to retry, soon, and fails calls at
# once while S3 is known to be unreachable. The budget is explained there.
_CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"total_max_attempts": 1, "mode": "standard"},
    max_pool_connections=POOL_CONNECTIONS,
    tcp_keepalive=True,
    # Our own code builds every request from checked values; botocore's re-check costs CPU on every call.
    parameter_validation=False,
)

# Error codes that say "you may not", not "not now": retrying cannot help until someone changes something.
_DENIED = frozenset(
    {"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _no_expect_continue(request: Any, **_: Any) -> None:
    # botocore asks before every PUT body whether the server wants it (Expect: 100-continue): a whole extra
    # round trip for a body of a few hundred bytes. The header is not signed, so it can go after signing.
    request.headers.pop("Expect", None)


class S3Storage(Storage):
    writes_listed_versions = True  # ETags: PutObject, GetObject and ListObjectsV2 report the same one

    def __init__(
        self,
        bucket: str,
        *,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url
        self._client = client
        self._client_lock = threading.Lock()
        self._ready = False
        self.guard = S3Guard()
        if client is not None:
            self.guard.install(client)
        self._fetcher: ThreadPoolExecutor | None = None

    @property
    def client(self) -> S3Client:
        # Built on first use, not at construction: no network or credential lookup at import or build time.
        # boto3 clients are thread-safe once built; building one is not, hence the lock.
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    core = botocore.session.get_session()
                    # Timestamps in responses (LastModified of every listed key) are never used here; parsing them
                    # with dateutil is most of the client's CPU time for a LIST of 1,000 keys, so keep them as text.
                    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
                    session = boto3.session.Session(botocore_session=core)
                    client = session.client(
                        "s3", region_name=self.region, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG
                    )
                    self.guard.install(client)
                    client.meta.events.register("before-send.s3.PutObject", _no_expect_continue)
                    self._client = client
        return self._client

    @property
    def fetcher(self) -> ThreadPoolExecutor:
        if self._fetcher is None:
            with self._client_lock:
                if self._fetcher is None:
                    self._fetcher = ThreadPoolExecutor(FETCH_CONCURRENCY, thread_name_prefix="s3-fetch")
        return self._fetcher

    def describe(self) -> str:
        where = self.endpoint_url or f"AWS S3 ({self.region})"
        return f"S3 bucket {self.bucket} at {where}"

    def _where(self) -> str:
        return f"S3 bucket {self.bucket} at {self.endpoint_url or f'AWS ({self.region})'}"

    def _unavailable(self, action: str, exc: Exception) -> StorageUnavailable:
        transient = True
        if isinstance(exc, ClientError):
            code = _error_code(exc)
            detail = f"{code or 'error'} (HTTP {_status(exc)})"
            transient = code not in _DENIED and _status(exc) != 403
        elif isinstance(exc, NoCredentialsError):
            detail = "no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile)"
            transient = False
        else:
            detail = describe_failure(exc)
        return StorageUnavailable(f"{self._where()}: {action} failed: {detail}", transient=transient)

    def _bucket_missing(self) -> None:
        """S3 says the bucket does not exist. Before it was found or made, make it now (start-up's job, which
        may not have run yet); after, it was deleted under us: an error, never a silently new, empty store."""
        if not self._ready:
            self.ensure_ready()
            return
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return  # start-up made it after this call failed: go on
        except ClientError as exc:
            if _status(exc) != 404:
                raise self._unavailable("HeadBucket", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("HeadBucket", exc) from exc
        raise StorageUnavailable(
            f"{self._where()} does not exist any more (it did at start-up); "
            "create it again or set AWS_S3_BUCKET to the right bucket",
            transient=False,
        )

    def ensure_ready(self) -> None:
        if self._ready:
            return
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _status(exc) != 404 and _error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise self._unavailable("HeadBucket", exc) from exc
            self._create_bucket()
        except BotoCoreError as exc:
            raise self._unavailable("HeadBucket", exc) from exc
        self._ready = True

    def _create_bucket(self) -> None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**kwargs)
        except ClientError as exc:
            if _error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._unavailable("CreateBucket", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("CreateBucket", exc) from exc

    def check(self) -> None:
        if not self._ready:
            self.ensure_ready()
            return
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _status(exc) == 404 or _error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                self._bucket_missing()
            raise self._unavailable("HeadBucket", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("HeadBucket", exc) from exc

    @staticmethod
    def _key(collection: str, object_id: str) -> str:
        check_key(collection, object_id)
        return f"{collection}/{key_name(object_id)}"

    def get(self, collection: str, object_id: str) -> StoredObject | None:
        key = self._key(collection, object_id)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"].read()
        except ClientError as exc:
            if _error_code(exc) == "NoSuchBucket":
                self._bucket_missing()  # raises, unless the bucket was just made: then there is no object
                return None
            if _status(exc) == 404:  # NoSuchKey
                return None
            raise self._unavailable("GetObject", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("GetObject", exc) from exc
        return StoredObject(body=body, version=response["ETag"])

    def get_many(self, collection: str, object_ids: Iterable[str]) -> dict[str, StoredObject | None]:
        ids = list(object_ids)
        if len(ids) < 2:
            return super().get_many(collection, ids)
        # Bounded: at most FETCH_CONCURRENCY reads in flight, however long the list; the first error is raised.
        results = self.fetcher.map(lambda object_id: self.get(collection, object_id), ids)
        return dict(zip(ids, results, strict=True))

    def _put(self, key: str, body: bytes, *, if_none_match: bool = False, if_match: str | None = None) -> str:
        if if_match is not None:
            response = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", IfMatch=if_match
            )
        else:
            assert if_none_match, "every write is conditional"
            response = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*"
            )
        return response["ETag"]

    def create(self, collection: str, object_id: str, body: bytes) -> str:
        key = self._key(collection, object_id)
        try:
            try:
                return self._put(key, body, if_none_match=True)
            except ClientError as exc:
                if _error_code(exc) != "NoSuchBucket":
                    raise
                # Start-up had not made the bucket yet (S3 was not up): make it, then write.
                self._bucket_missing()
                return self._put(key, body, if_none_match=True)
        except ClientError as exc:
            # 409 ConditionalRequestConflict: a concurrent write to the same key is in flight.
            if _status(exc) in (409, 412):
                raise AlreadyExists(key) from exc
            raise self._unavailable("PutObject", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("PutObject", exc) from exc

    def replace(self, collection: str, object_id: str, body: bytes, if_version: str) -> str:
        key = self._key(collection, object_id)
        try:
            return self._put(key, body, if_match=if_version)
        except ClientError as exc:
            if _status(exc) in (404, 409, 412):
                raise VersionMismatch(key) from exc
            raise self._unavailable("PutObject", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("PutObject", exc) from exc

    def list_refs(
        self, collection: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[ObjectRef]:
        check_collection(collection)
        prefix = f"{collection}/"
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if start_after is not None:
            request["StartAfter"] = f"{prefix}{key_name(start_after)}"
        refs: list[ObjectRef] = []
        try:
            while True:
                wanted = LIST_PAGE_MAX if limit is None else min(LIST_PAGE_MAX, limit - len(refs))
                page = self.client.list_objects_v2(**request, MaxKeys=wanted)
                for item in page.get("Contents", []):
                    object_id = id_of(item["Key"][len(prefix) :])
                    if object_id is not None and (limit is None or len(refs) < limit):
                        refs.append(ObjectRef(key_id=object_id, version=item["ETag"]))
                if not page.get("IsTruncated") or (limit is not None and len(refs) >= limit):
                    return refs
                request["ContinuationToken"] = page["NextContinuationToken"]
        except ClientError as exc:
            if _error_code(exc) == "NoSuchBucket":
                self._bucket_missing()  # raises, unless the bucket was just made: then it is empty
                return []
            raise self._unavailable("ListObjectsV2", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("ListObjectsV2", exc) from exc

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.shutdown(wait=True)
            self._fetcher = None
        if self._client is not None:
            self._client.close()
