"""``switchyard prior fit``: the confidence matrix's prior (tier × task type) fitted from
routing benchmark files, with the rescore job's scoring function.

Method (docs/ROUTING.md, "Prior"):

1. Models are put in tiers 1–3 by cost terciles of their mean cost per prompt (files with
   ``costs_usd``); models of files without costs get ``uncosted_tier`` or are skipped.
2. Each prompt's task type is the shipped classifier's. A row counts only for its source's
   majority task type (a benchmark's rows the classifier files elsewhere are misfires on
   benchmark formatting, e.g. ARC science questions as ``classification``).
3. Every (model, prompt, score) is an ``Observation`` for the pseudo-model ``tier-T`` with
   weight 1/k (k = that row's models in tier T), so a cell's n counts prompts; the cells are
   ``scoring.update`` posteriors that start from the hand-set prior (20 pseudo-votes).
4. Cells with n < ``min_n`` keep the hand-set value. Benchmark exact-match accuracy of older
   models is not the share of answers users accept, so only the relative difficulty of the
   tasks within a tier is taken from the data: the fitted cells of a tier are shifted, in
   logit space, so that their mean logit equals the mean logit of the hand-set values they
   replace. The tier's overall level, and so what the routing bars mean, stays hand-set.

``fit`` is pure; ``run`` is the I/O edge (files, split, classifier, output file).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchyard.classifier.features import TASK_TYPES
from switchyard.errors import InputError
from switchyard.learning.scoring import PRIOR_STRENGTH, Observation, update
from switchyard.routing.matrix import HAND_SET_PRIOR, Cell, ConfidenceMatrix

MIN_N = 30.0  # prompts behind a cell before it replaces the hand-set value
BATCH = 64


@dataclass(frozen=True)
class Row:
    """One routing-file row after classification."""

    source: str
    task_type: str
    scores: Mapping[str, float]


def tier_key(tier: int) -> str:
    return f"tier-{tier}"


def cost_tiers(mean_cost: Mapping[str, float]) -> dict[str, int]:
    """Tiers 1–3 by cost terciles (the bench's rule): cheapest third tier 1."""
    order = sorted(mean_cost, key=lambda m: (mean_cost[m], m))
    return {m: 1 + (3 * i) // len(order) for i, m in enumerate(order)}


def majority_tasks(rows: Iterable[Row]) -> dict[str, str]:
    """Each source's most common classified task type (ties: the first in TASK_TYPES)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        counts[r.source][r.task_type] += 1
    return {
        s: max(c, key=lambda t: (c[t], -TASK_TYPES.index(t) if t in TASK_TYPES else -99))
        for s, c in counts.items()
    }


def observations(rows: Sequence[Row], tiers: Mapping[str, int]) -> list[Observation]:
    """Per kept row and tier, one observation per tiered model, weight 1/k."""
    major = majority_tasks(rows)
    obs: list[Observation] = []
    for r in rows:
        if r.task_type != major[r.source] or r.task_type not in TASK_TYPES:
            continue
        by_tier: dict[int, list[float]] = defaultdict(list)
        for m, s in sorted(r.scores.items()):
            if m in tiers:
                by_tier[tiers[m]].append(float(s))
        for t, scores in sorted(by_tier.items()):
            obs.extend(Observation(tier_key(t), r.task_type, s, 1.0 / len(scores)) for s in scores)
    return obs


def _logit(q: float) -> float:
    q = min(max(q, 1e-4), 1 - 1e-4)
    return math.log(q / (1 - q))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def fit(
    rows: Sequence[Row],
    tiers: Mapping[str, int],
    min_n: float = MIN_N,
    hand_set: Mapping[int, Mapping[str, float]] = HAND_SET_PRIOR,
    prior_strength: float = PRIOR_STRENGTH,
) -> dict[str, Any]:
    """``{"cells": {tier: {task: {quality, n, derived, fitted, hand_set, sources}}}, "shift":
    {tier: logit shift}}`` (tiers as strings, JSON-ready)."""
    start = ConfidenceMatrix(
        {tier_key(t): {k: Cell(q, 0.0) for k, q in row.items()} for t, row in hand_set.items()},
        "hand-set",
    )
    obs = observations(rows, tiers)
    fitted, _ = update(start, obs, {tier_key(t): t for t in hand_set}, "fitted", prior_strength)
    sources: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    major = majority_tasks(rows)
    for r in rows:
        if r.task_type == major[r.source]:
            for t in sorted({tiers[m] for m in r.scores if m in tiers}):
                sources[(tier_key(t), r.task_type)][r.source] += 1

    cells: dict[str, dict[str, dict[str, Any]]] = {}
    shifts: dict[str, float] = {}
    for t, row in sorted(hand_set.items()):
        learned = fitted.cells.get(tier_key(t), {})
        derived = [k for k in TASK_TYPES if k in row and learned[k].n >= min_n]
        shift = (
            sum(_logit(row[k]) - _logit(learned[k].quality) for k in derived) / len(derived)
            if derived
            else 0.0
        )
        shifts[str(t)] = round(shift, 6)
        out: dict[str, dict[str, Any]] = {}
        for k in TASK_TYPES:
            if k not in row:
                continue
            c = learned[k]
            is_derived = k in derived
            out[k] = {
                "quality": round(_sigmoid(_logit(c.quality) + shift), 4) if is_derived else row[k],
                "n": round(c.n, 3),
                "derived": is_derived,
                "fitted": round(c.quality, 4),
                "hand_set": row[k],
                "sources": dict(sorted(sources[(tier_key(t), k)].items())),
            }
        cells[str(t)] = out
    return {"cells": cells, "shift": shifts}


def run(
    paths: Sequence[Path],
    out: Path | None,
    command: str,
    min_n: float = MIN_N,
    holdout_share: float = 0.3,
    uncosted_tier: int | None = None,
    exclude_sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Read, split (train part only), classify, fit; write the prior JSON to ``out``."""
    from switchyard.classifier import classify_batch
    from switchyard.datasets import read_jsonl, split_by_id

    if not 0.0 <= holdout_share < 1.0:
        raise InputError("--holdout-share must be in [0, 1)")
    raw: list[dict[str, Any]] = []
    costs: dict[str, list[float]] = defaultdict(list)
    uncosted: set[str] = set()
    for path in paths:
        rows = [r for r in read_jsonl(path) if isinstance(r.get("scores"), dict) and r.get("prompt")]
        for r in rows:
            r["source"] = str(r.get("source") or path.name)
        rows = [r for r in rows if not any(r["source"].startswith(x) for x in exclude_sources)]
        if holdout_share > 0:
            rows, _ = split_by_id(rows, holdout_share)
        for r in rows:
            c = r.get("costs_usd")
            priced: dict[str, Any] = c if isinstance(c, dict) else {}
            for m in r["scores"]:
                if m in priced:
                    costs[m].append(float(priced[m]))
                else:
                    uncosted.add(m)
        raw.extend(rows)
    if not raw:
        raise InputError("no row with a prompt and 'scores' in the files (after exclusions)")
    tiers = cost_tiers({m: sum(v) / len(v) for m, v in costs.items()}) if costs else {}
    skipped = sorted(m for m in uncosted if m not in tiers)
    if uncosted_tier is not None:
        tiers.update({m: uncosted_tier for m in skipped})
        skipped = []
    if not tiers:
        raise InputError("no model could be tiered: no 'costs_usd' in the files and no --uncosted-tier")
    tasks: list[str] = []
    for i in range(0, len(raw), BATCH):
        tasks.extend(c.task_type for c in classify_batch([str(r["prompt"]) for r in raw[i : i + BATCH]]))
    rows_ = [
        Row(r["source"], t, {m: float(s) for m, s in r["scores"].items() if s is not None})
        for r, t in zip(raw, tasks, strict=True)
    ]
    fitted = fit(rows_, tiers, min_n)
    major = majority_tasks(rows_)
    result = {
        "source": [str(p) for p in paths],
        "generated_by": command,
        "min_n": min_n,
        "holdout_share": holdout_share,
        "excluded_sources": list(exclude_sources),
        "uncosted_tier": uncosted_tier,
        "prior_strength": PRIOR_STRENGTH,
        "method": (
            "scoring.update posterior per tier x task (hand-set prior, 20 pseudo-votes; each prompt one "
            "vote split over the tier's models), rows counted only for their source's majority task; "
            "cells with n >= min_n prompts are derived and shifted in logit space so each tier keeps "
            "the mean logit of the hand-set values they replace; other cells keep the hand-set value"
        ),
        "rows": len(rows_),
        "rows_counted": sum(r.task_type == major[r.source] for r in rows_),
        "source_tasks": dict(sorted(major.items())),
        "tiers": dict(sorted(tiers.items(), key=lambda kv: (kv[1], kv[0]))),
        "skipped_models": skipped,
        **fitted,
    }
    if out is not None:
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def render(r: dict[str, Any]) -> str:
    lines = [
        f"rows: {r['rows']} ({r['rows_counted']} counted)  min n: {r['min_n']:g}  tiers: "
        + ", ".join(f"{m}={t}" for m, t in r["tiers"].items()),
        f"{'tier':>4} {'task':>15} {'quality':>8} {'hand-set':>8} {'fitted':>8} {'n':>8}  derived",
    ]
    for t, row in r["cells"].items():
        for k, c in row.items():
            lines.append(
                f"{t:>4} {k:>15} {c['quality']:>8.3f} {c['hand_set']:>8.3f} {c['fitted']:>8.3f} "
                f"{c['n']:>8.1f}  {'yes' if c['derived'] else 'no (hand-set)'}"
            )
    if r["skipped_models"]:
        lines.append("skipped (no costs, no --uncosted-tier): " + ", ".join(r["skipped_models"]))
    return "\n".join(lines)
