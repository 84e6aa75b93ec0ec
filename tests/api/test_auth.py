"""The API key: checked on every endpoint but /health and the docs, before anything else."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import API_KEY

PROTECTED = [
    ("GET", "/users"),
    ("POST", "/users"),
    ("GET", "/users/some-id"),
    ("GET", "/calls"),
    ("POST", "/calls"),
    ("GET", "/calls/some-id"),
    ("PATCH", "/calls/some-id/status?new_status=completed"),
    ("PATCH", "/calls/some-id"),
    ("GET", "/tasks"),
    ("POST", "/tasks"),
    ("GET", "/tasks/some-id"),
    ("PATCH", "/tasks/some-id/status?new_status=done"),
    ("PATCH", "/tasks/some-id"),
    ("POST", "/mcp"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_wrong_key_is_403_with_the_spec_body(anonymous: httpx.Client, method: str, path: str) -> None:
    response = anonymous.request(method, path, headers={"X-API-Key": "wrong"}, json={})
    assert response.status_code == 403
    assert response.json() == {"success": False, "message": "Invalid API key"}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_missing_key_is_403_json_never_422(anonymous: httpx.Client, method: str, path: str) -> None:
    # An invalid body too: the key is checked before the body is read.
    response = anonymous.request(method, path, content=b"{broken", headers={"Content-Type": "application/json"})
    assert response.status_code == 403
    body = response.json()
    assert body["success"] is False
    assert "API key" in body["message"]


def test_bearer_token_is_accepted_as_the_key(anonymous: httpx.Client) -> None:
    response = anonymous.get("/users", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200


def test_wrong_bearer_token_is_403(anonymous: httpx.Client) -> None:
    response = anonymous.get("/users", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/health", "/docs", "/redoc", "/openapi.json"])
def test_health_and_docs_need_no_key(anonymous: httpx.Client, path: str) -> None:
    assert anonymous.get(path).status_code == 200


def test_health_reports_healthy_and_the_version(anonymous: httpx.Client) -> None:
    body = anonymous.get("/health").json()
    assert body["status"] == "healthy"
    assert body["version"] == "0.1.0"
    assert "T" in body["timestamp"]


def test_openapi_declares_the_api_key_scheme_for_the_authorize_button(anonymous: httpx.Client) -> None:
    spec = anonymous.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= next(iter(schemes.values())).items()
    assert spec["paths"]["/users"]["get"]["security"]
    assert "security" not in spec["paths"]["/health"]["get"]


def test_unknown_path_and_wrong_method_keep_the_json_error_shape(client: httpx.Client) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    wrong_method = client.delete("/users")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["success"] is False
