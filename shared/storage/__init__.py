"""Storage backends behind one interface, and the function that picks one from the settings."""

from __future__ import annotations

from shared.settings import Settings, StorageKind
from shared.storage.base import AlreadyExists, ObjectRef, Storage, StoredObject, VersionMismatch
from shared.storage.local import LocalStorage
from shared.storage.s3 import S3Storage

__all__ = [
    "AlreadyExists",
    "LocalStorage",
    "ObjectRef",
    "S3Storage",
    "Storage",
    "StoredObject",
    "VersionMismatch",
    "open_storage",
]


def open_storage(settings: Settings) -> Storage:
    """The backend the settings name; nothing is contacted until first use or `ensure_ready()`."""
    if settings.storage is StorageKind.S3:
        return S3Storage(settings.s3_bucket, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url or None)
    return LocalStorage(settings.data_dir, settings.s3_bucket)
