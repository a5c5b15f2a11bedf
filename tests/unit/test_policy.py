"""The routing decision as a pure function."""

from __future__ import annotations

import pytest

from switchyard.catalog import load_catalog
from switchyard.errors import NoRouteError
from switchyard.routing import PRIOR, Cell, ConfidenceMatrix, RouteInput, decide, min_tier

CATALOG = load_catalog()


def route(**kw: object):
    args: dict[str, object] = {"task_type": "qa", "complexity": 1.0, "input_tokens": 50}
    args.update(kw)
    return decide(RouteInput(**args), CATALOG, PRIOR, "gpt-4o")  # type: ignore[arg-type]


def test_easy_qa_goes_to_the_cheapest_model() -> None:
    d = route()
    assert d.model == "llama-3.1-8b"
    assert d.estimated_cost_usd < d.baseline_cost_usd
    assert d.fallbacks and d.model not in d.fallbacks


def test_hard_prompts_go_up_a_tier() -> None:
    assert CATALOG.by_id[route(complexity=9.5).model].tier == 3
    assert CATALOG.by_id[route(task_type="coding", complexity=4.0).model].tier == 2


def test_prior_escalates_cheap_model_on_coding() -> None:
    d = route(task_type="coding", complexity=0.5)
    assert d.min_tier == 1
    assert d.model == "gpt-4o-mini"
    assert any("escalated past llama-3.1-8b" in r for r in d.reasons)


def test_learned_matrix_escalates_and_de_escalates() -> None:
    bad = ConfidenceMatrix({"llama-3.1-8b": {"qa": Cell(0.4, 500)}}, "v2")
    d = decide(RouteInput("qa", 1.0, 50), CATALOG, bad, "gpt-4o")
    assert d.model == "llama-3.1-8b-bedrock"  # the other tier-1 host of the model still clears the bar
    assert any("escalated past llama-3.1-8b: learned quality 0.40" in r for r in d.reasons)
    both = ConfidenceMatrix(
        {m: {"qa": Cell(0.4, 500)} for m in ("llama-3.1-8b", "llama-3.1-8b-bedrock")}, "v2"
    )
    assert decide(RouteInput("qa", 1.0, 50), CATALOG, both, "gpt-4o").model == "gpt-4o-mini"
    good = ConfidenceMatrix({"llama-3.1-8b": {"coding": Cell(0.9, 500)}}, "v3")
    assert decide(RouteInput("coding", 0.5, 50), CATALOG, good, "gpt-4o").model == "llama-3.1-8b"


def test_modes() -> None:
    assert route(mode="cost", complexity=3.0).model == "llama-3.1-8b"
    assert CATALOG.by_id[route(mode="quality").model].tier == 3
    # speed: fastest that clears the bar at the minimum tier
    assert route(mode="speed").model == "llama-3.1-8b"
    assert route(mode="speed", complexity=9.0).model == "gpt-4o"  # faster than claude in the catalog


def test_eligibility_filters() -> None:
    d = route(needs=frozenset({"tools"}))
    assert "tools" in CATALOG.by_id[d.model].capabilities
    assert route(allowed_models=frozenset({"gpt-4o"})).model == "gpt-4o"
    assert CATALOG.by_id[route(input_tokens=150_000).model].context_window >= 150_000
    assert route(available_providers=frozenset({"openai"})).model == "gpt-4o-mini"
    with pytest.raises(NoRouteError):
        route(allowed_models=frozenset({"nope"}))


def test_min_tier_monotone_in_complexity() -> None:
    for task in ("coding", "qa", "rewrite"):
        tiers = [min_tier(task, c / 2, "auto") for c in range(21)]
        assert tiers == sorted(tiers) and tiers[0] == 1 and tiers[-1] == 3


def test_max_tokens_caps_cost_estimate() -> None:
    assert route(max_output_tokens=10).estimated_cost_usd < route().estimated_cost_usd
