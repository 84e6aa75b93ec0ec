"""One contract: the OpenAPI document says every status a route answers, and schemathesis finds nothing.

schemathesis runs as a user would run it: its CLI, every check, against the real server's /openapi.json,
seeded and bounded (tests/schemathesis.toml).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import API_KEY
from tests.api.test_entrypoint import running_server
from tests.conftest import free_port
from tests.live_server import clean_env

CONFIG = Path(__file__).resolve().parents[1] / "schemathesis.toml"
SCHEMATHESIS_TIMEOUT = 300


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("contract")
    env = clean_env(TASK_API_PORT=str(free_port()), TASK_API_DATA_DIR=str(tmp / "data"), TASK_API_KEY=API_KEY)
    with running_server(env, tmp, tmp / "server.log") as url:
        yield url
    log = (tmp / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]


def test_schemathesis_with_every_check_finds_no_failure(server_url: str, tmp_path: Path) -> None:
    st = Path(sys.executable).with_name("st")
    command = [str(st), "--config-file", str(CONFIG), "run", f"{server_url}/openapi.json"]
    command += ["--checks", "all", "--header", f"X-API-Key: {API_KEY}", "--no-color"]
    # In a folder of its own: schemathesis keeps a cache (.schemathesis/) where it runs.
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=SCHEMATHESIS_TIMEOUT, check=False, cwd=tmp_path
    )

    assert finished.returncode == 0, finished.stdout[-6000:] + finished.stderr[-2000:]
    assert "No issues found" in finished.stdout
    assert "Seed: 1" in finished.stdout


@pytest.fixture(scope="module")
def openapi(server_url: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{server_url}/openapi.json").json()
    return document


def operations(openapi: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_entity_route_declares_its_errors_with_the_json_error_schema(openapi: dict[str, Any]) -> None:
    checked = 0
    for path, method, operation in operations(openapi):
        if not path.startswith(("/users", "/calls", "/tasks")):
            continue
        responses = operation["responses"]
        for code in ("400", "403", "404", "409", "413", "422", "502", "503"):
            assert code in responses, f"{method.upper()} {path} does not declare {code}"
            if code != "422":
                schema = responses[code]["content"]["application/json"]["schema"]
                if code == "409" and "allow_overlap" in {p["name"] for p in operation.get("parameters", [])}:
                    # The routes that book a time: the error shape, or the overlap body (?allow_overlap=false).
                    assert {"$ref": "#/components/schemas/ErrorBody"} in schema["anyOf"], (path, code)
                else:
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, code)
                assert responses[code]["content"]["application/json"]["example"]["success"] is False
        assert "Retry-After" in responses["503"]["headers"]
        checked += 1
    assert checked == 19  # 13 of the spec, and history + revert for each of the three kinds


def test_health_routes_declare_what_they_answer(openapi: dict[str, Any]) -> None:
    assert {"200", "400", "413"} <= set(openapi["paths"]["/health"]["get"]["responses"])
    assert {"200", "400", "413", "503"} <= set(openapi["paths"]["/health/ready"]["get"]["responses"])


def test_the_schemas_carry_the_specs_examples(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]

    assert schemas["UserCreate"]["examples"][0]["name"] == "María García"
    assert schemas["UserCreate"]["examples"][0]["email"] == "maria@test-azollon.com"
    assert schemas["CallCreate"]["examples"][0]["title"] == "Onboarding Call - Test Azollon"
    assert schemas["TaskCreate"]["examples"][0]["title"] == "Prepare onboarding materials"
    assert schemas["User"]["examples"][0]["company"] == "Test Azollon"
    assert schemas["ErrorBody"]["properties"]["success"]["const"] is False


def test_a_wrong_method_names_every_method_the_path_answers(server_url: str) -> None:
    response = httpx.request("PUT", f"{server_url}/users", headers={"X-API-Key": API_KEY})

    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}


# Dates are ISO 8601 strings, and emails at reserved domains are valid, in the REST door.


@pytest.mark.parametrize("due_date", ["-1", 1, "1700000000", 1.5, True])
def test_a_number_is_not_a_date(server_url: str, due_date: object) -> None:
    response = httpx.post(
        f"{server_url}/tasks", headers={"X-API-Key": API_KEY}, json={"title": "Send the deck", "due_date": due_date}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "due_date"]
    assert "ISO 8601" in response.json()["detail"][0]["msg"]


def test_a_number_is_not_a_date_in_a_query_either(server_url: str) -> None:
    response = httpx.get(f"{server_url}/tasks", headers={"X-API-Key": API_KEY}, params={"due_before": "-1"})

    assert response.status_code == 422


@pytest.mark.parametrize("email", ["maria@azollon.test", "ops@intranet.local", "x@10.in-addr.arpa"])
def test_an_email_at_a_reserved_domain_is_accepted_as_the_schema_says(server_url: str, email: str) -> None:
    response = httpx.post(
        f"{server_url}/users",
        headers={"X-API-Key": API_KEY},
        json={"name": "María García", "email": email, "company": "Test Azollon"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["email"] == email
