"""Counters, metric points and trace spans, with no AWS dependency in the core.

- ``count(name)``: degraded paths (store failures, failovers …). Kept as process totals
  (tests read them with ``snapshot``) and queued as a metric point.
- ``measure(name, value, unit, **dims)``: a metric point (cost, latency, routed model …).
- ``flush()``: the points queued since the last flush; the Lambda handlers publish them as
  CloudWatch metrics (EMF, via Powertools) after each invocation.
- ``span(name)``: a trace segment around a step (classify, cache, store, provider); a no-op
  until a handler installs a tracer (X-Ray, via Powertools).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from threading import Lock

log = logging.getLogger(__name__)
MAX_VALUES = 100  # CloudWatch EMF takes at most 100 values per metric and line

_counts: Counter[str] = Counter()
_pending: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[float]] = {}
_lock = Lock()
_span_factory: Callable[[str], AbstractContextManager[object]] | None = None


@dataclass(frozen=True)
class Point:
    name: str
    unit: str  # CloudWatch unit: Count, Milliseconds, None …
    dimensions: tuple[tuple[str, str], ...]
    values: tuple[float, ...]


def metric_name(counter: str) -> str:
    """``cache_errors`` → ``CacheErrors``."""
    return "".join(part.capitalize() for part in counter.split("_"))


def count(name: str, value: int = 1) -> None:
    with _lock:
        _counts[name] += value
    measure(metric_name(name), value, "Count")


def measure(name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
    key = (name, unit, tuple(sorted(dimensions.items())))
    with _lock:
        values = _pending.setdefault(key, [])
        if unit == "Count":  # counts add up: one value per flush is enough
            if values:
                values[0] += value
            else:
                values.append(value)
        elif len(values) < MAX_VALUES:
            values.append(float(value))


def flush() -> list[Point]:
    with _lock:
        out = [Point(n, u, d, tuple(v)) for (n, u, d), v in _pending.items()]
        _pending.clear()
    return out


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def drain() -> dict[str, int]:
    with _lock:
        out = dict(_counts)
        _counts.clear()
        return out


def install_tracer(factory: Callable[[str], AbstractContextManager[object]] | None) -> None:
    """Route ``span`` to a tracer (e.g. Powertools' ``tracer.provider.in_subsegment``)."""
    global _span_factory
    _span_factory = factory


@contextmanager
def span(name: str) -> Iterator[None]:
    factory = _span_factory
    with factory(name) if factory is not None else nullcontext():
        yield
