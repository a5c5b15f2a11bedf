"""The load benchmark's pure parts: the request plan and the run summary."""

from __future__ import annotations

import pytest

from switchyard_tools.bench.load import TEMPLATES, Outcome, build_plan, summarize


def test_plan_is_deterministic_and_covers_every_task_type() -> None:
    plan = build_plan(400, repeat_share=0.2, stream_share=0.1, seed=5)
    assert plan == build_plan(400, repeat_share=0.2, stream_share=0.1, seed=5)
    assert plan != build_plan(400, repeat_share=0.2, stream_share=0.1, seed=6)
    assert len(plan) == 400
    assert {p.task for p in plan} == set(TEMPLATES)


def test_plan_repeats_earlier_prompts_at_the_share() -> None:
    plan = build_plan(2000, repeat_share=0.2, stream_share=0.0, seed=0)
    seen: set[str] = set()
    for p in plan:
        assert (p.prompt in seen) == p.repeat  # a repeat copies an earlier prompt; others are new
        seen.add(p.prompt)
    repeats = sum(p.repeat for p in plan)
    assert 0.17 * 2000 < repeats < 0.23 * 2000
    assert not any(p.stream for p in plan)


def test_plan_without_repeats_has_distinct_prompts_and_streams_at_the_share() -> None:
    plan = build_plan(1000, repeat_share=0.0, stream_share=0.5, seed=1)
    assert len({p.prompt for p in plan}) == 1000
    assert 400 < sum(p.stream for p in plan) < 600
    assert all(p.stream for p in build_plan(10, 0.0, 1.0))


def test_plan_rejects_shares_outside_0_1() -> None:
    with pytest.raises(ValueError):
        build_plan(10, repeat_share=1.5, stream_share=0.0)


def test_summary_counts_errors_by_status_and_measures_latency() -> None:
    outcomes = [Outcome("200", s / 1000, "miss", "gpt-4o-mini") for s in range(1, 98)]
    outcomes += [Outcome("200", 0.002, "hit", "gpt-4o-mini")]
    outcomes += [Outcome("503", 0.5, None, None, "down"), Outcome("ReadError", 0.9, None, None, "reset")]
    r = summarize(outcomes, wall_s=2.0)
    assert r["requests"] == 100 and r["ok"] == 98 and r["errors"] == 2
    assert r["errors_by_status"] == {"503": 1, "ReadError": 1}
    assert r["throughput_rps"] == 50.0
    assert r["max_ms"] == 900.0
    assert r["cache_hits"] == 1
    assert r["models"] == {"gpt-4o-mini": 98}
    assert r["p50_ms"] is not None and r["p50_ms"] <= r["p90_ms"] <= r["p99_ms"] <= r["max_ms"]
    assert r["error_samples"] == ["503: down", "ReadError: reset"]


def test_summary_of_all_successes_has_no_errors() -> None:
    r = summarize([Outcome("200", 0.01, "miss", "m")] * 3, wall_s=1.0)
    assert r["errors"] == 0 and r["errors_by_status"] == {} and r["p50_ms"] == 10.0
