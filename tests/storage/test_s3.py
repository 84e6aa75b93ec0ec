"""What only the S3 backend does: key layout, content type, bucket creation, and failing fast when S3 is down."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import boto3
import botocore.endpoint
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from shared.errors import StorageUnavailable
from shared.models import User
from shared.storage import S3Storage
from shared.storage.repository import Repository
from shared.storage.s3_guard import CONNECT_TIMEOUT
from tests.conftest import unique_bucket
from tests.storage.entities import make_user


@pytest.fixture(params=["moto", "moto_server"])
def s3_storage(request: pytest.FixtureRequest) -> S3Storage:
    backend: S3Storage = request.getfixturevalue(f"{request.param}_storage")
    return backend


def sibling(storage: S3Storage, bucket: str) -> S3Storage:
    """Another S3Storage on the same S3 endpoint (moto in-process, or the moto server)."""
    return S3Storage(bucket, endpoint_url=storage.endpoint_url)


def bucket_exists(storage: S3Storage) -> bool:
    try:
        storage.client.head_bucket(Bucket=storage.bucket)
    except ClientError:
        return False
    return True


def test_an_entity_is_stored_at_collection_slash_id_json_as_application_json(s3_storage: S3Storage) -> None:
    user = make_user()
    Repository(s3_storage, "users", User, "User").add(user.id, user)

    obj = s3_storage.client.get_object(Bucket=s3_storage.bucket, Key=f"users/{user.id}.json")

    assert obj["ContentType"] == "application/json"
    body = obj["Body"].read()
    assert body == user.model_dump_json().encode()
    assert json.loads(body)["name"] == "María García"


def test_a_replace_keeps_the_key_and_the_content_type(s3_storage: S3Storage) -> None:
    version = s3_storage.create("users", "u1", b'{"v": 1}')
    s3_storage.replace("users", "u1", b'{"v": 2}', version)

    listed = s3_storage.client.list_objects_v2(Bucket=s3_storage.bucket)
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key="users/u1.json")

    assert [item["Key"] for item in listed["Contents"]] == ["users/u1.json"]
    assert head["ContentType"] == "application/json"


def test_ensure_ready_creates_a_missing_bucket(s3_storage: S3Storage) -> None:
    fresh = sibling(s3_storage, unique_bucket())
    assert not bucket_exists(fresh)

    fresh.ensure_ready()

    assert bucket_exists(fresh)
    assert fresh.list_refs("users") == []


def test_a_second_storage_on_an_existing_bucket_is_ready_and_sees_the_data(s3_storage: S3Storage) -> None:
    version = s3_storage.create("users", "u1", b"{}")
    second = sibling(s3_storage, s3_storage.bucket)

    second.ensure_ready()
    second.ensure_ready()

    stored = second.get("users", "u1")
    assert stored is not None and stored.version == version


def test_a_read_before_start_up_made_the_bucket_makes_it_and_finds_nothing(s3_storage: S3Storage) -> None:
    not_yet = sibling(s3_storage, unique_bucket())  # start-up's ensure_ready has not run (or S3 was down)

    assert not_yet.get("users", "u1") is None
    assert not_yet.list_refs("users") == []
    assert bucket_exists(not_yet)


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s.get("users", "u2"), id="get"),
        pytest.param(lambda s: s.list_refs("users"), id="list_refs"),
        pytest.param(lambda s: s.create("users", "u2", b"{}"), id="create"),
        pytest.param(lambda s: s.check(), id="check"),
    ],
)
def test_a_bucket_deleted_after_start_up_is_an_error_naming_it_and_is_not_made_again(
    s3_storage: S3Storage, operation: Callable[[S3Storage], object]
) -> None:
    s3_storage.client.delete_bucket(Bucket=s3_storage.bucket)

    with pytest.raises(StorageUnavailable, match=f"S3 bucket {s3_storage.bucket} at .* does not exist") as raised:
        operation(s3_storage)

    assert raised.value.transient is False  # retrying cannot help: the REST answer has no Retry-After
    assert not bucket_exists(s3_storage)


def test_list_refs_ignores_keys_that_are_not_entities(s3_storage: S3Storage) -> None:
    s3_storage.create("users", "real", b"{}")
    for key in ("users/readme.txt", "users/nested/deeper.json", "users/.hidden.json", "users/bad id.json"):
        s3_storage.client.put_object(Bucket=s3_storage.bucket, Key=key, Body=b"{}")

    assert [ref.key_id for ref in s3_storage.list_refs("users")] == ["real"]


def test_describe_names_the_bucket_and_the_endpoint(moto_server_storage: S3Storage) -> None:
    description = moto_server_storage.describe()

    assert moto_server_storage.bucket in description
    assert moto_server_storage.endpoint_url is not None
    assert moto_server_storage.endpoint_url in description


# S3 down: nothing listens on the endpoint.


@pytest.fixture
def unreachable(aws_credentials: None) -> Iterator[S3Storage]:
    # A port held bound but never listening: every connection to it is refused, and no other process (a server
    # another test started, LocalStack's own services) can take it meanwhile, as it could a port merely free.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield S3Storage("mcp-pycon-demo-bucket", endpoint_url=f"http://127.0.0.1:{held.getsockname()[1]}")


def test_an_unreachable_endpoint_is_reported_after_two_refused_attempts_and_one_short_pause(
    unreachable: S3Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted, not timed: the bound is 2 attempts of at most CONNECT_TIMEOUT each and one pause of at most 0.15 s.
    # A wall-clock check here measured the test process instead: one CI run took 10 s, a full garbage collection
    # of a heap that leaked apps (see release_dropped_apps). test_s3_outages.py times refused connections end to
    # end through a proxy, on a client built beforehand.
    sent: list[str] = []
    unreachable.client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.method))
    pauses: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", pauses.append)

    with pytest.raises(StorageUnavailable) as raised:
        unreachable.ensure_ready()

    assert raised.value.message.startswith("Storage unavailable: S3 bucket mcp-pycon-demo-bucket at http://127.0.0.1:")
    assert raised.value.message.endswith("HeadBucket failed: connection refused or failed")
    assert raised.value.transient is True
    assert sent == ["HEAD", "HEAD"]  # the first try and one retry
    assert len(pauses) == 1 and 0 < pauses[0] <= 0.15
    assert unreachable.client.meta.config.connect_timeout == CONNECT_TIMEOUT == 1.0
    assert unreachable.guard.breaker.is_open  # the next calls fail without a connection attempt


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s.get("users", "u1"), id="get"),
        pytest.param(lambda s: s.create("users", "u1", b"{}"), id="create"),
        pytest.param(lambda s: s.replace("users", "u1", b"{}", '"etag"'), id="replace"),
        pytest.param(lambda s: s.list_refs("users"), id="list_refs"),
    ],
)
def test_every_operation_on_an_unreachable_endpoint_raises_storage_unavailable(
    unreachable: S3Storage, operation: Callable[[S3Storage], object]
) -> None:
    with pytest.raises(StorageUnavailable, match="Storage unavailable: S3 bucket mcp-pycon-demo-bucket"):
        operation(unreachable)


def test_invalid_ids_are_refused_before_any_request(unreachable: S3Storage) -> None:
    # The endpoint is down, so reaching it would raise StorageUnavailable, not ValueError.
    with pytest.raises(ValueError):
        unreachable.get("users", "../etc/passwd")
    with pytest.raises(ValueError):
        unreachable.create("users", "a/b", b"{}")
    with pytest.raises(ValueError):
        unreachable.replace("users", ".hidden", b"{}", '"etag"')


def test_access_denied_is_an_error_naming_the_bucket_that_retrying_cannot_fix(aws_credentials: None) -> None:
    client = boto3.client("s3", region_name="us-east-1")
    storage = S3Storage("mcp-pycon-demo-bucket", client=client)
    with Stubber(client) as stub:
        stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(StorageUnavailable) as raised:
            storage.get("users", "u1")

    assert raised.value.message == (
        "Storage unavailable: S3 bucket mcp-pycon-demo-bucket at AWS (us-east-1): "
        "GetObject failed: AccessDenied (HTTP 403)"
    )
    assert raised.value.transient is False
