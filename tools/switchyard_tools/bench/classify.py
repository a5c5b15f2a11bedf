"""``switchyard bench classify FILE``: task-type accuracy, macro-F1, the confusion matrix and
the Spearman correlation of predicted complexity with a ``complexity`` field, for any
task-type JSONL file (``{"prompt", "task_type"?, "label_raw"?, "complexity"?}``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from switchyard import metrics
from switchyard.classifier import TASK_TYPES, classify_batch
from switchyard.datasets import read_jsonl
from switchyard.errors import InputError

BATCH = 64


def run(path: Path, batch: int = BATCH) -> dict[str, Any]:
    rows = list(read_jsonl(path))
    for n, r in enumerate(rows, 1):
        if not isinstance(r.get("prompt"), str):
            raise InputError(f"{path}: row {n} has no string 'prompt'")
    preds = []
    for i in range(0, len(rows), batch):
        preds.extend(classify_batch([r["prompt"] for r in rows[i : i + batch]]))
    labelled = [(r, p) for r, p in zip(rows, preds, strict=True) if r.get("task_type") in TASK_TYPES]
    y = [str(r["task_type"]) for r, _ in labelled]
    yhat = [p.task_type for _, p in labelled]
    with_cx = [
        (float(r["complexity"]), p.complexity)
        for r, p in zip(rows, preds, strict=True)
        if isinstance(r.get("complexity"), int | float)
    ]
    raw: dict[str, Counter[str]] = defaultdict(Counter)
    for r, p in zip(rows, preds, strict=True):
        if r.get("label_raw") is not None:
            raw[str(r["label_raw"])][p.task_type] += 1
    return {
        "file": str(path),
        "n": len(rows),
        "n_labelled": len(labelled),
        "accuracy": metrics.accuracy(y, yhat) if y else None,
        "macro_f1": metrics.macro_f1(y, yhat, TASK_TYPES) if y else None,
        "confusion": {"labels": list(TASK_TYPES), "matrix": metrics.confusion(y, yhat, TASK_TYPES)},
        "n_complexity": len(with_cx),
        "spearman_complexity": metrics.spearman([a for a, _ in with_cx], [b for _, b in with_cx])
        if with_cx
        else None,
        "predicted_by_label_raw": {k: dict(v.most_common()) for k, v in sorted(raw.items())},
        "predicted_counts": dict(Counter(p.task_type for p in preds)),
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"file: {result['file']}  rows: {result['n']}  labelled: {result['n_labelled']}"]
    if result["accuracy"] is not None:
        lines.append(f"accuracy: {result['accuracy']:.4f}   macro-F1: {result['macro_f1']:.4f}")
        labels = result["confusion"]["labels"]
        short = [lab[:6] for lab in labels]
        lines.append("confusion (rows: true, columns: predicted)")
        lines.append(" " * 15 + " ".join(f"{s:>6}" for s in short))
        for lab, row in zip(labels, result["confusion"]["matrix"], strict=True):
            lines.append(f"{lab:>14} " + " ".join(f"{v:>6}" for v in row))
    if result["spearman_complexity"] is not None:
        lines.append(f"complexity Spearman: {result['spearman_complexity']:.4f} (n={result['n_complexity']})")
    else:
        lines.append("complexity Spearman: n/a (no 'complexity' field)")
    raw = result["predicted_by_label_raw"]
    if raw:
        lines.append(f"predictions by label_raw ({len(raw)} raw labels; first 25):")
        for k, v in list(raw.items())[:25]:
            lines.append(f"  {k[:40]:<40} " + ", ".join(f"{t} {c}" for t, c in v.items()))
    return "\n".join(lines)
