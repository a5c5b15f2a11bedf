"""The usage report for one tenant: counters by day and model → totals, by day, by model.
Pure: the items come from ``stores.dynamodb.UsageStore.days``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from switchyard.errors import InputError

COUNTERS = ("requests", "cache_hits", "cost_usd", "baseline_cost_usd", "input_tokens", "output_tokens")
MAX_DAYS = 366


def period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The report's first and last day: default the current month up to today."""

    def parse(value: str, name: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise InputError(f"{name} must be a date as YYYY-MM-DD", param=name, code="invalid_date") from exc

    first = parse(start, "start") if start else today.replace(day=1)
    last = parse(end, "end") if end else today
    if last < first:
        raise InputError("end is before start", param="end", code="invalid_date")
    if last - first > timedelta(days=MAX_DAYS - 1):
        raise InputError(f"at most {MAX_DAYS} days per report", param="end", code="invalid_date")
    return first, last


def _totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    acc = dict.fromkeys(COUNTERS, 0.0)
    for r in rows:
        for k in COUNTERS:
            acc[k] += float(r.get(k, 0) or 0)
    out: dict[str, Any] = {
        k: int(v) if k in ("requests", "cache_hits", "input_tokens", "output_tokens") else v
        for k, v in acc.items()
    }
    for k in ("cost_usd", "baseline_cost_usd"):
        out[k] = round(out[k], 6)
    out["savings_usd"] = round(max(out["baseline_cost_usd"] - out["cost_usd"], 0.0), 6)
    return out


def report(items: Sequence[Mapping[str, Any]], first: date, last: date) -> dict[str, Any]:
    by_day: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    by_model: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for i in items:
        by_day[str(i["day"])].append(i)
        by_model[str(i["model"])].append(i)
    return {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "totals": _totals(items),
        "by_day": [{"date": d, **_totals(rows)} for d, rows in sorted(by_day.items())],
        "by_model": [{"model": m, **_totals(rows)} for m, rows in sorted(by_model.items())],
    }
