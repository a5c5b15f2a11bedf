"""``switchyard bench overhead``: router overhead (auth + parse + classify + decide, no
provider call) through the Lambda handler in-process (API Gateway event → Mangum →
FastAPI), as a warm Lambda serves it, on DynamoDB Local."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from switchyard.bench.model import WORDS
from switchyard.bench.timing import summary_ms

LENGTHS = (8, 64, 256, 1024)  # words


def run(root: Path, n: int = 300, seed: int = 0) -> dict[str, Any]:
    import json

    from switchyard.cli import LOCAL_TEST_KEY
    from switchyard.devtools.events import event
    from switchyard.devtools.invoke import LambdaContext, load_handler
    from switchyard.devtools.local import prepare
    from switchyard_api import deps

    ddb, _ = prepare(root, LOCAL_TEST_KEY)
    try:
        deps.reset()
        handler = load_handler(root / "template.yaml", "ApiFunction")
        ctx = LambdaContext()
        rng = random.Random(seed)
        headers = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}

        def call(text: str) -> float:
            ev = event("POST", "/v1/route", {"messages": [{"role": "user", "content": text}]}, headers)
            t = time.perf_counter()
            out = handler(ev, ctx)
            elapsed = time.perf_counter() - t
            if out["statusCode"] != 200:
                raise RuntimeError(f"route answered {out['statusCode']}: {json.loads(out['body'])}")
            return elapsed

        call("warm up")
        out: dict[str, Any] = {"by_prompt_words": {}}
        all_warm: list[float] = []
        for words in LENGTHS:
            samples = [call(" ".join(rng.choice(WORDS) for _ in range(words))) for _ in range(n)]
            out["by_prompt_words"][str(words)] = summary_ms(samples)
            all_warm.extend(samples)
        cold_auth = []
        for _ in range(n):
            deps._auth_cache.clear()  # every request reads its key from DynamoDB
            cold_auth.append(call("What are your business hours?"))
        warm = summary_ms(all_warm)
        out.update(
            {
                "overhead_p50_ms": warm["p50_ms"],
                "overhead_p99_ms": warm["p99_ms"],
                "n": warm["n"],
                "uncached_auth": summary_ms(cold_auth),
                "cache_hit": cache_hits(handler, ctx, headers, rng, n),
            }
        )
        return out
    finally:
        deps.reset()
        ddb.stop()


def cache_hits(handler: Any, ctx: Any, headers: dict[str, str], rng: random.Random, n: int) -> dict[str, Any]:
    """Chat completions answered from the cache: each prompt is asked once (filled from the
    fake upstream on loopback), then again (timed)."""
    import os

    from switchyard.devtools.events import event
    from switchyard.devtools.fake_upstream import FakeUpstream
    from switchyard_api import deps

    with FakeUpstream() as up:
        os.environ["OPENAI_BASE_URL"] = up.base_url
        os.environ["GROQ_BASE_URL"] = up.base_url
        deps.reset()
        try:
            prompts = [" ".join(rng.choice(WORDS) for _ in range(24)) + f" #{i}" for i in range(n)]
            evs = [
                event(
                    "POST",
                    "/v1/chat/completions",
                    {"model": "auto", "messages": [{"role": "user", "content": p}]},
                    headers,
                )
                for p in prompts
            ]
            for ev in evs:
                assert handler(ev, ctx)["statusCode"] == 200
            samples = []
            for ev in evs:
                t = time.perf_counter()
                out = handler(ev, ctx)
                samples.append(time.perf_counter() - t)
                assert out["headers"].get("x-switchyard-cache") == "hit", out["headers"]
            return {**summary_ms(samples), "upstream_calls": len(up.requests)}
        finally:
            os.environ.pop("OPENAI_BASE_URL", None)
            os.environ.pop("GROQ_BASE_URL", None)
            deps.reset()


def render(r: dict[str, Any]) -> str:
    lines = ["router overhead through the Lambda handler (auth + parse + classify + decide; DynamoDB Local):"]
    for k, v in r["by_prompt_words"].items():
        lines.append(f"  {k:>5} words: p50 {v['p50_ms']:.3f} ms  p99 {v['p99_ms']:.3f} ms")
    lines.append(f"  all: p50 {r['overhead_p50_ms']:.3f} ms  p99 {r['overhead_p99_ms']:.3f} ms (n={r['n']})")
    u = r["uncached_auth"]
    lines.append(
        f"  key read from DynamoDB on every request: p50 {u['p50_ms']:.3f} ms  p99 {u['p99_ms']:.3f} ms"
    )
    c = r["cache_hit"]
    lines.append(
        f"chat completion answered from the cache: p50 {c['p50_ms']:.3f} ms  p99 {c['p99_ms']:.3f} ms (n={c['n']})"
    )
    return "\n".join(lines)
