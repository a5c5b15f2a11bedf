"""Quality-regression detection for the rescore job. Pure: no I/O, no clock.

A cell (model × task type) has *regressed significantly* in a rescore window when all hold:

- at least ``min_votes`` votes arrived for it in the window (a handful proves nothing),
  from at least ``min_sources`` tenants (one tenant's votes alone never raise the alarm on
  the shared matrix: that tenant may be mistaken, or hostile);
- their mean is at least ``min_drop`` below the cell's quality before the window
  (a practically relevant drop, not a rounding wobble);
- a one-sided exact binomial test rejects "the cell still answers well at its old rate":
  with k = round(Σ scores) good answers out of n votes and p0 the old quality,
  P(X ≤ k | n, p0) < ``alpha`` (default 0.01).

The posterior itself moves slowly (``scoring.PRIOR_STRENGTH`` plus the cell's evidence), so
routing is protected from noise; this test looks at the window alone, so that a model that
suddenly got worse is reported at once, even while its cell is still above the bar.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from switchyard.learning.scoring import Observation, aggregate
from switchyard.routing.matrix import ConfidenceMatrix

ALPHA = 0.01
MIN_VOTES = 10
MIN_DROP = 0.10
MIN_SOURCES = 2  # distinct tenants behind a regression of the shared matrix


@dataclass(frozen=True)
class Regression:
    model: str
    task_type: str
    before: float
    observed: float
    votes: float
    p_value: float

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "task_type": self.task_type,
            "before": round(self.before, 4),
            "observed": round(self.observed, 4),
            "votes": self.votes,
            "p_value": float(f"{self.p_value:.3g}"),
        }


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), summed in log space (exact, no scipy)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
        for i in range(k + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def detect(
    before: ConfidenceMatrix,
    observations: Iterable[Observation],
    tiers: Mapping[str, int],
    alpha: float = ALPHA,
    min_votes: float = MIN_VOTES,
    min_drop: float = MIN_DROP,
    min_sources: int = MIN_SOURCES,
) -> list[Regression]:
    obs = list(observations)
    sources: dict[tuple[str, str], set[str]] = {}
    for o in obs:
        if o.weight > 0:
            sources.setdefault((o.model, o.task_type), set()).add(o.source)
    out: list[Regression] = []
    for (model, task), (total, weight) in sorted(aggregate(obs).items()):
        if model not in tiers or weight < min_votes or len(sources.get((model, task), ())) < min_sources:
            continue
        p0 = before.quality(model, tiers[model], task)
        observed = total / weight
        if p0 - observed < min_drop:
            continue
        n = round(weight)
        p_value = binom_cdf(round(total), n, p0)
        if p_value < alpha:
            out.append(Regression(model, task, p0, observed, weight, p_value))
    return out
