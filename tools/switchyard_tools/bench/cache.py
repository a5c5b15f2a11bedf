"""``switchyard bench cache FILE``: would the cache serve the answer stored for ``a`` when
asked ``b``? For any paraphrase JSONL file (``{"a", "b", "duplicate"}``). A hit on a
duplicate pair is right; a hit on a non-duplicate is a wrong answer served.

Levels, as the app runs them: exact key, then the normalised key, then the semantic level
(``switchyard.cache.semantic``): ``a``'s entry is written under its LSH bucket keys, ``b``
reads the same keys and ``semantic.match`` picks among the decoded candidates (embeddings
stored as float16, as in DynamoDB). ``--threshold T`` overrides the semantic cosine
threshold. ``bucket_recall`` reports how many duplicate pairs share at least one LSH band
key (band ``t``, the canonical terms, excluded).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from switchyard.cache import semantic
from switchyard.cache.normalize import normalized_key
from switchyard.cache.policy import exact_key
from switchyard.datasets import read_jsonl
from switchyard.errors import InputError


def _request(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def run(path: Path, threshold: float | None = None) -> dict[str, Any]:
    rows = list(read_jsonl(path))
    for n, r in enumerate(rows, 1):
        if (
            not isinstance(r.get("a"), str)
            or not isinstance(r.get("b"), str)
            or not isinstance(r.get("duplicate"), bool)
        ):
            raise InputError(f"{path}: row {n} needs string 'a', 'b' and boolean 'duplicate'")
    from switchyard.classifier import classify_batch

    cut = semantic.THRESHOLD if threshold is None else threshold
    ea = [c.embedding for c in classify_batch([r["a"] for r in rows])] if rows else []
    eb = [c.embedding for c in classify_batch([r["b"] for r in rows])] if rows else []
    levels: Counter[str] = Counter()
    right = wrong = 0
    bucket_shared = 0
    by_source: dict[str, Counter[str]] = {}
    for i, r in enumerate(rows):
        tenant = f"pair{i}"  # each pair is its own cache
        req_a, req_b = _request(r["a"]), _request(r["b"])
        store: dict[str, list[dict[str, Any]]] = {}
        ref = exact_key(tenant, "auto|", req_a)
        store[ref] = []
        if (nk := normalized_key(tenant, "auto|", req_a)) is not None:
            store[nk] = []
        fp_a = semantic.context_fingerprint(tenant, "auto|", req_a)
        pa = semantic.probe(r["a"], ea[i])
        keys_a: list[str] = []
        if pa is not None:
            keys_a = semantic.bucket_keys(tenant, fp_a, pa)
            for k in keys_a:
                store.setdefault(k, []).append(semantic.entry_fields(ref, pa, expires_at=1))
        level = None
        if exact_key(tenant, "auto|", req_b) in store:
            level = "exact"
        elif (nk := normalized_key(tenant, "auto|", req_b)) is not None and nk in store:
            level = "normalized"
        elif (pb := semantic.probe(r["b"], eb[i])) is not None:
            keys_b = semantic.bucket_keys(tenant, semantic.context_fingerprint(tenant, "auto|", req_b), pb)
            if r["duplicate"] and set(keys_a[:-1]) & set(keys_b[:-1]):
                bucket_shared += 1
            found = [e for k in keys_b for e in store.get(k, [])]
            if semantic.match(pb, semantic.live(found, now=0.0), threshold=cut) is not None:
                level = "semantic"
        src = by_source.setdefault(str(r.get("source", "")), Counter())
        src["pairs"] += 1
        src["duplicates"] += int(r["duplicate"])
        if level:
            levels[level] += 1
            src[f"hits_{level}"] += 1
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
        "threshold": cut,
        "bucket_recall": bucket_shared / dups if dups else None,
        "by_source": {
            k: {
                **v,
                "precision": v["right_hits"] / (v["right_hits"] + v["wrong_hits"])
                if v["right_hits"] + v["wrong_hits"]
                else None,
                "recall": v["right_hits"] / v["duplicates"] if v["duplicates"] else None,
            }
            for k, v in sorted(by_source.items())
        },
    }


def render(r: dict[str, Any]) -> str:
    prec = "n/a" if r["precision"] is None else f"{r['precision']:.3f}"
    rec = "n/a" if r["recall"] is None else f"{r['recall']:.3f}"
    lines = [
        f"file: {r['file']}  pairs: {r['n']}  duplicates: {r['duplicates']}",
        f"hits: {r['hits']} (right {r['right_hits']}, wrong {r['wrong_hits']})  precision {prec}  recall {rec}",
        f"hits by level: {r['hits_by_level']}  (semantic cosine threshold {r['threshold']})",
    ]
    for k, v in r["by_source"].items():
        recall = "n/a" if v["recall"] is None else f"{v['recall']:.3f}"
        lines.append(
            f"  {k:<12} pairs {v['pairs']:>4}  right {v.get('right_hits', 0):>3}  wrong {v.get('wrong_hits', 0):>3}  recall {recall}"
            f"  (exact {v.get('hits_exact', 0)}, normalized {v.get('hits_normalized', 0)}, semantic {v.get('hits_semantic', 0)})"
        )
    return "\n".join(lines)
