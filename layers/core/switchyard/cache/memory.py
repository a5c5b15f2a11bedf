"""A bounded per-container memory tier in front of the cache table: the entries this
container wrote or read lately, by cache key (every key carries its tenant, so no entry is
shared across tenants), each dropped at its own ``expires_at`` like the table's TTL, the
least recently used first when full. Entries only ever expire (the table is never
invalidated otherwise), so the tier serves exactly what the table would, without the read."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from threading import Lock
from typing import Any


class MemoryTier:
    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = Lock()

    def get_first(self, keys: list[str], now: float) -> tuple[str, dict[str, Any]] | None:
        """The first of ``keys`` (in order) with a live entry, as the table's ``get_first``."""
        with self._lock:
            for k in keys:
                entry = self._items.get(k)
                if entry is None:
                    continue
                if float(entry.get("expires_at", 0)) <= now:
                    del self._items[k]
                    continue
                self._items.move_to_end(k)
                return k, entry
        return None

    def put_many(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        with self._lock:
            for k, e in entries.items():
                self._items[k] = dict(e)
                self._items.move_to_end(k)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
