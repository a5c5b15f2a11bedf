"""``switchyard bench model``: load time, classify latency by prompt length (one request at a
time, as the Lambda serves them) and artifact sizes of the bundled model."""

from __future__ import annotations

import random
import time
from typing import Any

from switchyard.classifier.model import RouterModel, model_dir
from switchyard_tools.bench.timing import summary_ms

WORDS = [
    "the",
    "router",
    "sends",
    "each",
    "prompt",
    "to",
    "the",
    "cheapest",
    "model",
    "that",
    "will",
    "answer",
    "it",
    "well",
    "while",
    "keeping",
    "quality",
    "high",
    "for",
    "hard",
    "code",
    "refactors",
    "and",
    "math",
    "proofs",
    "summarize",
    "translate",
    "classify",
    "extract",
    "write",
    "explain",
    "why",
    "how",
    "what",
    "when",
    "python",
    "function",
    "data",
    "table",
]
BUCKETS = (16, 64, 128, 512)


def _prompt(rng: random.Random, tokens: int) -> str:
    # about one word piece per word for this vocabulary
    return " ".join(rng.choice(WORDS) for _ in range(tokens))


def run(repeats: int = 300, seed: int = 0) -> dict[str, Any]:
    t0 = time.perf_counter()
    model = RouterModel()
    load_s = time.perf_counter() - t0
    rng = random.Random(seed)
    by_bucket: dict[str, Any] = {}
    for n in BUCKETS:
        prompts = [_prompt(rng, n) for _ in range(repeats)]
        model.classify_batch(prompts[:5])  # warm
        samples = []
        for p in prompts:
            t = time.perf_counter()
            model.classify_batch([p])
            samples.append(time.perf_counter() - t)
        measured = len(model.tokenizer.encode(prompts[0], add_special_tokens=False).ids)
        by_bucket[f"{n}_tokens"] = {"tokens_measured": measured, **summary_ms(samples)}
    files = {p.name: round(p.stat().st_size / 1e6, 2) for p in sorted(model_dir().iterdir()) if p.is_file()}
    return {
        "load_ms": round(load_s * 1000, 1),
        "classify": by_bucket,
        "classify_p50_ms_64": by_bucket["64_tokens"]["p50_ms"],
        "classify_p99_ms_512": by_bucket["512_tokens"]["p99_ms"],
        "artifact_mb": files,
        "artifact_total_mb": round(sum(files.values()), 2),
    }


def render(r: dict[str, Any]) -> str:
    lines = [f"model load: {r['load_ms']} ms", "classify, one prompt at a time:"]
    for k, v in r["classify"].items():
        lines.append(
            f"  {k:>11}: p50 {v['p50_ms']:.3f} ms  p90 {v['p90_ms']:.3f} ms  p99 {v['p99_ms']:.3f} ms  (n={v['n']})"
        )
    lines.append(f"artifacts: {r['artifact_mb']} (total {r['artifact_total_mb']} MB)")
    return "\n".join(lines)
