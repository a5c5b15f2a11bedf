"""``switchyard bench load``: concurrent clients against the app under uvicorn.

DynamoDB Local (the template's tables, a tenant key), the fake upstream on loopback and the
app under uvicorn in its own process (so the load generator does not share its GIL); then
``clients`` concurrent clients (one asyncio loop, httpx) send a fixed total of
/v1/chat/completions requests: prompts of every task type, a share of them repeats of
earlier prompts (answered from the cache once the first answer is stored), optionally a
share streamed. Reports throughput, latency percentiles, errors by status and cache hits.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchyard_tools.bench.timing import summary_ms

TEMPLATES: dict[str, str] = {
    "coding": "Write a Python function that sorts a list of {noun} records by {field}, case {n}.",
    "reasoning": "If {a} workers build {b} walls in {c} days, how many days do {d} workers need? Explain.",
    "creative": "Write a four-line poem about a {noun} at dawn, in the style of draft {n}.",
    "qa": "What is the typical {field} of a {noun}? Question {n}.",
    "summarization": "Summarize in one sentence: {text}",
    "extraction": "Extract the invoice number, date and amount from: invoice {n} dated 2024-0{c}-1{a} for ${b}.00",
    "classification": "Classify the sentiment of this review as positive, negative or neutral: {text}",
    "rewrite": "Rewrite this sentence in a formal tone: {text}",
}
NOUNS = ("customer", "sensor", "order", "flight", "invoice", "ticket", "shipment", "patient")
FIELDS = ("name", "date", "price", "weight", "priority", "length", "size", "score")
_REVIEW = (
    "the delivery arrived two days late but support answered quickly and refunded the fee "
    "while the package itself was intact and the product works as described so far"
)
FILLER = tuple(_REVIEW.split())


@dataclass(frozen=True)
class Planned:
    prompt: str
    task: str  # the template it came from (what the prompt asks, not what the classifier says)
    repeat: bool  # a copy of an earlier prompt of this run
    stream: bool


def make_prompt(task: str, rng: random.Random, n: int) -> str:
    words = rng.sample(FILLER, 14)
    return TEMPLATES[task].format(
        noun=rng.choice(NOUNS),
        field=rng.choice(FIELDS),
        n=n,
        a=rng.randint(2, 9),
        b=rng.randint(10, 99),
        c=rng.randint(1, 9),
        d=rng.randint(2, 9),
        text=" ".join(words).capitalize() + f" (#{n}).",
    )


def build_plan(total: int, repeat_share: float, stream_share: float, seed: int = 0) -> list[Planned]:
    """``total`` requests: prompts cycling through the task types, ``repeat_share`` of them
    copies of an earlier prompt of the plan, ``stream_share`` streamed; deterministic."""
    if not 0.0 <= repeat_share <= 1.0 or not 0.0 <= stream_share <= 1.0:
        raise ValueError("shares must be within [0, 1]")
    rng = random.Random(seed)
    tasks = list(TEMPLATES)
    plan: list[Planned] = []
    originals: list[Planned] = []
    for i in range(total):
        stream = rng.random() < stream_share
        if originals and rng.random() < repeat_share:
            src = rng.choice(originals)
            plan.append(Planned(src.prompt, src.task, True, stream))
            continue
        task = tasks[len(originals) % len(tasks)]
        item = Planned(make_prompt(task, rng, i), task, False, stream)
        originals.append(item)
        plan.append(item)
    return plan


@dataclass(frozen=True)
class Outcome:
    status: str  # "200", "503", or a transport error's class name
    seconds: float
    cache: str | None  # the x-switchyard-cache header
    model: str | None
    detail: str | None = None  # an error's message (body or exception)


def ok(outcome: Outcome) -> bool:
    return outcome.status.isdigit() and 200 <= int(outcome.status) < 300


def summarize(outcomes: Sequence[Outcome], wall_s: float) -> dict[str, Any]:
    """Counts, errors by status, throughput and latency percentiles of a run."""
    errors = Counter(o.status for o in outcomes if not ok(o))
    seconds = [o.seconds for o in outcomes]
    lat = (
        summary_ms(seconds) if seconds else {"p50_ms": None, "p90_ms": None, "p99_ms": None, "mean_ms": None}
    )
    return {
        "requests": len(outcomes),
        "ok": len(outcomes) - sum(errors.values()),
        "errors": sum(errors.values()),
        "errors_by_status": dict(sorted(errors.items())),
        "throughput_rps": round(len(outcomes) / wall_s, 1) if wall_s > 0 else None,
        "p50_ms": lat["p50_ms"],
        "p90_ms": lat["p90_ms"],
        "p99_ms": lat["p99_ms"],
        "max_ms": round(max(seconds) * 1000, 3) if seconds else None,
        "mean_ms": lat["mean_ms"],
        "cache_hits": sum(1 for o in outcomes if o.cache == "hit"),
        "models": dict(Counter(o.model for o in outcomes if ok(o) and o.model).most_common()),
        "error_samples": sorted({f"{o.status}: {o.detail}" for o in outcomes if not ok(o)})[:5],
        "wall_s": round(wall_s, 3),
    }


# ---- the run


async def _one(client: Any, url: str, item: Planned) -> Outcome:
    import httpx

    body = {"model": "auto", "messages": [{"role": "user", "content": item.prompt}], "stream": item.stream}
    start = time.perf_counter()
    try:
        async with client.stream("POST", url, json=body) as r:
            data = await r.aread()
        status = str(r.status_code)
        if item.stream and r.status_code == 200 and not data.rstrip().endswith(b"data: [DONE]"):
            status = "incomplete_stream"
        return Outcome(
            status,
            time.perf_counter() - start,
            r.headers.get("x-switchyard-cache"),
            r.headers.get("x-switchyard-model"),
            None if status == "200" else data[:300].decode(errors="replace"),
        )
    except httpx.HTTPError as exc:
        return Outcome(type(exc).__name__, time.perf_counter() - start, None, None, repr(exc)[:300])


async def drive(
    base_url: str, key: str, plan: Sequence[Planned], clients: int
) -> tuple[list[Outcome], float]:
    """``clients`` workers take the plan's requests in order until none is left."""
    import httpx

    url = f"{base_url}/chat/completions"
    todo = iter(plan)
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        headers={"authorization": f"Bearer {key}"}, timeout=60.0, limits=limits
    ) as client:

        async def worker() -> None:
            for item in todo:  # one shared iterator: each request is sent once
                outcomes.append(await _one(client, url, item))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return outcomes, time.perf_counter() - started


