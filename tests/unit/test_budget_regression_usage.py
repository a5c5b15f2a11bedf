"""Budgets (curve, assessment, routing shift), quality-regression detection, the usage
report and the metric points: pure functions."""

from __future__ import annotations

import math
from datetime import date

import pytest

from switchyard import telemetry
from switchyard.budget import Budget, BudgetCurve, assess
from switchyard.catalog import load_catalog
from switchyard.errors import InputError
from switchyard.learning.regression import binom_cdf, detect
from switchyard.learning.scoring import Observation
from switchyard.routing import PRIOR, Cell, ConfidenceMatrix, RouteInput, decide
from switchyard.usage import period, report

CATALOG = load_catalog()
TIERS = {m.id: m.tier for m in CATALOG.models}


def test_curve_is_flat_then_rises_to_one() -> None:
    c = BudgetCurve(soft_start=0.8, exponent=2.0)
    assert c.thrift(0.0) == 0.0 and c.thrift(0.8) == 0.0
    assert c.thrift(0.9) == pytest.approx(0.25)
    assert c.thrift(1.0) == 1.0 and c.thrift(3.0) == 1.0
    values = [c.thrift(u / 100) for u in range(0, 121)]
    assert values == sorted(values)


def test_assess_soft_budget_and_hard_cap() -> None:
    b = Budget(monthly_usd=100.0, hard_cap_usd=120.0)
    assert assess(b, 50.0).thrift == 0.0 and not assess(b, 50.0).over_cap
    assert assess(b, 85.0).thrift == pytest.approx(0.5)
    assert assess(b, 110.0).thrift == 1.0 and not assess(b, 110.0).over_cap
    assert assess(b, 120.0).over_cap
    free = assess(Budget(), 1e9)
    assert free.thrift == 0.0 and not free.over_cap and free.used is None


def test_budget_item_overrides_defaults_field_by_field() -> None:
    default = Budget(50.0, None, BudgetCurve(0.6, 1.0))
    b = Budget.from_item({"hard_cap_usd": 80}, default)
    assert (b.monthly_usd, b.hard_cap_usd, b.curve.soft_start) == (50.0, 80.0, 0.6)
    assert Budget.from_item(None, default) == default


def tier_of(thrift: float, task: str, complexity: float, mode: str = "auto") -> int:
    d = decide(RouteInput(task, complexity, 200, mode=mode, thrift=thrift), CATALOG, PRIOR, "gpt-4o")  # type: ignore[arg-type]
    return CATALOG.by_id[d.model].tier


@pytest.mark.parametrize("mode", ["auto", "quality", "speed"])
def test_thrift_moves_routing_toward_cost_mode(mode: str) -> None:
    cases = [(t, c / 2) for t in ("coding", "qa", "reasoning", "creative") for c in range(21)]
    for task, c in cases:
        tiers = [tier_of(x / 10, task, c, mode) for x in range(11)]
        assert tiers == sorted(tiers, reverse=True), (task, c, tiers)  # never more expensive
        assert tiers[-1] == tier_of(0.0, task, c, "cost")  # all the way = cost mode
    # and it does shift some of them
    assert sum(tier_of(1.0, t, c, mode) < tier_of(0.0, t, c, mode) for t, c in cases) >= 5


def test_reasons_say_the_budget_shifted_routing() -> None:
    d = decide(RouteInput("coding", 4.0, 200, thrift=0.6), CATALOG, PRIOR, "gpt-4o")
    assert any("budget" in r for r in d.reasons)


def brute_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


@pytest.mark.parametrize(
    ("k", "n", "p"), [(0, 10, 0.8), (3, 10, 0.8), (7, 20, 0.5), (40, 60, 0.9), (10, 10, 0.3)]
)
def test_binomial_cdf_matches_the_definition(k: int, n: int, p: float) -> None:
    assert binom_cdf(k, n, p) == pytest.approx(brute_cdf(k, n, p), rel=1e-9, abs=1e-15)


