"""Time-ordered ids: valid UUIDv7, in creation order as strings (so as S3 keys), whatever the clock does."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from shared.ids import IdFactory
from tests.clocks import START


def test_an_id_is_a_uuid7_carrying_the_creation_millisecond() -> None:
    new_id = IdFactory().new_id(START)

    parsed = uuid.UUID(new_id)
    assert str(parsed) == new_id
    assert parsed.version == 7
    assert parsed.int >> 80 == int(START.timestamp() * 1000)


def test_ids_sort_in_creation_order_across_milliseconds() -> None:
    factory = IdFactory()
    ids = [factory.new_id(START + timedelta(milliseconds=n // 3)) for n in range(300)]

    assert ids == sorted(ids)


def test_ids_minted_in_one_millisecond_keep_their_order_past_the_counter() -> None:
    factory = IdFactory()
    ids = [factory.new_id(START) for _ in range(10_000)]  # more than the 12-bit counter holds

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_never_go_backwards_when_the_clock_does() -> None:
    factory = IdFactory()
    later = factory.new_id(START + timedelta(seconds=5))

    earlier_clock = factory.new_id(START)

    assert earlier_clock > later


def test_ids_from_many_threads_are_unique() -> None:
    factory = IdFactory()
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda _: factory.new_id(START), range(4_000)))

    assert len(set(ids)) == 4_000
