"""The versioned cache: serves only the version asked for, and evicts the least recently used past its size."""

from __future__ import annotations

import pytest

from shared.storage.cache import Unreadable, VersionedCache


def test_a_value_is_served_only_for_the_version_it_was_put_with() -> None:
    cache: VersionedCache[str] = VersionedCache(10)
    cache.put("a", "v1", "first")

    assert cache.get("a", "v1") == "first"
    assert cache.get("a", "v2") is None
    assert cache.get("b", "v1") is None


def test_the_least_recently_used_entry_is_evicted_past_the_size() -> None:
    cache: VersionedCache[str] = VersionedCache(2)
    cache.put("a", "1", "a")
    cache.put("b", "1", "b")
    assert cache.get("a", "1") == "a"  # now b is the least recently used

    cache.put("c", "1", "c")

    assert len(cache) == 2
    assert (cache.holds("a"), cache.holds("b"), cache.holds("c")) == (True, False, True)


def test_a_size_of_zero_keeps_nothing_and_a_negative_size_is_refused() -> None:
    cache: VersionedCache[str] = VersionedCache(0)
    cache.put("a", "1", "a")
    assert len(cache) == 0
    with pytest.raises(ValueError, match="at least 0"):
        VersionedCache(-1)


def test_an_unreadable_verdict_is_cached_like_a_value() -> None:
    cache: VersionedCache[str] = VersionedCache(1)
    cache.put("a", "1", Unreadable("bad json"))

    assert cache.get("a", "1") == Unreadable("bad json")
    cache.discard("a")
    assert not cache.holds("a")
