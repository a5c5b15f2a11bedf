"""``switchyard bench decisions [FILE]``: the product's routing of everyday prompts against
written bands. Each row of the file (default ``benchmarks/decisions.jsonl``: 60 prompts in 9
languages, trivial to very hard) names the cheapest acceptable tier (``min_tier``) and the
most expensive sensible one (``max_tier``); each prompt is routed as ``/v1/route`` would in
``auto`` mode on the prior matrix, every model available, and the chosen model's tier must
fall within the band. Reported: every decision, the agreement, and the two failures that
matter most — a trivial prompt (max tier 1) sent to a premium model, and a hard one (min
tier 3) sent to the economy tier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from switchyard.datasets import read_jsonl
from switchyard.errors import InputError

DEFAULT = Path("benchmarks/decisions.jsonl")


def run(path: Path = DEFAULT, mode: str = "auto") -> dict[str, Any]:
    from switchyard.catalog import load_catalog
    from switchyard.classifier import classify_batch
    from switchyard.routing import PRIOR, decide
    from switchyard.service.requests import route_input, routing_mode

    rows = list(read_jsonl(path))
    if not rows:
        raise InputError(f"{path}: no rows")
    catalog, chosen_mode = load_catalog(), routing_mode(mode, param="mode")
    out = []
    for r, c in zip(rows, classify_batch([str(r["prompt"]) for r in rows]), strict=True):
        d = decide(
            route_input({"messages": [{"role": "user", "content": r["prompt"]}]}, c, chosen_mode),
            catalog,
            PRIOR,
            "gpt-4o",
        )
        tier = catalog.by_id[d.model].tier
        lo, hi = int(r["min_tier"]), int(r["max_tier"])
        out.append(
            {
                "id": r["id"],
                "lang": r.get("lang"),
                "task_type": c.task_type,
                "complexity": round(c.complexity, 2),
                "model": d.model,
                "tier": tier,
                "band": [lo, hi],
                "within": lo <= tier <= hi,
                "trivial_to_premium": hi == 1 and tier == 3,
                "hard_to_economy": lo == 3 and tier == 1,
                "prompt": str(r["prompt"])[:70],
            }
        )
    n = len(out)
    return {
        "file": str(path),
        "mode": mode,
        "n": n,
        "within_band": round(sum(x["within"] for x in out) / n, 4),
        "trivial_to_premium": sum(x["trivial_to_premium"] for x in out),
        "hard_to_economy": sum(x["hard_to_economy"] for x in out),
        "by_lang": {
            lang: round(
                sum(x["within"] for x in out if x["lang"] == lang) / sum(1 for x in out if x["lang"] == lang),
                3,
            )
            for lang in sorted({str(x["lang"]) for x in out})
        },
        "decisions": out,
    }


def render(r: dict[str, Any]) -> str:
    lines = [f"{'id':4} {'lang':4} {'task':14} {'cx':>5} {'tier':>4} {'band':>5}  {'model':18} prompt"]
    for x in r["decisions"]:
        mark = " " if x["within"] else "✗"
        band = f"{x['band'][0]}-{x['band'][1]}"
        lines.append(
            f"{x['id']:4} {x['lang']:4} {x['task_type']:14} {x['complexity']:5.1f} {x['tier']:>4} {band:>5} {mark} {x['model']:18} {x['prompt']}"
        )
    lines.append(
        f"within the written band: {100 * r['within_band']:.1f}% of {r['n']} ({r['mode']} mode); "
        f"trivial → premium: {r['trivial_to_premium']}; hard → economy: {r['hard_to_economy']}"
    )
    lines.append("by language: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in r["by_lang"].items()))
    return "\n".join(lines)
