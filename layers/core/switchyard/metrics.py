"""Evaluation metrics in numpy (no scipy at run time): classification scores, rank
correlation and the RouteLLM routing curves. Pure functions of their inputs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    if not y_true:
        return float("nan")
    return sum(a == b for a, b in zip(y_true, y_pred, strict=True)) / len(y_true)


def confusion(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows are true labels, columns predicted labels, in the order of ``labels``."""
    index = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            m[index[t]][index[p]] += 1
    return m


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> float:
    """Mean F1 over the labels that occur in y_true or y_pred (as scikit-learn does)."""
    present = [lab for lab in labels if lab in set(y_true) | set(y_pred)]
    if not present:
        return float("nan")
    scores = []
    for lab in present:
        tp = sum(t == lab and p == lab for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != lab and p == lab for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == lab and p != lab for t, p in zip(y_true, y_pred, strict=True))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


def _ranks(x: NDArray[np.float64]) -> NDArray[np.float64]:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    # average the ranks of ties
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse], dtype=np.float64)


def spearman(a: ArrayLike, b: ArrayLike) -> float | None:
    """Spearman rank correlation with tie-averaged ranks; None when undefined."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if len(x) < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    return float(np.corrcoef(_ranks(x), _ranks(y))[0, 1])


def routing_curve(
    score: ArrayLike, weak: ArrayLike, strong: ArrayLike, steps: int = 101
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Quality when the top-k highest-``score`` prompts go to the strong model.

    Returns (share of strong calls, mean quality) at ``steps`` evenly spaced shares.
    """
    s = np.asarray(score, dtype=np.float64)
    w = np.asarray(weak, dtype=np.float64)
    st = np.asarray(strong, dtype=np.float64)
    n = len(s)
    order = np.argsort(-s, kind="mergesort")
    gain = np.concatenate([[0.0], np.cumsum((st - w)[order])])
    shares = np.linspace(0.0, 1.0, steps)
    ks = np.round(shares * n).astype(int)
    quality = (w.sum() + gain[ks]) / n
    return shares, quality


def pgr(quality: NDArray[np.float64], q_weak: float, q_strong: float) -> NDArray[np.float64]:
    """Performance gap recovered: 0 at the weak model's quality, 1 at the strong model's."""
    gap = q_strong - q_weak
    if gap <= 0:
        return np.ones_like(quality)
    return (quality - q_weak) / gap


def call_share_at(shares: NDArray[np.float64], recovered: NDArray[np.float64], target: float) -> float:
    """Smallest share of strong-model calls whose recovered fraction reaches ``target``."""
    hit = np.nonzero(recovered >= target - 1e-12)[0]
    return float(shares[hit[0]]) if len(hit) else 1.0


def two_model_summary(score: ArrayLike, weak: ArrayLike, strong: ArrayLike) -> dict[str, float]:
    """RouteLLM's metrics: CPT(50%), CPT(80%), APGR, and strong calls for 95% of strong quality."""
    w = np.asarray(weak, dtype=np.float64)
    st = np.asarray(strong, dtype=np.float64)
    shares, quality = routing_curve(score, w, st)
    q_weak, q_strong = float(w.mean()), float(st.mean())
    rec = pgr(quality, q_weak, q_strong)
    at95 = call_share_at(shares, quality / q_strong if q_strong > 0 else np.ones_like(quality), 0.95)
    return {
        "cpt50": call_share_at(shares, rec, 0.5),
        "cpt80": call_share_at(shares, rec, 0.8),
        "apgr": float(np.trapezoid(rec, shares)),
        "strong_call_pct_at_95": 100.0 * at95,
        "weak_quality": q_weak,
        "strong_quality": q_strong,
    }
