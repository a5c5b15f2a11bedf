"""The confidence matrix: learned quality in [0, 1] per (model, task type).

Cells not learned yet fall back to the prior, a table by model tier × task type documented
in docs/ROUTING.md ("Prior"): ``prior.json`` next to this module, written by
``switchyard prior fit`` from routing benchmark files; cells the benchmarks do not cover, and
the whole table if the file is missing or malformed, keep the hand-set ``HAND_SET_PRIOR``.
The learning loop replaces prior cells with posteriors fitted from feedback. The learned
matrix is stored by ``stores.dynamodb.MatrixStore`` and refreshed per container by
``service.matrix_cache.MatrixCache``; ``prior.json`` is read on first use, not at import.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from switchyard.classifier.features import TASK_TYPES

# Hand-set prior quality by tier and task type: what share of answers we expect users to
# accept. The starting point of the fitted prior, and the fallback for cells it cannot set.
HAND_SET_PRIOR: dict[int, dict[str, float]] = {
    1: {
        "coding": 0.55,
        "reasoning": 0.50,
        "creative": 0.72,
        "qa": 0.72,
        "summarization": 0.78,
        "extraction": 0.75,
        "classification": 0.80,
        "rewrite": 0.78,
    },
    2: {
        "coding": 0.78,
        "reasoning": 0.74,
        "creative": 0.82,
        "qa": 0.82,
        "summarization": 0.86,
        "extraction": 0.85,
        "classification": 0.87,
        "rewrite": 0.86,
    },
    3: {t: 0.90 for t in TASK_TYPES},
}
PRIOR_FILE = Path(__file__).with_name("prior.json")


def load_prior(path: Path = PRIOR_FILE) -> dict[int, dict[str, float]]:
    """The prior table: ``HAND_SET_PRIOR`` with every valid cell of the fitted ``prior.json``
    (``cells[tier][task].quality``) laid over it. A missing or unreadable file, or an invalid
    cell, leaves the hand-set value."""
    table = {t: dict(row) for t, row in HAND_SET_PRIOR.items()}
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        items = cells.items()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return table
    for tier, row in items:
        if not (str(tier).isdigit() and int(tier) in table and isinstance(row, dict)):
            continue
        for task, cell in row.items():
            q = cell.get("quality") if isinstance(cell, dict) else None
            if isinstance(q, bool) or not isinstance(q, int | float) or task not in TASK_TYPES:
                continue
            if math.isfinite(q) and 0.0 <= q <= 1.0:
                table[int(tier)][task] = float(q)
    return table


@lru_cache(maxsize=1)
def prior_by_tier() -> dict[int, dict[str, float]]:
    """Prior quality by tier and task type, as routing uses it (the shipped file, read once)."""
    return load_prior()


# Pseudo-votes behind the shared value when a tenant's own votes are laid over it: a tenant's
# own experience moves its routing as fast as a fresh cell moves (learning.scoring).
TENANT_PRIOR_STRENGTH = 20.0


@dataclass(frozen=True)
class Cell:
    quality: float
    n: float = 0.0  # evidence behind it (0 for the prior)


@dataclass(frozen=True)
class Evidence:
    """A tenant's own votes on a cell: Σ score and their count."""

    total: float
    n: float


@dataclass(frozen=True)
class ConfidenceMatrix:
    """The shared matrix (learned from trusted tenants' feedback) and, for one tenant, its own
    votes laid over it: a tenant's feedback changes that tenant's routing only."""

    cells: Mapping[str, Mapping[str, Cell]] = field(default_factory=dict)
    version: str = "prior"
    own: Mapping[str, Mapping[str, Evidence]] = field(default_factory=dict)  # one tenant's votes

    def shared_quality(self, model_id: str, tier: int, task_type: str) -> float:
        cell = self.cells.get(model_id, {}).get(task_type)
        if cell is not None:
            return cell.quality
        table = prior_by_tier()
        return table.get(tier, table[2]).get(task_type, 0.7)

    def quality(self, model_id: str, tier: int, task_type: str) -> float:
        q = self.shared_quality(model_id, tier, task_type)
        ev = self.own.get(model_id, {}).get(task_type)
        if ev is None or TENANT_PRIOR_STRENGTH + ev.n <= 0:
            return q
        mixed = (q * TENANT_PRIOR_STRENGTH + ev.total) / (TENANT_PRIOR_STRENGTH + ev.n)
        return min(max(mixed, 0.0), 1.0)

    def is_prior(self, model_id: str, task_type: str) -> bool:
        return task_type not in self.cells.get(model_id, {}) and task_type not in self.own.get(model_id, {})

    def for_tenant(self, own: Mapping[str, Mapping[str, Evidence]]) -> ConfidenceMatrix:
        """This matrix with one tenant's own votes over it."""
        return ConfidenceMatrix(self.cells, self.version, own)

    def to_item(self) -> dict[str, dict[str, dict[str, float]]]:
        return {
            m: {t: {"quality": c.quality, "n": c.n} for t, c in row.items()} for m, row in self.cells.items()
        }

    @classmethod
    def from_item(
        cls, cells: Mapping[str, Mapping[str, Mapping[str, object]]], version: str
    ) -> ConfidenceMatrix:
        parsed = {
            str(m): {
                str(t): Cell(float(str(c["quality"])), float(str(c.get("n", 0))))
                for t, c in row.items()
                if t in TASK_TYPES
            }
            for m, row in cells.items()
        }
        return cls(parsed, version)


def evidence_from_item(
    cells: Mapping[str, Mapping[str, Mapping[str, object]]],
) -> dict[str, dict[str, Evidence]]:
    """A tenant's stored votes (``{model: {task: {"total", "n"}}}``)."""
    return {
        str(m): {
            str(t): Evidence(float(str(e.get("total", 0))), float(str(e.get("n", 0))))
            for t, e in row.items()
            if t in TASK_TYPES
        }
        for m, row in cells.items()
    }


def evidence_to_item(own: Mapping[str, Mapping[str, Evidence]]) -> dict[str, dict[str, dict[str, float]]]:
    return {m: {t: {"total": e.total, "n": e.n} for t, e in row.items()} for m, row in own.items()}


PRIOR = ConfidenceMatrix()
