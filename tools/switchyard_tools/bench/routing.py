"""``switchyard bench routing FILE --strong M --weak M``: the RouteLLM two-model benchmark
on any routing JSONL file (``{"prompt", "scores": {model: score}}``). The router's
complexity ranks the prompts; sweeping the threshold trades strong-model calls for
quality. Reports CPT(50%), CPT(80%), APGR, the share of strong calls needed for 95% of
the strong model's quality, and the same for a random router (mean of 20 seeds).

(Pool mode — routing among all of a file's models with a fitted confidence matrix — is not
built yet.)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from switchyard import metrics
from switchyard.datasets import read_jsonl, split_by_id
from switchyard.errors import InputError

BATCH = 64
RANDOM_SEEDS = 20


def run(path: Path, strong: str, weak: str, plot: Path | None = None) -> dict[str, Any]:
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
    if plot is not None:
        _plot(plot, complexity, w, s, f"{Path(path).name}: {weak} → {strong}")
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


def _plot(out: Path, score: list[float], weak: np.ndarray, strong: np.ndarray, title: str) -> None:
    """Quality against the share of strong-model calls: the router's curve and random's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shares, quality = metrics.routing_curve(score, weak, strong)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(100 * shares, quality, label="Switchyard complexity")
    ax.plot([0, 100], [weak.mean(), strong.mean()], "--", color="grey", label="random (expected)")
    ax.axhline(0.95 * strong.mean(), color="#C44E52", lw=0.8, label="95% of strong quality")
    ax.set_xlabel("% of prompts sent to the strong model (≈ cost)")
    ax.set_ylabel("mean quality")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


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


