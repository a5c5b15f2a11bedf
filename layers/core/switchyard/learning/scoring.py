"""One scoring function for the scheduled rescore job and for offline fitting from routing
data files: each cell of the confidence matrix is the mean of a Beta posterior.

A cell starts at its prior quality q0 backed by ``PRIOR_STRENGTH`` pseudo-votes. Scores
s ∈ [0, 1] (thumbs up = 1, down = 0, judge scores as they are) add to it:

    quality = (q_prev · (PRIOR_STRENGTH + n_prev) + Σ s) / (PRIOR_STRENGTH + n_prev + n_new)
    n       = n_prev + n_new

so ten votes move a fresh cell by at most 10/30 of the way, and barely move a cell that a
thousand benchmark answers set. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from switchyard.routing.matrix import Cell, ConfidenceMatrix, Evidence

PRIOR_STRENGTH = 20.0


@dataclass(frozen=True)
class Observation:
    model: str
    task_type: str
    score: float  # in [0, 1]
    weight: float = 1.0
    source: str = ""  # the tenant whose vote it is ("" for benchmark data)


@dataclass(frozen=True)
class CellChange:
    model: str
    task_type: str
    before: float
    after: float
    n_before: float
    n_after: float
    votes: float


def aggregate(observations: Iterable[Observation]) -> dict[tuple[str, str], tuple[float, float]]:
    """(model, task) → (Σ weight·score, Σ weight)."""
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for o in observations:
        s = min(max(o.score, 0.0), 1.0)
        a = acc[(o.model, o.task_type)]
        a[0] += o.weight * s
        a[1] += o.weight
    return {k: (v[0], v[1]) for k, v in acc.items()}


def add_evidence(
    own: Mapping[str, Mapping[str, Evidence]], observations: Iterable[Observation], tiers: Mapping[str, int]
) -> dict[str, dict[str, Evidence]]:
    """One tenant's votes (Σ score, count per cell) after the observations; models not in
    the catalog are ignored, a cell whose count falls to 0 is dropped."""
    cells: dict[str, dict[str, Evidence]] = {m: dict(row) for m, row in own.items()}
    for (model, task), (total, weight) in sorted(aggregate(observations).items()):
        if model not in tiers:
            continue
        old = cells.get(model, {}).get(task, Evidence(0.0, 0.0))
        new = Evidence(round(old.total + total, 6), round(max(old.n + weight, 0.0), 6))
        row = cells.setdefault(model, {})
        if new.n <= 0:
            row.pop(task, None)
        else:
            row[task] = new
    return {m: row for m, row in cells.items() if row}


def update(
    matrix: ConfidenceMatrix,
    observations: Iterable[Observation],
    tiers: Mapping[str, int],
    version: str,
    prior_strength: float = PRIOR_STRENGTH,
) -> tuple[ConfidenceMatrix, list[CellChange]]:
    """The matrix after the observations, and what changed. Models not in ``tiers`` (not in
    the catalog) are ignored."""
    cells: dict[str, dict[str, Cell]] = {m: dict(row) for m, row in matrix.cells.items()}
    changes: list[CellChange] = []
    for (model, task), (total, weight) in sorted(aggregate(observations).items()):
        # weight 0 with a total: only changed votes (the old score taken back, the new added)
        if model not in tiers or (weight == 0 and total == 0):
            continue
        q_prev = matrix.quality(model, tiers[model], task)
        old = matrix.cells.get(model, {}).get(task)
        n_prev = old.n if old is not None else 0.0
        strength = prior_strength + n_prev
        if strength + weight <= 0:
            continue
        q = (q_prev * strength + total) / (strength + weight)
        q = min(max(q, 0.0), 1.0)
        cells.setdefault(model, {})[task] = Cell(round(q, 6), max(n_prev + weight, 0.0))
        changes.append(CellChange(model, task, q_prev, q, n_prev, n_prev + weight, weight))
    return ConfidenceMatrix(cells, version), changes
