"""What only the local folder backend does: its layout on disk, temp files, stray files, several processes."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from shared.errors import StorageUnavailable
from shared.models import User
from shared.storage import AlreadyExists, LocalStorage, VersionMismatch
from shared.storage.repository import Repository
from tests.storage.entities import make_user
from tests.storage.test_contract import Tally, append_mark

BUCKET = "mcp-pycon-demo-bucket"


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_an_entity_is_stored_at_bucket_collection_id_json(tmp_path: Path, local_storage: LocalStorage) -> None:
    user = make_user()
    Repository(local_storage, "users", User, "User").add(user.id, user)

    path = tmp_path / BUCKET / "users" / f"{user.id}.json"

    assert path.read_bytes() == user.model_dump_json().encode()
    assert json.loads(path.read_text(encoding="utf-8"))["name"] == "María García"


def test_ensure_ready_makes_a_folder_per_collection(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "data", BUCKET)

    storage.ensure_ready()

    assert sorted(p.name for p in (tmp_path / "data" / BUCKET).iterdir()) == ["calls", "tasks", "users"]


def test_ensure_ready_where_a_folder_cannot_be_made_raises_storage_unavailable(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")

    with pytest.raises(StorageUnavailable, match="Cannot create the data folder"):
        LocalStorage(in_the_way, BUCKET).ensure_ready()


def test_invalid_ids_are_refused_before_touching_the_disk(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    storage = LocalStorage(in_the_way, BUCKET)  # any real file operation under it fails
    with pytest.raises(StorageUnavailable):
        storage.get("users", "u1")

    with pytest.raises(ValueError):
        storage.get("users", "../../a-file")
    with pytest.raises(ValueError):
        storage.create("users", "a/b", b"{}")
    with pytest.raises(ValueError):
        storage.replace("users", ".hidden", b"{}", "version")


def test_describe_names_the_folder(tmp_path: Path, local_storage: LocalStorage) -> None:
    assert str((tmp_path / BUCKET).resolve()) in local_storage.describe()


def test_no_temp_files_are_left_after_writes_that_succeed_or_fail(tmp_path: Path, local_storage: LocalStorage) -> None:
    version = local_storage.create("users", "u1", b'{"v": 1}')
    local_storage.replace("users", "u1", b'{"v": 2}', version)
    with pytest.raises(AlreadyExists):
        local_storage.create("users", "u1", b'{"v": 3}')
    with pytest.raises(VersionMismatch):
        local_storage.replace("users", "u1", b'{"v": 4}', version)
    with pytest.raises(VersionMismatch):
        local_storage.replace("users", "gone", b'{"v": 5}', version)

    root = tmp_path / BUCKET
    assert [f for f in files_under(root) if f != ".lock"] == ["users/u1.json"]


@pytest.mark.parametrize(
    "stray",
    ["notes.txt", ".tmp-abc123.json", ".hidden.json", "bad name.json", "u1.json.bak", "users.json~"],
)
def test_list_refs_ignores_stray_files(local_storage: LocalStorage, stray: str) -> None:
    local_storage.create("users", "u1", b"{}")
    (local_storage.root / "users" / stray).write_text("{}")

    assert [ref.key_id for ref in local_storage.list_refs("users")] == ["u1"]


def test_list_refs_ignores_a_folder_named_like_an_object(local_storage: LocalStorage) -> None:
    # A folder is not an entity; listing it makes every later read of the collection fail.
    users = Repository(local_storage, "users", User, "User")
    user = make_user()
    users.add(user.id, user)
    (local_storage.root / "users" / "archive.json").mkdir()

    assert [ref.key_id for ref in local_storage.list_refs("users")] == [user.id]
    assert users.all().items == [user]


def test_list_refs_of_a_collection_folder_that_was_removed_is_empty(local_storage: LocalStorage) -> None:
    (local_storage.root / "calls").rmdir()

    assert local_storage.list_refs("calls") == []


def test_a_create_puts_back_a_collection_folder_that_was_removed(local_storage: LocalStorage) -> None:
    (local_storage.root / "calls").rmdir()

    local_storage.create("calls", "c1", b"{}")

    assert (local_storage.root / "calls" / "c1.json").read_bytes() == b"{}"


# Several processes on one folder: the REST server and a stdio MCP server share it.

PROCESSES = 4
UPDATES_EACH = 15


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.005)


def write_marks(data_dir: str, signals: str, number: int) -> int:
    """Runs in a separate process: say ready, wait for the start signal, then append this process's marks."""
    storage = LocalStorage(Path(data_dir), BUCKET)
    repository = Repository(storage, "tasks", Tally, "Tally")
    (Path(signals) / f"ready-{number}").touch()
    # Start together, so that writes really overlap; a worker that started early would otherwise
    # finish its marks (and take the next process's share too) before the others exist.
    wait_for((Path(signals) / "go").exists, "the start signal")
    calls: list[int] = []
    for i in range(UPDATES_EACH):
        append_mark(repository, "tally", f"p{number}-{i}", calls)
    return len(calls)


def test_several_processes_on_one_folder_lose_no_update_and_never_read_a_partial_file(
    tmp_path: Path, local_storage: LocalStorage
) -> None:
    repository = Repository(local_storage, "tasks", Tally, "Tally")
    repository.add("tally", Tally(id="tally"))
    signals = tmp_path / "signals"
    signals.mkdir()
    bad_reads: list[bytes] = []
    reads = 0
    done = threading.Event()

    def read_constantly() -> None:
        nonlocal reads
        while not done.is_set():
            stored = local_storage.get("tasks", "tally")
            reads += 1
            body = b"<missing>" if stored is None else stored.body
            try:
                Tally.model_validate_json(body)
            except ValueError:
                bad_reads.append(body)

    reader = threading.Thread(target=read_constantly, daemon=True)
    spawn = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=spawn) as pool:
            futures = [pool.submit(write_marks, str(tmp_path), str(signals), n) for n in range(PROCESSES)]
            # A worker that died before it was ready is done early: stop waiting and let its error show.
            wait_for(
                lambda: len(list(signals.glob("ready-*"))) == PROCESSES or any(f.done() for f in futures),
                "every writer process to start",
            )
            reader.start()
            (signals / "go").touch()
            change_calls = sum(f.result(timeout=60) for f in futures)
    finally:
        done.set()
        if reader.is_alive():
            reader.join(timeout=10)

    marks = repository.get("tally").marks
    expected = sorted(f"p{n}-{i}" for n in range(PROCESSES) for i in range(UPDATES_EACH))
    assert sorted(marks) == expected
    assert change_calls > len(expected), "no write ever collided; the test did not exercise the race"
    assert bad_reads == []
    assert reads > 0
    assert [f for f in files_under(local_storage.root) if f != ".lock"] == ["tasks/tally.json"]
