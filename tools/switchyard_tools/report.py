"""``switchyard report FILE``: what the router would do with your own prompts.

Reads a file of prompts (JSONL of chat requests ``{"messages": [...]}``, of ``{"prompt"}``
rows, or a request-log export; or CSV with a ``prompt`` column), routes every prompt
(decision only, no provider calls) with the bundled catalog and the matrix prior, and writes
``report.md`` with PNG charts: share per model and task type, projected monthly cost against
always using the baseline model at your volume, and where the router escalated.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from switchyard.datasets import read_jsonl
from switchyard.errors import InputError

BATCH = 64


def read_prompts(path: Path) -> list[list[dict[str, Any]]]:
    """Each row as chat messages."""
    out: list[list[dict[str, Any]]] = []
    if path.suffix.lower() == ".csv":
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    if row.get("messages"):
                        out.append(json.loads(row["messages"]))
                    elif row.get("prompt"):
                        out.append([{"role": "user", "content": row["prompt"]}])
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    else:
        for rec in read_jsonl(path):
            if isinstance(rec.get("messages"), list):
                out.append(rec["messages"])
            elif isinstance(rec.get("prompt"), str):
                out.append([{"role": "user", "content": rec["prompt"]}])
    if not out:
        raise InputError(f"{path}: no prompts found (expected 'messages' or 'prompt' fields)")
    return out


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\rrouting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def build(
    path: Path, out_dir: Path, monthly_requests: int, mode: str = "auto", progress: bool = True
) -> dict[str, Any]:
    from switchyard.catalog import load_catalog
    from switchyard.classifier import classify_batch
    from switchyard.classifier.text import prompt_from_messages
    from switchyard.routing import PRIOR, decide
    from switchyard.service.requests import route_input, routing_mode

    chosen_mode = routing_mode(mode, param="mode")
    catalog = load_catalog()
    baseline = "gpt-4o"
    chats = read_prompts(path)
    decisions = []
    for i in range(0, len(chats), BATCH):
        part = chats[i : i + BATCH]
        for msgs, c in zip(part, classify_batch([prompt_from_messages(m) for m in part]), strict=True):
            inp = route_input({"messages": msgs}, c, chosen_mode)
            decisions.append(decide(inp, catalog, PRIOR, baseline))
        if progress:
            _progress(min(i + BATCH, len(chats)), len(chats))
    n = len(decisions)
    by_model = Counter(d.model for d in decisions)
    by_task: dict[str, Counter[str]] = defaultdict(Counter)
    for d in decisions:
        by_task[d.task_type][d.model] += 1
    routed = sum(d.estimated_cost_usd for d in decisions) / n
    base = sum(d.baseline_cost_usd for d in decisions) / n
    escalated = Counter(
        r.split(":")[0].replace("escalated past ", "")
        for d in decisions
        for r in d.reasons
        if r.startswith("escalated past")
    )
    result = {
        "file": str(path),
        "n": n,
        "mode": mode,
        "baseline_model": baseline,
        "share_by_model": {m: k / n for m, k in by_model.most_common()},
        "by_task": {t: dict(c) for t, c in sorted(by_task.items())},
        "cost_per_request_usd": routed,
        "baseline_cost_per_request_usd": base,
        "monthly_requests": monthly_requests,
        "monthly_cost_usd": routed * monthly_requests,
        "monthly_baseline_cost_usd": base * monthly_requests,
        "savings_share": 1 - routed / base if base else 0.0,
        "escalations": dict(escalated),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = _charts(result, out_dir)
    (out_dir / "report.md").write_text(_markdown(result, charts), encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def _charts(r: dict[str, Any], out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []  # the report is complete without pictures; `pip install matplotlib` adds them
    files = []
    fig, ax = plt.subplots(figsize=(6, 3.2))
    models = list(r["share_by_model"])
    ax.barh(models, [100 * r["share_by_model"][m] for m in models], color="#4C72B0")
    ax.set_xlabel("% of requests")
    ax.set_title("Where your prompts go")
    fig.tight_layout()
    fig.savefig(out / "share_by_model.png", dpi=120)
    files.append("share_by_model.png")
    plt.close(fig)

    tasks = list(r["by_task"])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    left = [0.0] * len(tasks)
    for m in models:
        vals = [r["by_task"][t].get(m, 0) for t in tasks]
        ax.barh(tasks, vals, left=left, label=m)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlabel("requests")
    ax.set_title("Model by task type")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "model_by_task.png", dpi=120)
    files.append("model_by_task.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(
        ["Switchyard", f"always {r['baseline_model']}"],
        [r["monthly_cost_usd"], r["monthly_baseline_cost_usd"]],
        color=["#55A868", "#C44E52"],
    )
    ax.set_ylabel("USD per month")
    ax.set_title(f"Projected at {r['monthly_requests']:,} requests/month")
    fig.tight_layout()
    fig.savefig(out / "monthly_cost.png", dpi=120)
    files.append("monthly_cost.png")
    plt.close(fig)
    return files


def _markdown(r: dict[str, Any], charts: list[str]) -> str:
    lines = [
        "# Switchyard savings report",
        "",
        f"{r['n']} prompts from `{r['file']}`, routing mode `{r['mode']}`, bundled catalog and prior",
        "(no provider was called; costs are estimates from the prompts' length and typical answer lengths).",
        "",
        "| | per request | per month |",
        "|---|---|---|",
        f"| Switchyard | ${r['cost_per_request_usd']:.6f} | ${r['monthly_cost_usd']:,.2f} |",
        f"| always {r['baseline_model']} | ${r['baseline_cost_per_request_usd']:.6f} | ${r['monthly_baseline_cost_usd']:,.2f} |",
        "",
        f"Projected saving: **{100 * r['savings_share']:.1f}%** at {r['monthly_requests']:,} requests a month.",
        "",
        "## Share per model",
        "",
        "| model | share |",
        "|---|---|",
        *[f"| {m} | {100 * s:.1f}% |" for m, s in r["share_by_model"].items()],
        "",
        "## Model by task type",
        "",
        "| task type | " + " | ".join(r["share_by_model"]) + " |",
        "|---|" + "---|" * len(r["share_by_model"]),
        *[
            f"| {t} | " + " | ".join(str(c.get(m, 0)) for m in r["share_by_model"]) + " |"
            for t, c in r["by_task"].items()
        ],
        "",
        "## Where the router escalated",
        "",
        "Requests that passed over a cheaper model because its quality for the task is under the bar:",
        "",
        *([f"- past {m}: {k} requests" for m, k in r["escalations"].items()] or ["- none"]),
        "",
    ]
    for c in charts:
        lines += [f"![{c}]({c})", ""]
    return "\n".join(lines)
