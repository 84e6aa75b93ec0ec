"""/users against the spec: bodies, status codes, limits, search and pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from tests.api.conftest import make_user

SPEC_USER = {
    "name": "María García",
    "email": "maria@test-azollon.com",
    "company": "Test Azollon",
    "user_type": "client",
    "notes": "New client from PyCon demo",
}


def test_create_user_returns_201_and_the_spec_body(client: httpx.Client) -> None:
    response = client.post("/users", json=SPEC_USER)
    assert response.status_code == 201
    body = response.json()
    assert list(body) == [
        "id",
        "name",
        "email",
        "company",
        "user_type",
        "notes",
        "created_at",
        "updated_at",
    ]
    assert {k: body[k] for k in SPEC_USER} == SPEC_USER
    assert uuid.UUID(body["id"]).version == 7  # time-ordered: key order is creation order
    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
    assert body["created_at"] == body["updated_at"]


def test_user_type_defaults_to_client_and_notes_to_null(client: httpx.Client) -> None:
    body = make_user(client, email="test@example.com", name="Test User", company="Test Company")
    assert body["user_type"] == "client"
    assert body["notes"] is None


def test_created_user_is_listed_and_fetched_by_id(client: httpx.Client) -> None:
    created = make_user(client)
    listed = client.get("/users")
    assert listed.status_code == 200
    assert listed.json() == [created]
    fetched = client.get(f"/users/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_list_users_is_an_empty_array_when_there_are_none(client: httpx.Client) -> None:
    response = client.get("/users")
    assert response.status_code == 200
    assert response.json() == []


def test_get_unknown_user_is_404_with_the_spec_body(client: httpx.Client) -> None:
    response = client.get("/users/abc-123")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "User abc-123 not found"}


@pytest.mark.parametrize("hostile_id", ["..%2F..%2Fetc%2Fpasswd", "%2E%2E", "a%00b", "x" * 300])
def test_ids_that_could_escape_the_store_are_plain_404s(client: httpx.Client, hostile_id: str) -> None:
    response = client.get(f"/users/{hostile_id}")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_invalid_email_is_422_in_fastapi_validation_format(client: httpx.Client) -> None:
    response = client.post("/users", json={**SPEC_USER, "email": "not-an-email"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "email"]
    assert "email" in detail[0]["msg"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 101),
        ("company", ""),
        ("company", "c" * 101),
        ("notes", "n" * 501),
        ("user_type", "boss"),
        ("email", None),
    ],
)
def test_user_field_limits_of_the_data_model_are_enforced(client: httpx.Client, field: str, value: object) -> None:
    response = client.post("/users", json={**SPEC_USER, field: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert client.get("/users").json() == []


def test_longest_allowed_values_are_accepted(client: httpx.Client) -> None:
    body = {**SPEC_USER, "name": "x" * 100, "company": "c" * 100, "notes": "n" * 500, "user_type": "partner"}
    response = client.post("/users", json=body)
    assert response.status_code == 201, response.text


def test_missing_required_field_is_422(client: httpx.Client) -> None:
    response = client.post("/users", json={"name": "Only a name"})
    assert response.status_code == 422
    missing = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert missing == {("body", "email"), ("body", "company")}


def test_unknown_field_is_refused_rather_than_dropped(client: httpx.Client) -> None:
    response = client.post("/users", json={**SPEC_USER, "compnay": "typo"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "compnay"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null", b'"text"', b'{"name": 1e999}'])
def test_malformed_bodies_are_422_never_500(client: httpx.Client, raw: bytes) -> None:
    response = client.post("/users", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "detail" in response.json()
    assert client.get("/users").json() == []


def test_a_body_that_is_not_utf8_is_a_400_with_the_json_error_shape(client: httpx.Client) -> None:
    response = client.post("/users", content=b"\xff\xfe\x00", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_search_is_case_and_accent_insensitive(client: httpx.Client) -> None:
    maria = make_user(client)
    make_user(client, name="John Smith", email="john@example.com", company="Example")
    response = client.get("/users", params={"q": "maria garcia"})
    assert response.status_code == 200
    assert [u["id"] for u in response.json()] == [maria["id"]]
    by_company = client.get("/users", params={"q": "AZOLLON"}).json()
    assert [u["id"] for u in by_company] == [maria["id"]]
    assert client.get("/users", params={"q": "nobody"}).json() == []


def test_list_pages_with_limit_and_the_next_cursor_header(client: httpx.Client) -> None:
    created = [make_user(client, email=f"u{i}@example.com")["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/users", params=params)
        assert response.status_code == 200
        batch = response.json()
        assert len(batch) <= 2
        seen += [u["id"] for u in batch]
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
    assert pages == 3
    assert seen == created  # oldest first, each exactly once


@pytest.mark.parametrize("params", [{"cursor": "garbage!"}, {"limit": 0}, {"limit": 1001}, {"limit": "x"}])
def test_bad_page_parameters_are_422(client: httpx.Client, params: dict[str, object]) -> None:
    response = client.get("/users", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_an_oversized_body_is_413_json_and_stores_nothing(client: httpx.Client) -> None:
    huge = {**SPEC_USER, "notes": "x" * (2 * 1024 * 1024)}
    response = client.post("/users", json=huge)
    assert response.status_code == 413
    assert response.json()["success"] is False
    assert client.get("/users").json() == []


def test_an_oversized_chunked_body_is_413_too(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "A", "email": "a@example.com", "company": "C", "notes": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = client.post("/users", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert client.get("/users").json() == []


def test_a_lone_surrogate_in_a_string_is_422_not_500(client: httpx.Client) -> None:
    raw = b'{"name": "\\ud800", "email": "s@example.com", "company": "c"}'
    response = client.post("/users", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert client.get("/users").json() == []
