"""An app per test over a fresh store, served by a real uvicorn server, driven by a real HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from shared.services import Services
from shared.settings import Settings
from shared.storage import LocalStorage, S3Storage, Storage
from task_api.app import create_app
from tests.live_server import clean_env, serve

API_KEY = "test-key-for-the-suite"


@pytest.fixture(params=["local", "s3"])
def api_storage(request: pytest.FixtureRequest) -> Storage:
    """Both stores a user can choose: the local folder, and S3 over HTTP (a moto_server process)."""
    name = "local_storage" if request.param == "local" else "moto_server_storage"
    storage: Storage = request.getfixturevalue(name)
    return storage


@pytest.fixture
def settings() -> Settings:
    return Settings(TASK_API_KEY=API_KEY)


@pytest.fixture
def base_url(api_storage: Storage, settings: Settings) -> Iterator[str]:
    app = create_app(settings, services=Services(api_storage))
    with serve(app) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"X-API-Key": API_KEY}, timeout=30) as c:
        yield c


@pytest.fixture
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


def make_user(client: httpx.Client, **overrides: object) -> dict[str, object]:
    body = {"name": "María García", "email": "maria@test-azollon.com", "company": "Test Azollon"}
    body.update(overrides)
    response = client.post("/users", json=body)
    assert response.status_code == 201, response.text
    user: dict[str, object] = response.json()
    return user


def stdio_env(storage: Storage) -> dict[str, str]:
    """Environment for `python -m mcp_server` that points at the same store as the REST server."""
    env = clean_env()
    if isinstance(storage, LocalStorage):
        return env | {
            "TASK_API_STORAGE": "local",
            "TASK_API_DATA_DIR": str(storage.root.parent),
            "AWS_S3_BUCKET": storage.root.name,
        }
    assert isinstance(storage, S3Storage) and storage.endpoint_url
    return env | {
        "TASK_API_STORAGE": "s3",
        "AWS_S3_BUCKET": storage.bucket,
        "AWS_ENDPOINT_URL": storage.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
    }


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
