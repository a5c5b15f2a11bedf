"""``switchyard bench routing FILE --strong M --weak M``: the RouteLLM two-model benchmark
on any routing JSONL file (``{"prompt", "scores": {model: score}}``). The router's
complexity ranks the prompts; sweeping the threshold trades strong-model calls for
quality. Reports CPT(50%), CPT(80%), APGR, the share of strong calls needed for 95% of
the strong model's quality, and the same for a random router (mean of 20 seeds).

(Pool mode — routing among all of a file's models with a fitted confidence matrix — is not
built yet.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from switchyard import metrics
from switchyard.bench.io import read_jsonl
from switchyard.errors import InputError

BATCH = 64
RANDOM_SEEDS = 20


def run(path: Path, strong: str, weak: str) -> dict[str, Any]:
    from switchyard.classifier import classify_batch

    rows = [
        r
        for r in read_jsonl(path)
        if isinstance(r.get("scores"), dict) and strong in r["scores"] and weak in r["scores"]
    ]
    if not rows:
        raise InputError(f"{path}: no row has scores for both '{strong}' and '{weak}'")
    complexity: list[float] = []
    for i in range(0, len(rows), BATCH):
        complexity.extend(
            c.complexity for c in classify_batch([str(r["prompt"]) for r in rows[i : i + BATCH]])
        )
    w = np.array([float(r["scores"][weak]) for r in rows])
    s = np.array([float(r["scores"][strong]) for r in rows])
    router = metrics.two_model_summary(complexity, w, s)
    rng = np.random.default_rng(0)
    randoms = [metrics.two_model_summary(rng.random(len(rows)), w, s) for _ in range(RANDOM_SEEDS)]
    random = {
        k: float(np.mean([r[k] for r in randoms]))
        for k in ("cpt50", "cpt80", "apgr", "strong_call_pct_at_95")
    }
    return {
        "file": str(path),
        "n": len(rows),
        "strong": strong,
        "weak": weak,
        "strong_quality": router["strong_quality"],
        "weak_quality": router["weak_quality"],
        "strong_call_pct_at_95": router["strong_call_pct_at_95"],
        "cpt50": router["cpt50"],
        "cpt80": router["cpt80"],
        "apgr": router["apgr"],
        "random": random,
    }


def render(r: dict[str, Any]) -> str:
    rnd = r["random"]
    return "\n".join(
        [
            f"file: {r['file']}  prompts: {r['n']}  strong: {r['strong']} ({r['strong_quality']:.3f})  weak: {r['weak']} ({r['weak_quality']:.3f})",
            f"{'':>28} {'router':>8} {'random':>8}",
            f"{'strong calls for 95% (%)':>28} {r['strong_call_pct_at_95']:>8.1f} {rnd['strong_call_pct_at_95']:>8.1f}",
            f"{'CPT(50%)':>28} {r['cpt50']:>8.3f} {rnd['cpt50']:>8.3f}",
            f"{'CPT(80%)':>28} {r['cpt80']:>8.3f} {rnd['cpt80']:>8.3f}",
            f"{'APGR':>28} {r['apgr']:>8.3f} {rnd['apgr']:>8.3f}",
        ]
    )
