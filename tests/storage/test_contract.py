"""The storage contract: the local folder, moto in-process and a moto server all behave the same way."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import Field

from shared.errors import Conflict, NotFound, StoredObjectInvalid
from shared.models import Entity, User
from shared.storage import AlreadyExists, Storage, StoredObject, VersionMismatch
from shared.storage.base import COLLECTIONS, IDEMPOTENCY, history_collection
from shared.storage.repository import Repository
from tests.conftest import settle
from tests.storage.entities import make_user

# Not JSON on purpose in places: the storage layer moves bytes and must not reinterpret them.
BODY = '{"name": "María García"}'.encode()
OTHER_BODY = '{"name": "Jürgen Weiß"}'.encode()
# Same length as BODY but different bytes: a version must not be derived from the size alone.
SAME_SIZE_BODY = b'{"name": "Marta Garcia!!"}'


def test_get_of_a_missing_object_is_none(storage: Storage) -> None:
    assert storage.get("users", "no-such-user") is None


def test_create_then_get_returns_the_exact_bytes_and_the_version(storage: Storage) -> None:
    version = storage.create("users", "u1", BODY)

    assert version
    assert storage.get("users", "u1") == StoredObject(body=BODY, version=version)


def test_create_on_an_existing_key_raises_already_exists_and_keeps_the_original(storage: Storage) -> None:
    version = storage.create("users", "u1", BODY)

    with pytest.raises(AlreadyExists):
        storage.create("users", "u1", OTHER_BODY)

    assert storage.get("users", "u1") == StoredObject(body=BODY, version=version)


def test_replace_at_the_current_version_writes_and_returns_a_new_version(storage: Storage) -> None:
    assert len(SAME_SIZE_BODY) == len(BODY)
    first = storage.create("users", "u1", BODY)

    second = storage.replace("users", "u1", SAME_SIZE_BODY, first)

    assert second != first
    assert storage.get("users", "u1") == StoredObject(body=SAME_SIZE_BODY, version=second)


def test_every_replace_returns_a_version_never_seen_before(storage: Storage) -> None:
    bodies = [BODY, SAME_SIZE_BODY, OTHER_BODY, b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    versions = [storage.create("users", "u1", bodies[0])]
    for body in bodies[1:]:
        versions.append(storage.replace("users", "u1", body, versions[-1]))

    assert len(set(versions)) == len(versions)


def test_replace_at_a_stale_version_raises_version_mismatch_and_keeps_the_bytes(storage: Storage) -> None:
    stale = storage.create("users", "u1", BODY)
    current = storage.replace("users", "u1", OTHER_BODY, stale)

    with pytest.raises(VersionMismatch):
        storage.replace("users", "u1", SAME_SIZE_BODY, stale)

    assert storage.get("users", "u1") == StoredObject(body=OTHER_BODY, version=current)


def test_replace_of_a_missing_object_raises_version_mismatch_and_creates_nothing(storage: Storage) -> None:
    version_elsewhere = storage.create("users", "someone-else", BODY)

    with pytest.raises(VersionMismatch):
        storage.replace("users", "u1", BODY, version_elsewhere)

    assert storage.get("users", "u1") is None


def test_list_refs_lists_exactly_the_created_ids_with_the_versions_reads_report(storage: Storage) -> None:
    for object_id in ("a", "b", "c"):
        storage.create("users", object_id, BODY)
    storage.replace("users", "b", OTHER_BODY, storage.get("users", "b").version)  # type: ignore[union-attr]
    settle(storage)

    refs = storage.list_refs("users")

    assert [ref.key_id for ref in refs] == ["a", "b", "c"]
    for ref in refs:
        stored = storage.get("users", ref.key_id)
        assert stored is not None and ref.version == stored.version_in_listing


def test_a_changed_object_never_lists_with_the_version_a_read_reported_before(storage: Storage) -> None:
    # Different bodies of one size, replaced back to back: file identity (inode, size, mtime) could repeat here.
    bodies = [f'{{"name": "Marta Garcia {n:02d}"}}'.encode() for n in range(12)]
    version = storage.create("users", "u1", bodies[0])
    seen: set[str] = set()
    for body in bodies[1:]:
        stored = storage.get("users", "u1")
        assert stored is not None
        seen.add(stored.version_in_listing)
        version = storage.replace("users", "u1", body, version)
        [ref] = storage.list_refs("users")
        assert ref.version not in seen
    settle(storage)
    [ref] = storage.list_refs("users")
    assert ref.version not in seen


def test_list_refs_is_in_key_order_and_pages_with_start_after_and_limit(storage: Storage) -> None:
    # "a-b.json" sorts before "a.json" ("-" is before "."): the order is the keys', not the ids'.
    ids = ["b", "a", "a-b", "a_b", "A", "0", "zz", "a0"]
    for object_id in ids:
        storage.create("tasks", object_id, BODY)
    key_order = sorted(ids, key=lambda object_id: f"{object_id}.json")

    assert [ref.key_id for ref in storage.list_refs("tasks")] == key_order
    assert [ref.key_id for ref in storage.list_refs("tasks", limit=3)] == key_order[:3]
    assert [ref.key_id for ref in storage.list_refs("tasks", start_after="a-b")] == key_order[3:]
    assert [ref.key_id for ref in storage.list_refs("tasks", start_after="a-b", limit=2)] == key_order[3:5]
    # The id to start after need not exist.
    assert [ref.key_id for ref in storage.list_refs("tasks", start_after="a1")] == ["a_b", "b", "zz"]
    assert storage.list_refs("tasks", start_after="zz") == []


def test_get_many_returns_every_object_asked_for_and_none_for_a_missing_one(storage: Storage) -> None:
    versions = {object_id: storage.create("users", object_id, BODY) for object_id in ("a", "b", "c")}

    found = storage.get_many("users", ["c", "missing", "a", "b"])

    assert found == {
        "a": StoredObject(body=BODY, version=versions["a"]),
        "b": StoredObject(body=BODY, version=versions["b"]),
        "c": StoredObject(body=BODY, version=versions["c"]),
        "missing": None,
    }


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_list_refs_of_an_empty_collection_is_empty(storage: Storage, collection: str) -> None:
    assert storage.list_refs(collection) == []


def test_collections_are_separate(storage: Storage) -> None:
    storage.create("users", "same-id", BODY)
    storage.create("calls", "same-id", OTHER_BODY)

    assert storage.get("users", "same-id").body == BODY  # type: ignore[union-attr]
    assert storage.get("calls", "same-id").body == OTHER_BODY  # type: ignore[union-attr]
    assert storage.get("tasks", "same-id") is None
    assert [ref.key_id for ref in storage.list_refs("users")] == ["same-id"]
    assert storage.list_refs("tasks") == []


INVALID_IDS = [
    pytest.param("../etc/passwd", id="dot-dot-slash"),
    pytest.param("a/b", id="slash"),
    pytest.param("", id="empty"),
    pytest.param(".hidden", id="leading-dot"),
    pytest.param("..", id="dot-dot"),
    pytest.param("a\\b", id="backslash"),
    pytest.param("a b", id="space"),
    pytest.param("a.json", id="dot"),
    pytest.param("x" * 129, id="129-chars"),
]


@pytest.mark.parametrize("bad_id", INVALID_IDS)
def test_invalid_ids_are_refused_with_value_error_and_nothing_is_written(storage: Storage, bad_id: str) -> None:
    version = storage.create("users", "ok", BODY)

    with pytest.raises(ValueError):
        storage.get("users", bad_id)
    with pytest.raises(ValueError):
        storage.create("users", bad_id, OTHER_BODY)
    with pytest.raises(ValueError):
        storage.replace("users", bad_id, OTHER_BODY, version)

    assert [ref.key_id for ref in storage.list_refs("users")] == ["ok"]
    assert storage.get("users", "ok") == StoredObject(body=BODY, version=version)


def test_the_longest_valid_id_is_accepted(storage: Storage) -> None:
    longest = "x" * 128
    storage.create("users", longest, BODY)

    assert storage.get("users", longest).body == BODY  # type: ignore[union-attr]
    assert [ref.key_id for ref in storage.list_refs("users")] == [longest]


def test_unknown_collections_are_refused_with_value_error(storage: Storage) -> None:
    with pytest.raises(ValueError):
        storage.get("../users", "u1")
    with pytest.raises(ValueError):
        storage.create("invoices", "u1", BODY)
    with pytest.raises(ValueError):
        storage.list_refs("invoices")


def test_ensure_ready_is_idempotent_and_keeps_the_data(storage: Storage) -> None:
    version = storage.create("users", "u1", BODY)

    storage.ensure_ready()
    storage.ensure_ready()

    assert storage.get("users", "u1") == StoredObject(body=BODY, version=version)


def test_a_listing_of_more_than_one_s3_page_returns_every_object_once(storage: Storage) -> None:
    # S3 lists at most 1,000 keys per call; 1,050 objects need a second page.
    ids = [f"obj-{i:04d}" for i in range(1_050)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda object_id: storage.create("tasks", object_id, BODY), ids))

    listed = [ref.key_id for ref in storage.list_refs("tasks")]
    pages = [storage.list_refs("tasks", limit=1_000), storage.list_refs("tasks", start_after="obj-0999", limit=1_000)]

    assert listed == ids
    assert [[ref.key_id for ref in page] for page in pages] == [ids[:1_000], ids[1_000:]]
    assert [ref.key_id for ref in storage.list_refs("tasks", start_after="obj-0990", limit=20)] == ids[991:1_011]


# Objects that are not valid entities: whatever put them there, one of them must not break a listing.


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b'{"id": "half-written', id="truncated-json"),
        pytest.param(b"\xff\xfe not utf-8", id="not-utf8"),
        pytest.param(b'{"id": "x", "name": "no other fields"}', id="wrong-shape"),
        pytest.param(b"", id="empty"),
    ],
)
def test_an_invalid_object_is_left_out_of_lists_named_as_skipped_and_get_names_its_key(
    storage: Storage, garbage: bytes
) -> None:
    users = Repository(storage, "users", User, "User")
    good = User.model_validate(
        {
            "id": "good",
            "name": "María García",
            "email": "maria@test-azollon.com",
            "company": "Test Azollon",
            "user_type": "client",
            "created_at": "2025-10-24T10:30:00Z",
            "updated_at": "2025-10-24T10:30:00Z",
        }
    )
    users.add("good", good)
    storage.create("users", "broken", garbage)

    listing = users.all()
    assert (listing.items, listing.skipped) == ([good], ["broken"])
    page = users.page(after=None, limit=5)
    assert (page.items, page.skipped) == ([good], ["broken"])
    with pytest.raises(StoredObjectInvalid, match=r"users/broken\.json"):
        users.get("broken")
    with pytest.raises(StoredObjectInvalid):
        users.update("broken", lambda user: user)
    assert storage.get("users", "broken") == StoredObject(body=garbage, version=storage.get("users", "broken").version)  # type: ignore[union-attr]


def test_an_object_whose_id_is_not_its_key_is_never_served_under_either_id(storage: Storage) -> None:
    users = Repository(storage, "users", User, "User")
    impostor = make_user("the-real-id")
    storage.create("users", "another-key", impostor.model_dump_json().encode())

    listing = users.all()

    assert (listing.items, listing.skipped) == ([], ["another-key"])
    with pytest.raises(StoredObjectInvalid, match="its id is 'the-real-id'"):
        users.get("another-key")
    with pytest.raises(NotFound):
        users.get("the-real-id")


# Concurrent writers: read-modify-write through Repository.update must never lose an update.


class Tally(Entity):
    """A stand-in entity: every successful update appends one mark, so a lost update is a missing mark."""

    marks: list[str] = Field(default_factory=list)


def append_mark(repository: Repository[Tally], object_id: str, mark: str, calls: list[int]) -> int:
    """Append `mark`, retrying when Repository.update gives up with Conflict; returns how often it did."""
    conflicts = 0

    def change(tally: Tally) -> Tally:
        calls.append(1)
        # Widen the read-modify-write window so writers really do collide.
        time.sleep(0.002)
        return tally.model_copy(update={"marks": [*tally.marks, mark]})

    while True:
        try:
            repository.update(object_id, change)
            return conflicts
        except Conflict:
            conflicts += 1
            if conflicts > 50:
                raise


def test_concurrent_writers_through_repository_update_lose_no_update(storage: Storage) -> None:
    writers, updates_each = 6, 8
    repository = Repository(storage, "tasks", Tally, "Tally")
    repository.add("tally", Tally(id="tally"))
    calls: list[int] = []
    start = threading.Barrier(writers, timeout=30)

    def writer(number: int) -> None:
        start.wait()
        for i in range(updates_each):
            append_mark(repository, "tally", f"w{number}-{i}", calls)

    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(writer, range(writers)))

    marks = repository.get("tally").marks
    expected = sorted(f"w{n}-{i}" for n in range(writers) for i in range(updates_each))
    assert sorted(marks) == expected  # every update is there, and none twice
    # The test only proves something if writers collided and had to re-read.
    assert len(calls) > len(expected), "no write ever collided; the test did not exercise the race"
    for n in range(writers):  # each writer's own updates stay in the order it made them
        own = [m for m in marks if m.startswith(f"w{n}-")]
        assert own == [f"w{n}-{i}" for i in range(updates_each)]


def test_update_of_a_missing_entity_raises_not_found_and_creates_nothing(storage: Storage) -> None:
    repository = Repository(storage, "tasks", Tally, "Tally")

    with pytest.raises(NotFound, match="Tally nobody not found"):
        repository.update("nobody", lambda tally: tally)

    assert storage.list_refs("tasks") == []


def test_update_that_returns_none_writes_nothing(storage: Storage) -> None:
    repository = Repository(storage, "tasks", Tally, "Tally")
    repository.add("tally", Tally(id="tally", marks=["a"]))
    before = storage.get("tasks", "tally")

    result = repository.update("tally", lambda tally: None)

    assert result == Tally(id="tally", marks=["a"])
    assert storage.get("tasks", "tally") == before


def test_add_of_an_existing_id_raises_conflict_and_keeps_the_original(storage: Storage) -> None:
    repository = Repository(storage, "tasks", Tally, "Tally")
    repository.add("tally", Tally(id="tally", marks=["original"]))

    with pytest.raises(Conflict, match="already exists"):
        repository.add("tally", Tally(id="tally", marks=["intruder"]))

    assert repository.get("tally").marks == ["original"]


def test_repository_writes_the_entity_json(storage: Storage) -> None:
    repository = Repository(storage, "tasks", Tally, "Tally")
    repository.add("tally", Tally(id="tally", marks=["a", "b"]))

    stored = storage.get("tasks", "tally")

    assert stored is not None
    assert json.loads(stored.body) == {"id": "tally", "marks": ["a", "b"]}


# The collections kept beside the entities: idempotency records, and each entity's history.


def test_the_record_collections_store_list_and_replace_like_any_other(storage: Storage) -> None:
    history = history_collection("tasks", "t1")
    for collection in (IDEMPOTENCY, history):
        version = storage.create(collection, "r1", BODY)
        storage.create(collection, "r0", OTHER_BODY)
        with pytest.raises(AlreadyExists):
            storage.create(collection, "r1", OTHER_BODY)
        assert storage.get(collection, "r1") == StoredObject(body=BODY, version=version)
        assert [ref.key_id for ref in storage.list_refs(collection)] == ["r0", "r1"]
        assert [ref.key_id for ref in storage.list_refs(collection, start_after="r0")] == ["r1"]
        assert storage.get_many(collection, ["r1", "nothing"]) == {"r1": storage.get(collection, "r1"), "nothing": None}
        newer = storage.replace(collection, "r1", SAME_SIZE_BODY, version)
        with pytest.raises(VersionMismatch):
            storage.replace(collection, "r1", OTHER_BODY, version)
        assert storage.get(collection, "r1") == StoredObject(body=SAME_SIZE_BODY, version=newer)


def test_the_record_collections_stay_out_of_entity_listings_and_apart_from_each_other(storage: Storage) -> None:
    # An entity "t1" and records that share its id and its collection's name, in every place they could leak.
    storage.create("tasks", "t1", BODY)
    storage.create(history_collection("tasks", "t1"), "t1", OTHER_BODY)
    storage.create(history_collection("tasks", "t10"), "r", OTHER_BODY)
    storage.create(history_collection("users", "t1"), "r", OTHER_BODY)
    storage.create(IDEMPOTENCY, "t1", OTHER_BODY)
    settle(storage)

    for collection in COLLECTIONS:
        assert [ref.key_id for ref in storage.list_refs(collection)] == (["t1"] if collection == "tasks" else [])
    entity = storage.get("tasks", "t1")
    assert entity is not None and entity.body == BODY
    assert [ref.key_id for ref in storage.list_refs(history_collection("tasks", "t1"))] == ["t1"]
    assert [ref.key_id for ref in storage.list_refs(history_collection("tasks", "t10"))] == ["r"]
    assert [ref.key_id for ref in storage.list_refs(history_collection("calls", "t1"))] == []
    assert [ref.key_id for ref in storage.list_refs(IDEMPOTENCY)] == ["t1"]


@pytest.mark.parametrize(
    "collection", ["history", "history/tasks", "history/notes/t1", "history/tasks/../users", "history/tasks/t1/x"]
)
def test_a_history_collection_that_names_no_entity_is_refused(storage: Storage, collection: str) -> None:
    with pytest.raises(ValueError, match="unknown collection"):
        storage.create(collection, "r1", BODY)
    with pytest.raises(ValueError, match="unknown collection"):
        storage.list_refs(collection)
