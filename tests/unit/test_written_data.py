"""The committed written data: labels in the taxonomy, ranges, no hold-out text, drops kept
out, and the agreement the README reports recomputed from the file."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

import pytest

from switchyard.classifier.features import TASK_TYPES
from tests_support import ROOT

WRITTEN = ROOT / "training" / "data" / "written"
HOLDOUT = ROOT.parent / "shared" / "data" / "holdout_keys.txt"


def rows(name: str) -> list[dict[str, object]]:
    with (WRITTEN / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def key(text: str) -> str:
    """The hold-out key rule (in holdout_keys.txt's header)."""
    return hashlib.sha1(re.sub(r"\s+", " ", text.lower()).strip()[:300].encode("utf-8")).hexdigest()[:16]


def kappa(a: list[object], b: list[object]) -> float:
    n = len(a)
    agree = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    chance = sum(ca[k] * cb[k] for k in ca) / n / n
    return (agree - chance) / (1 - chance)


def test_prompts_are_labelled_within_the_taxonomy() -> None:
    prompts = rows("prompts.jsonl")
    assert len(prompts) == 2441 and len({p["id"] for p in prompts}) == len(prompts)
    assert {p["task_type"] for p in prompts} == set(TASK_TYPES)
    assert {p["difficulty"] for p in prompts} == {1, 2, 3, 4, 5}
    assert {p["lang"] for p in prompts} == {"en", "zh", "ja", "es", "fr", "pt", "de", "ru", "ko"}
    sampled = [p for p in prompts if "pass2" in p]
    a = [p["task_type"] for p in sampled]
    b = [p["pass2"]["task_type"] for p in sampled]  # type: ignore[index]
    assert len(sampled) == 640 and round(kappa(a, b), 3) == 0.987
    assert all(("drop" in p) == (x != y) for p, x, y in zip(sampled, a, b, strict=True))


def test_cache_pairs_and_their_agreement() -> None:
    pairs = rows("cache_pairs.jsonl")
    assert len(pairs) == 3351 and all(isinstance(p["duplicate"], bool) for p in pairs)
    sampled = [p for p in pairs if "pass2" in p]
    a = [p["duplicate"] for p in sampled]
    b = [p["pass2"]["duplicate"] for p in sampled]  # type: ignore[index]
    assert len(sampled) == 700 and round(kappa(a, b), 3) == 0.936
    assert sum(1 for p in pairs if "drop" in p) == 43


@pytest.mark.skipif(not HOLDOUT.exists(), reason="../shared/data is not beside this checkout")
def test_no_written_text_is_in_the_hold_out() -> None:
    with HOLDOUT.open() as fh:
        held = {line.strip() for line in fh if line.strip() and not line.startswith("#")}
    texts = [str(p["prompt"]) for p in rows("prompts.jsonl")]
    texts += [str(p[s]) for p in rows("cache_pairs.jsonl") for s in ("a", "b")]
    assert len(held) == 7200 and not any(key(t) in held for t in texts)