@contextmanager
def uvicorn_process(env: dict[str, str], workers: int = 1, timeout: float = 60.0) -> Iterator[str]:
    """The app under uvicorn in a child process on loopback; yields its base URL (…/v1)."""
    import httpx

    from switchyard_tools.devtools.dynamodb_local import free_port
    from switchyard_tools.devtools.web_adapter import stop

    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "switchyard_api.app:app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)


def run(
    root: Path,
    clients: int = 50,
    requests: int = 2000,
    repeat_share: float = 0.2,
    stream_share: float = 0.0,
    workers: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    from switchyard.errors import InputError
    from switchyard_tools.devtools.fake_upstream import FakeUpstream
    from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
    from switchyard_tools.devtools.local import prepare

    if clients < 1 or requests < 1 or workers < 1:
        raise InputError("--clients, --requests and --workers must be >= 1")
    if not 0.0 <= repeat_share <= 1.0 or not 0.0 <= stream_share <= 1.0:
        raise InputError("--repeat-share and --stream-share must be within [0, 1]")
    ddb, _ = prepare(root, LOCAL_TEST_KEY)  # exports the function's environment on DynamoDB Local
    try:
        with FakeUpstream(seed=seed) as up:
            env = {
                **os.environ,
                "OPENAI_BASE_URL": up.base_url,
                "GROQ_BASE_URL": up.base_url,
                "ANTHROPIC_BASE_URL": up.root_url,
                "ANTHROPIC_API_KEY": "bench",
                "BEDROCK_REGION": "us-east-1",
                "BEDROCK_ENDPOINT_URL": up.root_url,
            }
            warm = build_plan(min(20, requests), 0.0, 0.0, seed=seed + 1_000_003)
            plan = build_plan(requests, repeat_share, stream_share, seed=seed)
            with uvicorn_process(env, workers) as base_url:
                asyncio.run(drive(base_url, LOCAL_TEST_KEY, warm, min(clients, len(warm))))
                outcomes, wall = asyncio.run(drive(base_url, LOCAL_TEST_KEY, plan, clients))
            upstream_calls = len(up.requests)
    finally:
        ddb.stop()
    out = summarize(outcomes, wall)
    out.update(
        {
            "clients": clients,
            "repeats": sum(1 for p in plan if p.repeat),
            "streamed": sum(1 for p in plan if p.stream),
            "upstream_calls_incl_warmup": upstream_calls,
            "server": f"uvicorn, {workers} worker(s), own process; fake upstream and DynamoDB Local on loopback",
            "machine": {
                "cpu_count": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
            },
        }
    )
    return out


def render(r: dict[str, Any]) -> str:
    errs = ", ".join(f"{k}: {v}" for k, v in r["errors_by_status"].items()) or "none"
    return "\n".join(
        [
            f"{r['requests']} chat completions, {r['clients']} concurrent clients "
            f"({r['repeats']} repeats, {r['streamed']} streamed) on {r['machine']['cpu_count']} CPUs:",
            f"  throughput {r['throughput_rps']} req/s, wall {r['wall_s']} s",
            f"  latency p50 {r['p50_ms']} ms  p90 {r['p90_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms",
            f"  errors {r['errors']} ({errs}); cache hits {r['cache_hits']}",
            f"  server: {r['server']}",
        ]
    )
