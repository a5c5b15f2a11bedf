"""``switchyard bench failover``: requests through the Lambda handler against the fake
upstream on loopback, with a share of first-choice calls failing (HTTP 500), on DynamoDB
Local. Reports the success rate, the latency a failover adds, and whether any request was
answered twice (two successful upstream answers for one request, told apart by the
request's ``user`` field, which the router passes through)."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from switchyard_tools.bench.timing import summary_ms

PROMPT = "What is the capital of Peru?"


def run(root: Path, n: int = 1000, fail_share: float = 0.2, seed: int = 0) -> dict[str, Any]:
    from switchyard_api import deps
    from switchyard_tools.devtools.events import event
    from switchyard_tools.devtools.fake_upstream import FakeUpstream
    from switchyard_tools.devtools.invoke import LambdaContext, load_handler, quiet
    from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
    from switchyard_tools.devtools.local import prepare

    ddb, _ = prepare(root, LOCAL_TEST_KEY)
    up = FakeUpstream(seed=seed).start()
    env = {
        "OPENAI_BASE_URL": up.base_url,
        "GROQ_BASE_URL": up.base_url,
        "ANTHROPIC_BASE_URL": up.root_url,
        "ANTHROPIC_API_KEY": "bench",
        "SWITCHYARD_CACHE_ENABLED": "false",
    }
    os.environ.update(env)
    deps.reset()
    try:
        handler = quiet(load_handler(root / "template.yaml", "ApiFunction"))
        ctx = LambdaContext()
        headers = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}
        route = handler(
            event("POST", "/v1/route", {"messages": [{"role": "user", "content": PROMPT}]}, headers), ctx
        )
        first = json.loads(route["body"])["decision"]["model"]
        first_upstream = deps.get_container().catalog.by_id[first].upstream
        up.fail_rate[first_upstream] = fail_share
        from switchyard import telemetry

        skips_before = telemetry.snapshot().get("circuit_open_skips", 0)
        direct: list[float] = []
        failed_over: list[float] = []
        ok = 0
        for i in range(n):
            body = {"model": "auto", "messages": [{"role": "user", "content": PROMPT}], "user": f"bench-{i}"}
            t = time.perf_counter()
            out = handler(event("POST", "/v1/chat/completions", body, headers), ctx)
            elapsed = time.perf_counter() - t
            if out["statusCode"] != 200:
                continue
            ok += 1
            tried = json.loads(out["body"])["router"]["tried"]
            (failed_over if len(tried) > 1 else direct).append(elapsed)
        answers = Counter(str(s["body"].get("user")) for s in up.successes)
        base = statistics.median(direct) if direct else 0.0
        added = [x - base for x in failed_over]
        fo = summary_ms(added) if added else {"p50_ms": None, "p99_ms": None}
        return {
            "n": n,
            "first_choice": first,
            "first_choice_fail_share": fail_share,
            "success_rate": ok / n,
            "failovers": len(failed_over),
            "failover_p50_ms": fo["p50_ms"],
            "failover_p99_ms": fo["p99_ms"],
            "direct": summary_ms(direct) if direct else None,
            "answered_twice": sum(1 for c in answers.values() if c > 1),
            "circuit_open_skips": telemetry.snapshot().get("circuit_open_skips", 0) - skips_before,
            "upstream_calls": len(up.requests),
        }
    finally:
        for k in env:
            os.environ.pop(k, None)
        deps.reset()
        up.stop()
        ddb.stop()


def render(r: dict[str, Any]) -> str:
    d = r["direct"] or {}
    return "\n".join(
        [
            f"{r['n']} requests, first choice {r['first_choice']} failing {r['first_choice_fail_share']:.0%} of calls",
            f"success rate: {r['success_rate']:.4f}   failovers: {r['failovers']}   answered twice: {r['answered_twice']}"
            f"   circuit-open skips: {r['circuit_open_skips']}",
            f"added latency of a failover: p50 {r['failover_p50_ms']} ms  p99 {r['failover_p99_ms']} ms",
            f"requests without failover: p50 {d.get('p50_ms')} ms  p99 {d.get('p99_ms')} ms",
        ]
    )
