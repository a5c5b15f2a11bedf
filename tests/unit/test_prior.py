"""The benchmark-derived prior: cost tiers, the fit (scoring.update arithmetic, minimum
evidence, majority-task filter, logit recentring), loading it into the matrix, and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from switchyard.classifier.features import TASK_TYPES
from switchyard.learning.scoring import PRIOR_STRENGTH
from switchyard.routing import matrix
from switchyard.routing.matrix import HAND_SET_PRIOR, load_prior, prior_by_tier
from switchyard_tools.cli import main
from switchyard_tools.prior import Row, cost_tiers, fit, observations

TIERS = {"small-a": 1, "small-b": 1, "big": 3}


def logit(q: float) -> float:
    return math.log(q / (1 - q))


def rows() -> list[Row]:
    """40 coding prompts (small models right on 1/4 of the answers, big on all), 60 qa
    prompts (small right on 3/4), and 10 rows of the qa source the classifier called
    classification (misfires: must not count)."""
    out = [
        Row("bench:code", "coding", {"small-a": float(i % 4 == 0), "small-b": float(i % 4 == 0), "big": 1.0})
        for i in range(40)
    ]
    out += [
        Row("bench:mcq", "qa", {"small-a": float(i % 4 != 0), "small-b": float(i % 4 != 0), "big": 1.0})
        for i in range(60)
    ]
    out += [Row("bench:mcq", "classification", {"small-a": 0.0, "small-b": 0.0, "big": 0.0})] * 10
    return out


def test_cost_tiers_are_terciles() -> None:
    costs = {f"m{i}": float(i) for i in range(11)}
    t = cost_tiers(costs)
    assert [t[f"m{i}"] for i in range(11)] == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]
    assert cost_tiers({"b": 2.0, "a": 1.0, "c": 3.0}) == {"a": 1, "b": 2, "c": 3}


def test_observations_split_each_prompt_over_the_tiers_models() -> None:
    obs = observations(rows(), TIERS)
    assert {o.model for o in obs} == {"tier-1", "tier-3"}
    assert not any(o.task_type == "classification" for o in obs)  # misfires dropped
    tier1 = [o for o in obs if o.model == "tier-1" and o.task_type == "coding"]
    assert len(tier1) == 80 and sum(o.weight for o in tier1) == pytest.approx(40)


def test_fit_is_the_scoring_posterior_with_minimum_evidence_and_recentring() -> None:
    r = fit(rows(), TIERS, min_n=30)
    t1 = r["cells"]["1"]
    # the scoring.update posterior: hand-set value as 20 pseudo-votes, one vote per prompt
    h = HAND_SET_PRIOR[1]
    assert t1["coding"]["fitted"] == pytest.approx(
        (h["coding"] * PRIOR_STRENGTH + 10) / (PRIOR_STRENGTH + 40), abs=1e-4
    )
    assert t1["qa"]["fitted"] == pytest.approx(
        (h["qa"] * PRIOR_STRENGTH + 45) / (PRIOR_STRENGTH + 60), abs=1e-4
    )
    assert (t1["coding"]["n"], t1["qa"]["n"]) == (40.0, 60.0)
    assert t1["coding"]["derived"] and t1["qa"]["derived"]
    assert t1["coding"]["sources"] == {"bench:code": 40}
    # cells without evidence (and the unscored tier 2) keep the hand-set value
    for k in ("reasoning", "creative", "classification"):
        assert t1[k] == {**t1[k], "quality": h[k], "derived": False, "n": 0.0}
    assert all(c["quality"] == HAND_SET_PRIOR[2][k] for k, c in r["cells"]["2"].items())
    assert r["shift"]["2"] == 0.0
    # recentring: the derived cells keep the mean logit of the hand-set values they replace,
    # and the data's order (coding harder than qa for the small models)
    mean = (logit(t1["coding"]["quality"]) + logit(t1["qa"]["quality"])) / 2
    assert mean == pytest.approx((logit(h["coding"]) + logit(h["qa"])) / 2, abs=1e-3)
    assert t1["coding"]["quality"] < h["coding"] < h["qa"] < t1["qa"]["quality"]
    # tier 3 answered everything right: its level stays the hand-set 0.90 on average
    t3 = r["cells"]["3"]
    assert (logit(t3["coding"]["quality"]) + logit(t3["qa"]["quality"])) / 2 == pytest.approx(
        logit(0.9), abs=1e-3
    )


def test_too_little_evidence_keeps_the_hand_set_value() -> None:
    r = fit(rows(), TIERS, min_n=50)
    t1 = r["cells"]["1"]
    assert not t1["coding"]["derived"] and t1["coding"]["quality"] == HAND_SET_PRIOR[1]["coding"]
    assert t1["qa"]["derived"]
    # one derived cell in the tier: recentring puts it back on its hand-set value
    assert t1["qa"]["quality"] == pytest.approx(HAND_SET_PRIOR[1]["qa"], abs=1e-3)


def test_load_prior_overlays_valid_cells_and_falls_back(tmp_path: Path) -> None:
    assert load_prior(tmp_path / "missing.json") == HAND_SET_PRIOR
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert load_prior(bad) == HAND_SET_PRIOR
    part = tmp_path / "part.json"
    part.write_text(
        json.dumps(
            {
                "cells": {
                    "1": {"qa": {"quality": 0.61}, "coding": {"quality": 1.5}, "nope": {"quality": 0.1}},
                    "2": {"rewrite": {"quality": True}},
                    "9": {"qa": {"quality": 0.1}},
                }
            }
        )
    )
    table = load_prior(part)
    assert table[1]["qa"] == 0.61
    assert table[1]["coding"] == HAND_SET_PRIOR[1]["coding"]
    assert table[2] == HAND_SET_PRIOR[2] and set(table) == {1, 2, 3}


def test_shipped_prior_is_the_one_routing_uses() -> None:
    shipped = json.loads(matrix.PRIOR_FILE.read_text())
    assert shipped["generated_by"].startswith("switchyard prior fit ")
    assert shipped["holdout_share"] > 0  # fitted on the train part of the bench split only
    for tier, row in shipped["cells"].items():
        assert set(row) == set(TASK_TYPES)
        for task, cell in row.items():
            assert prior_by_tier()[int(tier)][task] == cell["quality"]
            assert cell["derived"] == (cell["n"] >= shipped["min_n"])
            if not cell["derived"]:
                assert cell["quality"] == HAND_SET_PRIOR[int(tier)][task]


def test_cli_fits_and_writes_the_prior(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "routing.jsonl"
    prompts = [f"Write a Python function that returns the {i}th Fibonacci number." for i in range(8)]
    with data.open("w") as fh:
        for i, p in enumerate(prompts):
            row = {
                "id": str(i),
                "source": "t:code",
                "prompt": p,
                "scores": {"cheap": float(i % 2), "dear": 1.0, "free": 0.0},
                "costs_usd": {"cheap": 0.001, "dear": 0.01},
            }
            fh.write(json.dumps(row) + "\n")
    out = tmp_path / "prior.json"
    rc = main(
        ["prior", "fit", str(data), "--out", str(out), "--min-n", "2", "--holdout-share", "0", "--json"]
    )
    assert rc == 0
    printed = json.loads(capsys.readouterr().out)
    written = json.loads(out.read_text())
    assert printed == written
    assert written["tiers"] == {"cheap": 1, "dear": 2} and written["skipped_models"] == ["free"]
    task = written["source_tasks"]["t:code"]
    assert (
        written["cells"]["1"][task]["n"] == 8.0
        and written["cells"]["2"][task]["derived"]
        and written["cells"]["1"][task]["derived"]
    )
    assert "--min-n 2" in written["generated_by"]
    assert load_prior(out)[1][task] == written["cells"]["1"][task]["quality"]
    # no costs and no --uncosted-tier: nothing to tier
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"prompt": "hi", "scores": {"a": 1.0}}) + "\n")
    assert main(["prior", "fit", str(plain), "--out", str(out), "--holdout-share", "0"]) == 2