def run_pool(path: Path, train_path: Path | None, holdout_share: float = 0.3) -> dict[str, Any]:
    """Route every prompt of FILE among the file's models with the product's policy: the
    models become a catalog (tiers by cost terciles, prices proportional to their mean cost
    per prompt), the confidence matrix is fitted from the training rows with the rescore
    job's scoring function (each score one vote), and each routing mode is scored with the
    file's own per-prompt scores and costs."""
    from switchyard.catalog import Catalog, ModelSpec, ProviderSpec
    from switchyard.classifier import classify_batch
    from switchyard.learning.scoring import Observation, update
    from switchyard.routing import MODES, PRIOR, decide
    from switchyard.service.requests import route_input, routing_mode
    from switchyard_tools.prior import cost_tiers

    rows = [
        r
        for r in read_jsonl(path)
        if isinstance(r.get("scores"), dict) and isinstance(r.get("costs_usd"), dict)
    ]
    if not rows:
        raise InputError(f"{path}: no row has both 'scores' and 'costs_usd'")
    seen = Counter(m for r in rows for m in set(r["scores"]) & set(r["costs_usd"]))
    models = sorted(m for m, k in seen.items() if k >= 0.95 * len(rows))  # models on (nearly) every row
    rows = [r for r in rows if all(m in r["scores"] and m in r["costs_usd"] for m in models)]
    if len(models) < 2 or not rows:
        raise InputError(f"{path}: fewer than two models have scores and costs on the rows")
    split = None
    if train_path is not None and train_path.resolve() == path.resolve():
        train_rows, rows = split_by_id(rows, holdout_share)
        split = f"{1 - holdout_share:.0%} train / {holdout_share:.0%} test by id hash"
    elif train_path is not None:
        train_rows = [r for r in read_jsonl(train_path) if isinstance(r.get("scores"), dict)]
    else:
        train_rows = []

    mean_cost = {m: float(np.mean([r["costs_usd"][m] for r in rows])) for m in models}
    tier = cost_tiers(mean_cost)  # the prior's rule too
    order = sorted(models, key=lambda m: (tier[m], mean_cost[m], m))
    catalog = Catalog(
        providers={"file": ProviderSpec(kind="openai")},
        models=[
            ModelSpec(
                id=m,
                provider="file",
                upstream=m,
                input_per_mtok=mean_cost[m] * 1e6,
                output_per_mtok=0.0,
                context_window=10**9,
                tier=tier[m],
                capabilities=["tools", "json_mode", "vision"],
                latency_ms=1000.0,
            )
            for m in models
        ],
    )

    def classes(prompts: list[str]) -> list[Any]:
        out: list[Any] = []
        for i in range(0, len(prompts), BATCH):
            out.extend(classify_batch(prompts[i : i + BATCH]))
        return out

    matrix = PRIOR
    if train_rows:
        tasks = [c.task_type for c in classes([str(r["prompt"]) for r in train_rows])]
        obs = [
            Observation(m, t, float(v))
            for r, t in zip(train_rows, tasks, strict=True)
            for m, v in r["scores"].items()
            if m in tier
        ]
        matrix, _ = update(PRIOR, obs, tier, "fitted")

    test = classes([str(r["prompt"]) for r in rows])
    scores = {m: np.array([float(r["scores"][m]) for r in rows]) for m in models}
    costs = {m: np.array([float(r["costs_usd"][m]) for r in rows]) for m in models}
    modes: dict[str, dict[str, Any]] = {}
    for name in MODES:
        mode = routing_mode(name)
        chosen = [
            decide(
                route_input({"messages": [{"role": "user", "content": r["prompt"]}]}, c, mode),
                catalog,
                matrix,
                order[-1],
            ).model
            for r, c in zip(rows, test, strict=True)
        ]
        quality = float(np.mean([scores[m][i] for i, m in enumerate(chosen)]))
        cost = float(sum(costs[m][i] for i, m in enumerate(chosen)))
        share = {m: chosen.count(m) / len(chosen) for m in models if chosen.count(m)}
        modes[mode] = {"quality": quality, "cost_usd": cost, "share": share}
    best = max(models, key=lambda m: (scores[m].mean(), -costs[m].sum()))
    cheapest = order[0]
    stacked = np.stack([scores[m] for m in models])
    cost_stack = np.stack([costs[m] for m in models])
    # oracle: the cheapest model with the best score on each prompt
    oracle_idx = [
        min(np.flatnonzero(stacked[:, i] == stacked[:, i].max()), key=lambda k: cost_stack[k, i])
        for i in range(len(rows))
    ]
    auto = modes["auto"]
    return {
        "file": str(path),
        "train": str(train_path) if train_path else None,
        "split": split,
        "n": len(rows),
        "models": {
            m: {"tier": tier[m], "quality": float(scores[m].mean()), "cost_usd": float(costs[m].sum())}
            for m in order
        },
        "quality": auto["quality"],
        "cost_usd": auto["cost_usd"],
        "modes": modes,
        "best_single_model": best,
        "best_single_quality": float(scores[best].mean()),
        "best_single_cost_usd": float(costs[best].sum()),
        "cheapest_model": cheapest,
        "cheapest_quality": float(scores[cheapest].mean()),
        "cheapest_cost_usd": float(costs[cheapest].sum()),
        "oracle_quality": float(stacked.max(axis=0).mean()),
        "oracle_cost_usd": float(sum(cost_stack[k, i] for i, k in enumerate(oracle_idx))),
    }


def render_pool(r: dict[str, Any]) -> str:
    lines = [
        f"file: {r['file']}  prompts: {r['n']}"
        + (f"  ({r['split']})" if r["split"] else f"  train: {r['train']}")
    ]
    lines.append(f"{'':>26} {'quality':>8} {'cost $':>10} {'% of best cost':>15}")
    base = r["best_single_cost_usd"] or 1.0
    for mode, v in r["modes"].items():
        lines.append(
            f"{'router ' + mode:>26} {v['quality']:>8.3f} {v['cost_usd']:>10.4f} {100 * v['cost_usd'] / base:>14.1f}%"
        )
    lines.append(
        f"{'best single: ' + r['best_single_model'][-12:]:>26} {r['best_single_quality']:>8.3f} {r['best_single_cost_usd']:>10.4f} {100.0:>14.1f}%"
    )
    lines.append(
        f"{'cheapest: ' + r['cheapest_model'][-14:]:>26} {r['cheapest_quality']:>8.3f} {r['cheapest_cost_usd']:>10.4f} {100 * r['cheapest_cost_usd'] / base:>14.1f}%"
    )
    lines.append(
        f"{'oracle':>26} {r['oracle_quality']:>8.3f} {r['oracle_cost_usd']:>10.4f} {100 * r['oracle_cost_usd'] / base:>14.1f}%"
    )
    return "\n".join(lines)
