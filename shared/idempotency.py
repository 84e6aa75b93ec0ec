"""Idempotent creates: a record per idempotency key, kept in the store beside the data, makes a retry return
the first result instead of a second entity.

The record is `idempotency/<sha256 of kind and key>.json`, created with IfNoneMatch before the entity is
written, and holds the whole entity minted for the first request. So the key holds across REST and MCP, across
processes and replicas; two racing requests with one key make one entity; and a request that died between
record and entity is completed, with the recorded id, by the next retry.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, JsonValue, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.errors import Conflict, DomainError, IdempotencyKeyReused, InvalidInput, StoredObjectInvalid
from shared.models import Entity, UtcDatetime
from shared.storage.base import IDEMPOTENCY, AlreadyExists, Storage, StoredObject, VersionMismatch, key_name
from shared.storage.repository import MAX_WRITE_ATTEMPTS, Repository

E = TypeVar("E", bound=Entity)

# How long a key keeps its first result; a later request with the key is a new create (the IETF draft's
# advice, and Stripe's figure).
TTL = timedelta(hours=24)
KEY_MAX = 255
# Visible ASCII: what a header can carry unchanged, and what a log shows without escaping.
_KEY = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX}}}")
KEY_RULE = f"1-{KEY_MAX} visible ASCII characters (letters, digits, punctuation; no spaces), e.g. a UUID"


def is_valid_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def check_key(key: str) -> str:
    if not is_valid_key(key):
        raise InvalidInput("idempotency_key", f"Invalid idempotency key: use {KEY_RULE}.")
    return key


def _key_value(value: str) -> str:
    if not is_valid_key(value):
        raise PydanticCustomError("idempotency_key", "an idempotency key is {rule}", {"rule": KEY_RULE})
    return value


# The key as an argument or header: checked with the same rule and message by both doors.
IdempotencyKey = Annotated[
    str,
    AfterValidator(_key_value),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": KEY_MAX}),
]


def record_id(collection: str, key: str) -> str:
    """Where the key's record lives: one scope per kind, and a name that is a valid object id whatever the key."""
    return hashlib.sha256(f"{collection}\n{key}".encode()).hexdigest()


def fingerprint(request: BaseModel) -> str:
    """A digest of what the request means: the validated create model, canonical JSON (defaults included, keys
    sorted, dates in UTC), so a REST body and MCP arguments that ask for the same thing match."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3])


class IdempotencyRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str
    fingerprint: str
    entity: dict[str, JsonValue]
    created_at: UtcDatetime
    expires_at: UtcDatetime


@dataclass(frozen=True, slots=True)
class Created(Generic[E]):
    """A create's result, and whether it is the recorded result of an earlier request with the same key."""

    entity: E
    replayed: bool


@dataclass
class CreateOutcome:
    """Handed to a create by an adapter that must say whether the result was replayed (REST's
    Idempotent-Replayed header); the create fills it in. The create itself returns the entity, as always."""

    replayed: bool = False


class IdempotentCreates:
    """Creates that honour an idempotency key, over the store's `idempotency` collection."""

    def __init__(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        self.storage = storage
        self._clock = clock

    def create(
        self,
        repository: Repository[E],
        key: str,
        request: BaseModel,
        mint: Callable[[], E],
        check: Callable[[], None],
    ) -> Created[E]:
        """The entity `mint` makes, written once per key and request; or the first result for this key.

        `check` applies the create's rules (the user exists...). When it refuses, a fresh record of this key
        and request still wins: a retry whose own first result now breaks a rule gets that result back.
        """
        check_key(key)
        object_id = record_id(repository.collection, key)
        digest = fingerprint(request)
        try:
            check()
        except DomainError:
            recorded = self._recorded(repository, key, object_id, digest)
            if recorded is None:
                raise
            return recorded
        entity = mint()
        now = self._clock()
        body = IdempotencyRecord(
            kind=repository.kind,
            fingerprint=digest,
            entity=entity.model_dump(mode="json"),
            created_at=now,
            expires_at=now + TTL,
        ).model_dump_json()
        for _ in range(MAX_WRITE_ATTEMPTS):
            try:
                self.storage.create(IDEMPOTENCY, object_id, body.encode())
                return Created(self._write(repository, entity), replayed=False)
            except AlreadyExists:
                pass
            stored = self.storage.get(IDEMPOTENCY, object_id)
            if stored is None:
                continue  # nothing deletes records; a store that lost it is simply asked again
            record = self._decode(object_id, stored)
            if record.expires_at > now:
                return self._replay(repository, key, record, digest)
            try:  # an expired record is the key's to reuse: take it over, unless another request just did
                self.storage.replace(IDEMPOTENCY, object_id, body.encode(), stored.version)
            except VersionMismatch:
                continue
            return Created(self._write(repository, entity), replayed=False)
        raise Conflict(f"The idempotency key {key!r} is being used by other requests right now; try again.")

    def _recorded(self, repository: Repository[E], key: str, object_id: str, digest: str) -> Created[E] | None:
        stored = self.storage.get(IDEMPOTENCY, object_id)
        if stored is None:
            return None
        record = self._decode(object_id, stored)
        if record.expires_at <= self._clock():
            return None
        return self._replay(repository, key, record, digest)

    def _replay(self, repository: Repository[E], key: str, record: IdempotencyRecord, digest: str) -> Created[E]:
        if record.kind != repository.kind or record.fingerprint != digest:
            raise IdempotencyKeyReused(key, repository.kind)
        try:
            entity = repository.model.model_validate(record.entity)
        except ValidationError as exc:
            reason = f"its entity does not parse ({_problems(exc)})"
            raise self._invalid(record_id(repository.collection, key), reason) from exc
        # The first request may have died between its record and its entity, or still be between them.
        if not repository.exists(entity.id):
            self._write(repository, entity)
        return Created(entity, replayed=True)

    @staticmethod
    def _write(repository: Repository[E], entity: E) -> E:
        """Write the entity; if it is there already, a request with the same record wrote the same entity."""
        try:
            repository.add(entity.id, entity)
        except Conflict:
            if not repository.exists(entity.id):
                raise
        return entity

    def _decode(self, object_id: str, stored: StoredObject) -> IdempotencyRecord:
        try:
            return IdempotencyRecord.model_validate_json(stored.body)
        except ValidationError as exc:
            raise self._invalid(object_id, f"it does not parse ({_problems(exc)})") from exc

    @staticmethod
    def _invalid(object_id: str, reason: str) -> StoredObjectInvalid:
        return StoredObjectInvalid("Idempotency record", object_id, f"{IDEMPOTENCY}/{key_name(object_id)}", reason)