def votes(model: str, task: str, good: int, bad: int, tenants: int = 2) -> list[Observation]:
    """Votes spread over ``tenants`` tenants in turn."""
    scores = [1.0] * good + [0.0] * bad
    return [Observation(model, task, s, source=f"t{i % tenants}") for i, s in enumerate(scores)]


def test_a_significant_drop_is_a_regression_and_noise_is_not() -> None:
    m = ConfidenceMatrix({"gpt-4o": {"coding": Cell(0.9, 2000)}}, "v1")
    # 12 of 30 good against an established 0.90: p ≈ 1e-10
    found = detect(m, votes("gpt-4o", "coding", 12, 18), TIERS)
    assert [(r.model, r.task_type) for r in found] == [("gpt-4o", "coding")]
    assert found[0].p_value < 1e-6 and found[0].observed == pytest.approx(0.4)
    # a few bad votes: too few to say anything
    assert detect(m, votes("gpt-4o", "coding", 0, 5), TIERS) == []
    # 23 of 30 (0.77) against 0.90: a drop over 0.10, but P = 0.026: not significant at 1%
    assert detect(m, votes("gpt-4o", "coding", 23, 7), TIERS) == []
    assert len(detect(m, votes("gpt-4o", "coding", 22, 8), TIERS)) == 1  # P = 0.008
    # models outside the catalog are ignored
    assert detect(m, votes("retired-model", "coding", 0, 50), TIERS) == []
    # one tenant alone cannot raise it, however many votes it sends
    assert detect(m, votes("gpt-4o", "coding", 0, 300, tenants=1), TIERS) == []
    assert len(detect(m, votes("gpt-4o", "coding", 0, 300, tenants=2), TIERS)) == 1


def test_usage_period_defaults_and_errors() -> None:
    today = date(2026, 11, 30)
    assert period(None, None, today) == (date(2026, 11, 1), today)
    assert period("2026-10-01", "2026-10-31", today) == (date(2026, 10, 1), date(2026, 10, 31))
    for start, end in [("2026-13-01", None), ("2026-11-20", "2026-11-01"), ("2024-01-01", "2026-01-01")]:
        with pytest.raises(InputError):
            period(start, end, today)


def test_usage_report_totals_by_day_and_model() -> None:
    items = [
        {"day": "2026-11-01", "model": "gpt-4o", "requests": 2, "cost_usd": 0.02, "baseline_cost_usd": 0.02},
        {
            "day": "2026-11-01",
            "model": "llama-3.1-8b",
            "requests": 3,
            "cache_hits": 1,
            "cost_usd": 0.001,
            "baseline_cost_usd": 0.03,
        },
        {"day": "2026-11-02", "model": "gpt-4o", "requests": 1, "cost_usd": 0.01, "baseline_cost_usd": 0.01},
    ]
    r = report(items, date(2026, 11, 1), date(2026, 11, 2))
    assert r["totals"]["requests"] == 6 and r["totals"]["cache_hits"] == 1
    assert r["totals"]["savings_usd"] == pytest.approx(0.029)
    assert [d["date"] for d in r["by_day"]] == ["2026-11-01", "2026-11-02"]
    assert {m["model"]: m["requests"] for m in r["by_model"]} == {"gpt-4o": 3, "llama-3.1-8b": 3}


def test_metric_points_add_counts_and_keep_latencies() -> None:
    telemetry.flush()
    telemetry.count("cache_errors")
    telemetry.count("cache_errors", 2)
    for v in (1.0, 2.0):
        telemetry.measure("OverheadMs", v, "Milliseconds")
    telemetry.measure("RoutedRequests", 1, "Count", model="gpt-4o")
    points = {(p.name, p.dimensions): p for p in telemetry.flush()}
    assert points[("CacheErrors", ())].values == (3,)
    assert points[("OverheadMs", ())].values == (1.0, 2.0)
    assert points[("RoutedRequests", (("model", "gpt-4o"),))].values == (1,)
    assert telemetry.flush() == []
