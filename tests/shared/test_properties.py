"""Properties of the services and models, checked with hypothesis (derandomized: the same examples every run).

The schema and the validation agree: every value the JSON schema calls valid is accepted, and what comes out
is what went in. Bounded: a few dozen examples per property.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from shared.errors import InvalidInput
from shared.models import TaskCreate, TaskUpdate, UserCreate
from shared.services import Services
from shared.storage import LocalStorage

BOUNDED = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# What a JSON client can send for the text fields: printable text, stripped of surrounding whitespace.
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60).map(str.strip)
names = text.filter(bool)


def fresh_services() -> Services:
    return Services(LocalStorage(Path(tempfile.mkdtemp(prefix="props-")), "bucket"))


def schema_validator(model: type[Any]) -> Draft202012Validator:
    return Draft202012Validator(model.model_json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


# Special-use names (RFC 6761 and friends) that email-validator alone would refuse as undeliverable.
RESERVED_TLDS = ["test", "local", "arpa", "invalid", "localhost", "onion", "example", "alt"]
reserved_domains = st.builds(
    "{}.{}".format, st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True), st.sampled_from(RESERVED_TLDS)
)
emails = st.one_of(st.emails(), st.emails(domains=reserved_domains))


@BOUNDED
@given(email=emails)
def test_every_email_the_schema_calls_valid_is_accepted(email: str) -> None:
    body = {"name": "María García", "email": email, "company": "Test Azollon"}
    assert schema_validator(UserCreate).is_valid(body)

    accepted = UserCreate.model_validate(body)

    # The same address, normalized: the domain in lower case, and an IDNA domain in its Unicode form.
    local, _, domain = accepted.email.rpartition("@")
    assert local == email.rpartition("@")[0]
    assert domain.encode("idna").decode().lower() == email.rpartition("@")[2].lower()


@BOUNDED
@given(name=names, email=emails, company=names, user_type=st.sampled_from(["client", "prospect", "partner"]))
def test_a_created_user_reads_back_as_created(name: str, email: str, company: str, user_type: str) -> None:
    services = fresh_services()

    created = services.create_user(UserCreate(name=name, email=email, company=company, user_type=user_type))

    assert services.get_user(created.id) == created
    assert [u.id for u in services.list_users().items] == [created.id]
    assert (created.name, created.company, created.user_type.value) == (name, company, user_type)


aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.timezones()
).filter(lambda d: d.utcoffset() is not None and abs(d.utcoffset() or timedelta()) < timedelta(hours=24))


@BOUNDED
@given(due=aware_datetimes)
def test_a_due_date_given_as_iso_8601_keeps_its_instant_in_utc(due: datetime) -> None:
    services = fresh_services()

    task = services.create_task(TaskCreate(title="Send the deck", due_date=due.isoformat()))  # type: ignore[arg-type]

    assert task.due_date == due
    assert task.due_date is not None and task.due_date.tzinfo is UTC
    assert services.get_task(task.id).due_date == due


@BOUNDED
@given(
    number=st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers().map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )
)
def test_a_number_is_never_a_date(number: object) -> None:
    assert not schema_validator(TaskCreate).is_valid({"title": "t", "due_date": number}) or isinstance(number, str)

    with pytest.raises(ValidationError, match="ISO 8601 date-time string"):
        TaskCreate.model_validate({"title": "t", "due_date": number})


@BOUNDED
@given(
    edit=st.fixed_dictionaries(
        {},
        optional={
            "title": names.filter(lambda t: len(t) <= 200),
            "description": st.one_of(st.none(), text),
            "due_date": st.one_of(st.none(), aware_datetimes.map(datetime.isoformat)),
        },
    )
)
def test_an_edit_the_schema_accepts_is_applied_and_one_it_refuses_is_refused(edit: dict[str, Any]) -> None:
    services = fresh_services()
    task = services.create_task(TaskCreate(title="Send the deck"))
    valid = schema_validator(TaskUpdate).is_valid(edit)

    try:
        updated = services.update_task(task.id, TaskUpdate.model_validate(edit))
    except InvalidInput:
        assert not valid, f"the schema accepts {edit} but the service refused it"
        return

    assert valid, f"the service accepted {edit} but the schema refuses it"
    for field, value in edit.items():
        got = getattr(updated, field)
        assert got == (datetime.fromisoformat(value) if field == "due_date" and value else value)
    assert services.get_task(task.id) == updated
