from __future__ import annotations

import math

import numpy as np

from switchyard import metrics


def test_accuracy_f1_confusion() -> None:
    y = ["a", "a", "b", "c"]
    p = ["a", "b", "b", "c"]
    assert metrics.accuracy(y, p) == 0.75
    assert metrics.confusion(y, p, ["a", "b", "c"]) == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    # F1: a = 2/3, b = 2/3, c = 1
    assert math.isclose(metrics.macro_f1(y, p, ["a", "b", "c"]), (2 / 3 + 2 / 3 + 1) / 3)


def test_spearman_with_ties_and_degenerate_input() -> None:
    assert metrics.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert metrics.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    r = metrics.spearman([1, 2, 2, 3], [1, 2, 3, 4])
    assert r is not None and 0.9 < r < 1.0
    assert metrics.spearman([1, 1, 1], [1, 2, 3]) is None


def test_perfect_router_beats_random() -> None:
    rng = np.random.default_rng(0)
    weak = rng.integers(0, 2, 1000).astype(float)
    strong = np.maximum(weak, rng.integers(0, 2, 1000))
    oracle = strong - weak  # route exactly the prompts the weak model gets wrong
    good = metrics.two_model_summary(oracle, weak, strong)
    rand = metrics.two_model_summary(rng.random(1000), weak, strong)
    assert good["cpt50"] < rand["cpt50"]
    assert good["apgr"] > rand["apgr"]
    assert 0.0 <= good["cpt50"] <= good["cpt80"] <= 1.0
