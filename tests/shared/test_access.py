"""Keys, labels and toolsets as read from the environment: what is accepted, and each refusal in one line."""

from __future__ import annotations

import argparse

import pytest
from pydantic import ValidationError

from shared.access import DEFAULT_API_KEY, TOOLSETS, ApiKey, parse_toolsets
from shared.settings import Settings, add_access_arguments, settings_from_env

FULL = "full-key-0123456789"
OTHER = "other-key-0123456789"
READER = "read-key-0123456789"


def labels(settings: Settings) -> list[tuple[str, bool]]:
    return [(key.label, key.read_only) for key in settings.access_keys()]


def test_without_any_key_the_demo_key_is_the_one_full_key() -> None:
    assert Settings().access_keys() == [ApiKey("default", DEFAULT_API_KEY, read_only=False)]
    assert Settings().uses_demo_key


def test_setting_only_other_keys_does_not_leave_the_demo_key_open() -> None:
    settings = Settings(TASK_API_KEYS=f"ops:{FULL}")
    assert [key.secret for key in settings.access_keys()] == [FULL]
    assert not settings.uses_demo_key


def test_task_api_key_is_labelled_default_unless_it_carries_a_label() -> None:
    assert labels(Settings(TASK_API_KEY=FULL)) == [("default", False)]
    labelled = Settings(TASK_API_KEY=f"laptop:{FULL}")
    assert labels(labelled) == [("laptop", False)]
    assert labelled.access_keys()[0].secret == FULL


def test_two_full_keys_and_read_keys_carry_their_labels_and_scopes() -> None:
    settings = Settings(TASK_API_KEYS=f"old:{FULL}, new:{OTHER}", TASK_API_READ_KEYS=f"dashboard:{READER}")
    assert labels(settings) == [("old", False), ("new", False), ("dashboard", True)]
    assert {key.secret for key in settings.access_keys()} == {FULL, OTHER, READER}


def test_an_unlabelled_key_gets_a_stable_label_that_does_not_reveal_it() -> None:
    first = Settings(TASK_API_KEYS=f"{FULL},{OTHER}", TASK_API_READ_KEYS=READER).access_keys()
    # Removing the first key (a rotation) leaves the other's label as it was.
    second = Settings(TASK_API_KEYS=OTHER).access_keys()
    assert first[1].label == second[0].label
    assert first[0].label.startswith("key-") and first[2].label.startswith("read-")
    assert len({key.label for key in first}) == 3
    for key in first:
        assert key.secret[:6] not in key.label


def test_a_key_containing_a_colon_is_written_with_a_label() -> None:
    [key] = Settings(TASK_API_KEY="ops:abc:0123456789abcdef").access_keys()
    assert (key.label, key.secret) == ("ops", "abc:0123456789abcdef")
    # What precedes the colon is no label (a space): the whole entry is the key.
    [whole] = Settings(TASK_API_KEYS="not a label:0123456789").access_keys()
    assert whole.secret == "not a label:0123456789"


def test_the_client_key_is_the_first_full_key() -> None:
    assert Settings(TASK_API_READ_KEYS=READER, TASK_API_KEYS=f"a:{FULL}").client_key() == FULL
    assert Settings(TASK_API_KEY=f"me:{OTHER}", TASK_API_KEYS=f"a:{FULL}").client_key() == OTHER
    assert Settings().client_key() == DEFAULT_API_KEY


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TASK_API_KEYS": f"ops:{FULL},ci:tiny-secret"}, "TASK_API_KEYS: the key labelled 'ci' is shorter than 16"),
        ({"TASK_API_READ_KEYS": "tiny-secret"}, "TASK_API_READ_KEYS: key 1 is shorter than 16"),
        ({"TASK_API_KEYS": "ops:"}, "TASK_API_KEYS: the key labelled 'ops' is empty"),
        ({"TASK_API_KEY": "ops:tiny-secret"}, "TASK_API_KEY: the key labelled 'ops' is shorter than 16"),
    ],
)
def test_short_or_empty_keys_are_refused_in_every_list_without_repeating_them(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        Settings(**env)
    assert "tiny-secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"TASK_API_KEYS": f"a:{FULL},b:{FULL}"},
            "TASK_API_KEYS: the key labelled 'b' is the same key as the one labelled 'a' in TASK_API_KEYS",
        ),
        (
            {"TASK_API_KEY": FULL, "TASK_API_READ_KEYS": f"ro:{FULL}"},
            "TASK_API_READ_KEYS: the key labelled 'ro' is the same key as the one labelled 'default' in TASK_API_KEY",
        ),
        (
            {"TASK_API_KEYS": f"ops:{FULL}", "TASK_API_READ_KEYS": f"ops:{READER}"},
            "TASK_API_READ_KEYS: the label 'ops' is already used by another key in TASK_API_KEYS",
        ),
        (
            {"TASK_API_KEY": FULL, "TASK_API_KEYS": f"default:{OTHER}"},
            "TASK_API_KEYS: the label 'default' is already used by another key in TASK_API_KEY",
        ),
    ],
)
def test_a_key_or_a_label_used_twice_is_refused_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**env)
    assert message in str(refused.value)
    assert FULL not in str(refused.value)


def test_toolsets_default_to_all_and_keep_their_order() -> None:
    assert Settings().enabled_toolsets() == TOOLSETS
    assert Settings(TASK_API_TOOLSETS=" tasks , users").enabled_toolsets() == ("users", "tasks")
    assert parse_toolsets("") == TOOLSETS


def test_an_unknown_toolset_is_refused_listing_the_valid_ones() -> None:
    with pytest.raises(ValidationError, match="unknown toolset files; the toolsets are: users, calls, tasks, history"):
        Settings(TASK_API_TOOLSETS="users,files")


def test_bad_settings_end_the_process_with_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASK_API_KEYS", f"a:{FULL},b:{FULL}")
    monkeypatch.setenv("TASK_API_TOOLSETS", "calendar")
    with pytest.raises(SystemExit) as ended:
        settings_from_env("task-api")
    lines = str(ended.value).splitlines()
    assert lines[0] == "task-api: invalid configuration in the environment:"
    assert lines[1:] == [
        "  TASK_API_TOOLSETS: unknown toolset calendar; the toolsets are: users, calls, tasks, history",
    ]
    monkeypatch.delenv("TASK_API_TOOLSETS")
    with pytest.raises(SystemExit) as ended:
        settings_from_env("task-api")
    assert str(ended.value).splitlines()[1:] == [
        "  TASK_API_KEYS: the key labelled 'b' is the same key as the one labelled 'a' in TASK_API_KEYS; "
        "list each key once"
    ]


def test_flags_win_over_the_environment() -> None:
    parser = argparse.ArgumentParser()
    add_access_arguments(parser)
    settings = Settings(TASK_API_READ_ONLY=True, TASK_API_TOOLSETS="users")
    unchanged = settings.with_access_flags(parser.parse_args([]))
    assert unchanged.read_only and unchanged.enabled_toolsets() == ("users",)
    changed = settings.with_access_flags(parser.parse_args(["--no-read-only", "--toolsets", "calls,tasks"]))
    assert not changed.read_only and changed.enabled_toolsets() == ("calls", "tasks")
    assert Settings().with_access_flags(parser.parse_args(["--read-only"])).read_only


def test_an_unknown_toolset_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="mcp")
    add_access_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--toolsets", "users,mail"])
    assert "unknown toolset mail; the toolsets are: users, calls, tasks, history" in capsys.readouterr().err
