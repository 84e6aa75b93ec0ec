"""Cursors: the last id of the page, bound to its list, opaque to clients."""

from __future__ import annotations

import pytest

from shared.errors import InvalidInput
from shared.paging import decode_cursor, encode_cursor


def test_a_cursor_carries_the_last_id_of_its_page() -> None:
    cursor = encode_cursor("tasks", "01a213de-49b8-77c6-a27a-e328ec19b3f9")

    assert decode_cursor("tasks", cursor) == "01a213de-49b8-77c6-a27a-e328ec19b3f9"
    assert "01a213de" not in cursor  # opaque: clients pass it back, they do not build it


def test_a_cursor_naming_an_id_that_could_not_be_a_key_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Invalid cursor"):
        decode_cursor("tasks", encode_cursor("tasks", "../../etc/passwd"))


def test_a_cursor_of_another_list_is_refused_naming_both() -> None:
    with pytest.raises(InvalidInput, match="belongs to the calls list, not the tasks list"):
        decode_cursor("tasks", encode_cursor("calls", "abc"))
