"""The field sets of list items: the compact default, and the rule for asking more or less."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import InvalidInput
from shared.fields import CALL_FIELDS, TASK_FIELDS, USER_FIELDS, FieldSet
from shared.models import ScheduledCall, Task, User

WHEN = datetime(2025, 10, 24, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("field_set", [USER_FIELDS, CALL_FIELDS, TASK_FIELDS])
def test_the_default_is_a_compact_subset_without_free_text_or_bookkeeping(field_set: FieldSet) -> None:
    assert field_set.default[0] == "id"
    assert set(field_set.default) < set(field_set.names)
    assert not {"notes", "description", "created_at", "updated_at"} & set(field_set.default)


def test_the_defaults_hold_what_a_reader_filters_and_sorts_on() -> None:
    assert USER_FIELDS.default == ("id", "name", "email", "company", "user_type")
    assert CALL_FIELDS.default == ("id", "user_id", "title", "scheduled_for", "status")
    # A write's answer also carries the call's length.
    assert CALL_FIELDS.written == ("id", "user_id", "title", "scheduled_for", "duration_minutes", "status")
    assert set(USER_FIELDS.written) == set(USER_FIELDS.default) and set(TASK_FIELDS.written) == set(TASK_FIELDS.default)


def test_the_default_leaves_out_what_the_filter_fixed_but_named_fields_stay() -> None:
    assert CALL_FIELDS.select(None, fixed=("user_id", "status")) == ("id", "title", "scheduled_for")
    assert TASK_FIELDS.select(None, fixed=("user_id",)) == ("id", "title", "status", "due_date")
    assert CALL_FIELDS.select(["user_id", "status"], fixed=("user_id", "status")) == ("user_id", "status")
    assert TASK_FIELDS.default == ("id", "user_id", "title", "status", "due_date")


@pytest.mark.parametrize(
    ("requested", "selected"),
    [
        (None, ("id", "user_id", "title", "status", "due_date")),
        (["title", "id"], ("id", "title")),  # in the object's order, whatever the request's
        ("id, description", ("id", "description")),
        (" title ,, status ", ("title", "status")),
        (["status", "status"], ("status",)),
        (["all"], tuple(Task.model_fields)),
        ("all", tuple(Task.model_fields)),
        (["id", "all"], tuple(Task.model_fields)),
    ],
)
def test_select_reads_a_list_a_comma_separated_string_or_all(
    requested: str | list[str] | None, selected: tuple[str, ...]
) -> None:
    assert TASK_FIELDS.select(requested) == selected


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        (["id", "titel", "notes"], "unknown task fields notes, titel. Valid: all, id, title, description,"),
        ("colour", "unknown task field colour. Valid: all, id,"),
        ([], "name at least one task field, or all."),
        (" , ", "name at least one task field, or all."),
        ([1, "id"], "fields are names of task fields: all, id,"),
    ],
)
def test_select_refuses_unknown_or_no_names_naming_the_valid_ones(requested: object, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        TASK_FIELDS.select(requested)  # type: ignore[arg-type]

    assert refused.value.field == "fields"
    assert message in refused.value.message


def test_project_keeps_the_selected_fields_as_json_values_nulls_included() -> None:
    user = User(
        id="u1", name="Ana", email="ana@example.com", company="A", user_type="client", created_at=WHEN, updated_at=WHEN
    )
    call = ScheduledCall(
        id="c1",
        user_id="u1",
        title="Kickoff",
        scheduled_for=WHEN,
        duration_minutes=30,
        status="scheduled",
        created_at=WHEN,
        updated_at=WHEN,
    )

    assert USER_FIELDS.project([user], ("id", "notes", "created_at")) == [
        {"id": "u1", "notes": None, "created_at": "2025-10-24T10:30:00Z"}
    ]
    assert CALL_FIELDS.project([call], CALL_FIELDS.default) == [
        {
            "id": "c1",
            "user_id": "u1",
            "title": "Kickoff",
            "scheduled_for": "2025-10-24T10:30:00Z",
            "status": "scheduled",
        }
    ]
