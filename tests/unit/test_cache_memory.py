"""The per-container memory tier: by key (and so by tenant), expiring at each entry's own
``expires_at``, bounded, least recently used out first."""

from __future__ import annotations

from switchyard.cache.memory import MemoryTier


def test_entries_are_found_in_key_order_and_expire_like_the_table() -> None:
    m = MemoryTier()
    m.put_many({"t1#exact": {"body": "a", "expires_at": 100}, "t1#norm": {"body": "b", "expires_at": 200}})
    assert m.get_first(["t1#exact", "t1#norm"], now=50) == ("t1#exact", {"body": "a", "expires_at": 100})
    assert m.get_first(["t1#exact", "t1#norm"], now=100)[0] == "t1#norm"  # type: ignore[index]
    assert m.get_first(["t1#exact"], now=150) is None and len(m) == 1  # the expired one is gone
    assert m.get_first(["t1#norm"], now=200) is None


def test_another_tenants_keys_never_match() -> None:
    m = MemoryTier()
    m.put_many({"cache#tenant-a#k": {"body": "a", "expires_at": 10**10}})
    assert m.get_first(["cache#tenant-b#k"], now=0) is None


def test_it_is_bounded_and_drops_the_least_recently_used() -> None:
    m = MemoryTier(max_entries=2)
    m.put_many({"a": {"expires_at": 10**10}, "b": {"expires_at": 10**10}})
    assert m.get_first(["a"], now=0) is not None  # a is now the most recent
    m.put_many({"c": {"expires_at": 10**10}})
    assert len(m) == 2 and m.get_first(["b"], now=0) is None and m.get_first(["a", "c"], now=0) is not None
