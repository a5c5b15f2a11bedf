"""``switchyard bench cache FILE``: would the cache serve the answer stored for ``a`` when
asked ``b``? For any paraphrase JSONL file (``{"a", "b", "duplicate"}``). A hit on a
duplicate pair is right; a hit on a non-duplicate is a wrong answer served.

Levels, as the app runs them: exact key, then the normalised key. ``--threshold T`` adds
an experimental similarity level (embedding cosine ≥ T, numbers, negation and the order of
shared content words must agree) to show what it would cost in wrong answers.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from switchyard.bench.io import read_jsonl
from switchyard.cache.normalize import normalized_key, signature
from switchyard.cache.policy import exact_key
from switchyard.errors import InputError


def _request(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def _order_agrees(a: str, b: str) -> bool:
    sa, sb = signature(a), signature(b)
    if sa.numbers != sb.numbers or sa.negated != sb.negated:
        return False
    shared = set(sa.terms) & set(sb.terms)
    return [t for t in sa.terms if t in shared] == [t for t in sb.terms if t in shared]


def run(path: Path, threshold: float | None = None) -> dict[str, Any]:
    rows = list(read_jsonl(path))
    for n, r in enumerate(rows, 1):
        if (
            not isinstance(r.get("a"), str)
            or not isinstance(r.get("b"), str)
            or not isinstance(r.get("duplicate"), bool)
        ):
            raise InputError(f"{path}: row {n} needs string 'a', 'b' and boolean 'duplicate'")
    sims = None
    if threshold is not None:
        from switchyard.classifier import classify_batch

        ea = np.stack([c.embedding for c in classify_batch([r["a"] for r in rows])])
        eb = np.stack([c.embedding for c in classify_batch([r["b"] for r in rows])])
        sims = (ea * eb).sum(axis=1)
    levels: Counter[str] = Counter()
    right = wrong = 0
    by_source: dict[str, Counter[str]] = {}
    for i, r in enumerate(rows):
        tenant = f"pair{i}"  # each pair is its own cache
        store = {
            exact_key(tenant, "auto|", _request(r["a"])),
            normalized_key(tenant, "auto|", _request(r["a"])),
        }
        level = None
        if exact_key(tenant, "auto|", _request(r["b"])) in store:
            level = "exact"
        elif (nk := normalized_key(tenant, "auto|", _request(r["b"]))) is not None and nk in store:
            level = "normalized"
        elif (
            sims is not None
            and threshold is not None
            and sims[i] >= threshold
            and _order_agrees(r["a"], r["b"])
        ):
            level = "similar"
        src = by_source.setdefault(str(r.get("source", "")), Counter())
        src["pairs"] += 1
        src["duplicates"] += int(r["duplicate"])
        if level:
            levels[level] += 1
            if r["duplicate"]:
                right += 1
                src["right_hits"] += 1
            else:
                wrong += 1
                src["wrong_hits"] += 1
    dups = sum(1 for r in rows if r["duplicate"])
    hits = right + wrong
    return {
        "file": str(path),
        "n": len(rows),
        "duplicates": dups,
        "hits": hits,
        "right_hits": right,
        "wrong_hits": wrong,
        "precision": right / hits if hits else None,
        "recall": right / dups if dups else None,
        "hits_by_level": dict(levels),
        "threshold": threshold,
        "by_source": {
            k: {**v, "recall": v["right_hits"] / v["duplicates"] if v["duplicates"] else None}
            for k, v in sorted(by_source.items())
        },
    }


def render(r: dict[str, Any]) -> str:
    prec = "n/a" if r["precision"] is None else f"{r['precision']:.3f}"
    rec = "n/a" if r["recall"] is None else f"{r['recall']:.3f}"
    lines = [
        f"file: {r['file']}  pairs: {r['n']}  duplicates: {r['duplicates']}",
        f"hits: {r['hits']} (right {r['right_hits']}, wrong {r['wrong_hits']})  precision {prec}  recall {rec}",
        f"hits by level: {r['hits_by_level']}"
        + (f"  (similarity threshold {r['threshold']})" if r["threshold"] else ""),
    ]
    for k, v in r["by_source"].items():
        recall = "n/a" if v["recall"] is None else f"{v['recall']:.3f}"
        lines.append(
            f"  {k:<12} pairs {v['pairs']:>4}  right {v.get('right_hits', 0):>3}  wrong {v.get('wrong_hits', 0):>3}  recall {recall}"
        )
    return "\n".join(lines)
