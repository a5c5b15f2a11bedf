"""Counters for degraded paths (store failures, failovers …), logged as they happen.

The API handler publishes them as CloudWatch metrics; tests read them to check that a
failure was counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from threading import Lock

log = logging.getLogger(__name__)
_counts: Counter[str] = Counter()
_lock = Lock()


def count(name: str, value: int = 1) -> None:
    with _lock:
        _counts[name] += value


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def drain() -> dict[str, int]:
    with _lock:
        out = dict(_counts)
        _counts.clear()
        return out
