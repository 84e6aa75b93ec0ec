"""Each entity's change history: one record per write, written just before the write, read back as a chain.

Where: `history/<collection>/<id>/<record id>.json`, one collection per entity, beside the entities in the
bucket (or the folder). A record id is `<updated_at as 20251025T100000123456Z>_<12 hex of the sha256 of the
entity's JSON as written>`: it names one exact state, and sorts by time. A record holds who wrote that state
(the actor's label and door), when (the state's updated_at), how (create, update, revert), the state itself,
and the state it replaced with the id of that state's record (`previous`).

How a write and its history record cannot disagree
---------------------------------------------------
The record is written first (create-only, so it never overwrites one), and only then the entity (create-only
for a new one, conditional on the version read for a change). So no state of an entity is ever stored
without its record: a crash between the two leaves a record whose write never happened, and so does a write
that loses a race (it is then retried, with a record of its own). Such a record is an orphan, and it is never
shown, because the history is not "every record in the folder" but the chain walked back from the entity as
it is now: its head is the record whose id is computed from the current entity (updated_at + digest of its
bytes), and each record names the one before it. Records off the chain are ignored. What a chain cannot
show, it says: an entity with no head record (written before history was kept, or by an older version) shows
its current state as one version marked "unrecorded"; a record whose `previous` is missing still carries the
state it replaced (`before`), shown as an unrecorded version before it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from shared.context import current_actor
from shared.models import EntityVersion, UtcDatetime, as_utc
from shared.storage.base import AlreadyExists, Storage, history_collection

log = logging.getLogger(__name__)

Action = Literal["create", "update", "revert"]
_DIGEST_CHARS = 12


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One state of an entity as stored: its updated_at and the exact bytes written."""

    at: datetime
    body: bytes

    @property
    def record_id(self) -> str:
        return record_id(self.at, self.body)

    def data(self) -> dict[str, JsonValue]:
        value = json.loads(self.body)
        if not isinstance(value, dict):
            raise ValueError("an entity snapshot is a JSON object")
        return value


def record_id(at: datetime, body: bytes) -> str:
    """The id of the record of the state `body` (updated at `at`): time first, so records sort by time."""
    at = as_utc(at)
    # Not strftime: %Y is not zero-padded below year 1000 on every platform, and the ids must sort.
    stamp = f"{at.year:04d}{at.month:02d}{at.day:02d}T{at.hour:02d}{at.minute:02d}{at.second:02d}{at.microsecond:06d}Z"
    return f"{stamp}_{hashlib.sha256(body).hexdigest()[:_DIGEST_CHARS]}"


class HistoryRecord(BaseModel):
    """What is stored for one write."""

    model_config = ConfigDict(extra="ignore")

    at: UtcDatetime
    actor: str
    via: str
    action: Action
    reverted_to: int | None = None
    previous: str | None
    before: dict[str, JsonValue] | None
    entity: dict[str, JsonValue]


class HistoryLog:
    """The history records of one entity collection."""

    def __init__(self, storage: Storage, collection: str) -> None:
        self.storage = storage
        self.collection = collection

    def record(
        self,
        object_id: str,
        written: Snapshot,
        replaced: Snapshot | None,
        *,
        action: Action,
        reverted_to: int | None = None,
    ) -> None:
        """Store the record of `written` (replacing `replaced`, None for a create). Call it BEFORE the write."""
        actor = current_actor()
        record = HistoryRecord(
            at=written.at,
            actor=actor.label,
            via=actor.via,
            action=action,
            reverted_to=reverted_to,
            previous=None if replaced is None else replaced.record_id,
            before=None if replaced is None else replaced.data(),
            entity=written.data(),
        )
        # AlreadyExists: a record of this very state (same instant, same bytes) is there already. Two writers made
        # the same state, and at most one of their writes can land; that record stands for it.
        with contextlib.suppress(AlreadyExists):
            self.storage.create(
                history_collection(self.collection, object_id), written.record_id, record.model_dump_json().encode()
            )

    def _records(self, object_id: str) -> dict[str, HistoryRecord]:
        """Every record of the entity, by id: one LIST, and the records read concurrently."""
        collection = history_collection(self.collection, object_id)
        refs = self.storage.list_refs(collection)
        records: dict[str, HistoryRecord] = {}
        for key_id, stored in self.storage.get_many(collection, [ref.key_id for ref in refs]).items():
            if stored is None:
                continue
            try:
                records[key_id] = HistoryRecord.model_validate_json(stored.body)
            except ValidationError:
                # A broken record ends the chain there; the `before` of the record after it still shows that state.
                log.warning("history record %s/%s.json is not valid and is left out", collection, key_id)
        return records

    def versions(self, object_id: str, current: Snapshot) -> list[EntityVersion]:
        """The entity's versions, oldest first, ending with `current`: the chain of records back from it."""
        records = self._records(object_id)
        chain: list[HistoryRecord] = []
        seen: set[str] = set()
        next_id: str | None = current.record_id
        while next_id is not None and next_id in records and next_id not in seen:
            seen.add(next_id)
            chain.append(records[next_id])
            next_id = records[next_id].previous
        chain.reverse()
        states: list[EntityVersion] = []
        if not chain:
            return [_unrecorded(1, current.at, current.data())]
        first = chain[0]
        if first.previous is not None and first.before is not None:
            # The record of the state it replaced is missing: that state is still known, from `before`.
            at = first.before.get("updated_at")
            when = as_utc(datetime.fromisoformat(at)) if isinstance(at, str) else first.at
            states.append(_unrecorded(1, when, first.before))
        for record in chain:
            states.append(
                EntityVersion(
                    version=len(states) + 1,
                    at=record.at,
                    actor=record.actor,
                    via=record.via,
                    action=record.action,
                    reverted_to=record.reverted_to,
                    entity=record.entity,
                )
            )
        return states


def _unrecorded(version: int, at: datetime, entity: dict[str, JsonValue]) -> EntityVersion:
    return EntityVersion(version=version, at=at, actor=None, via=None, action="unrecorded", entity=entity)
