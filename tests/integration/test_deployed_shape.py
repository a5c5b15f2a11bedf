"""The streaming shape as Lambda runs it: the function's handler from template.yaml (``run.sh``,
which the Lambda Web Adapter starts during init) with the function's environment from
template.yaml, on DynamoDB Local, with the fake upstream streaming slowly. This process plays
the adapter's part: it waits for the readiness path, then sends the requests.

Timeouts are scaled down (a 1 s total provider timeout, 0.5 s per read) so that a stream
several times longer than every timeout on its path stands in for a 60 s answer behind
API Gateway's 29 s integration limit, in a few seconds of CI."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from switchyard.stores.dynamodb import UsageStore
from switchyard_tools.devtools import template
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
from switchyard_tools.devtools.web_adapter import AdaptedFunction, serving_like_lambda
from tests_support import PROVIDER_NAMES, ROOT, TEMPLATE

pytestmark = pytest.mark.integration
AUTH = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}
GAP = 0.1  # seconds between the fake upstream's chunks
SIXTEEN_WORDS = "Tell me in one short sentence what the weather is usually like in Lima during July please"


@pytest.fixture(scope="module")
def served_like_lambda(
    stack: Any, upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AdaptedFunction]:
    assert template.function(template.load(TEMPLATE), "ApiFunction", "streaming")["Handler"] == "run.sh"
    env = {
        "OPENAI_BASE_URL": upstream.base_url,
        "OPENAI_API_KEY": "sk-test-upstream",
        "GROQ_BASE_URL": upstream.base_url,
        "SWITCHYARD_PROVIDER_TOTAL_TIMEOUT": "1.0",
        "SWITCHYARD_PROVIDER_FIRST_BYTE_TIMEOUT": "0.5",
        "SWITCHYARD_CACHE_ENABLED": "false",
    }
    log = tmp_path_factory.mktemp("lwa") / "stdout.log"
    with serving_like_lambda(ROOT, stack.tables, stack.ddb.endpoint, env, log, PROVIDER_NAMES) as fn:
        yield fn


def stream(
    served: AdaptedFunction, text: str, model: str = "auto"
) -> tuple[list[tuple[float, dict[str, Any] | str]], float]:
    """(each SSE data event with its arrival time since the request was sent, total time)."""
    body = {"model": model, "messages": [{"role": "user", "content": text}], "stream": True}
    events: list[tuple[float, dict[str, Any] | str]] = []
    start = time.monotonic()
    with httpx.stream(
        "POST", served.base_url + "/v1/chat/completions", headers=AUTH, json=body, timeout=30
    ) as r:
        assert r.status_code == 200, r.read()
        for line in r.iter_lines():
            if line.startswith("data: "):
                data = line[6:]
                events.append((time.monotonic() - start, data if data == "[DONE]" else json.loads(data)))
    return events, time.monotonic() - start


def content_times(events: list[tuple[float, dict[str, Any] | str]]) -> list[float]:
    return [
        t
        for t, e in events
        if isinstance(e, dict) and any((c.get("delta") or {}).get("content") for c in e.get("choices") or [])
    ]


def test_tokens_reach_the_client_as_the_upstream_sends_them(
    served_like_lambda: AdaptedFunction, upstream: FakeUpstream
) -> None:
    upstream.chunk_delay["gpt-4o-mini"] = GAP
    try:
        events, total = stream(served_like_lambda, f"{SIXTEEN_WORDS} ({uuid.uuid4().hex[:6]})", "gpt-4o-mini")
    finally:
        upstream.chunk_delay.clear()
    times = content_times(events)
    n = len(times)
    assert n >= 12 and events[-1][1] == "[DONE]"
    assert total > (n - 1) * GAP  # the upstream took its time ...
    # ... and the tokens arrived as it sent them, spread out, not in one burst at the end
    assert times[-1] - times[0] > 0.7 * (n - 1) * GAP


def test_a_stream_longer_than_every_timeout_completes(
    served_like_lambda: AdaptedFunction, upstream: FakeUpstream
) -> None:
    """30 chunks over ~3 s through a path whose provider timeouts are 1 s total and 0.5 s per
    read: the scaled stand-in for a 60 s answer behind a 29 s integration limit."""
    words = " ".join(f"w{i}" for i in range(26))
    upstream.chunk_delay["gpt-4o-mini"] = GAP
    try:
        events, total = stream(served_like_lambda, words, "gpt-4o-mini")
    finally:
        upstream.chunk_delay.clear()
    assert total > 2.0 and events[-1][1] == "[DONE]"  # twice the total timeout, 4x the per-read one
    assert not any(isinstance(e, dict) and "error" in e for _, e in events)
    final = [e for _, e in events if isinstance(e, dict) and "router" in e]
    assert final and final[0]["router"]["model"] == "gpt-4o-mini"


def test_failover_before_the_first_byte_and_the_records_of_a_stream(
    served_like_lambda: AdaptedFunction, upstream: FakeUpstream, stack: Any
) -> None:
    upstream.fail["gpt-4o-mini"] = 500
    try:
        events, _ = stream(served_like_lambda, f"Write a haiku about fog ({uuid.uuid4().hex[:6]})", "auto")
    finally:
        upstream.fail.clear()
    final = next(e for _, e in events if isinstance(e, dict) and "router" in e)
    router = final["router"]
    assert "gpt-4o-mini" not in router["model"] or len(router["tried"]) > 1
    # the streamed answer was recorded: the usage counter (and its cost) for the tenant
    today = time.strftime("%Y-%m-%d", time.gmtime())
    days = UsageStore(stack.tables["UsageTable"], stack.client).days("local-dev", today, today)
    assert any(d["model"] == router["model"] and d["requests"] >= 1 for d in days)
    # the function published its metrics (EMF) for the streamed response, as the handler does
    emf = [json.loads(line) for line in served_like_lambda.log.read_text().splitlines() if '"_aws"' in line]
    assert any("Responses2xx" in e for e in emf) and any("CostUsd" in e for e in emf)


def test_the_snapstart_hooks_reconnect(served_like_lambda: AdaptedFunction) -> None:
    base = served_like_lambda.base_url
    assert httpx.post(base + "/_switchyard/before-checkpoint").status_code == 200
    assert httpx.post(base + "/_switchyard/after-restore").status_code == 200
    r = httpx.post(base + "/v1/route", headers=AUTH, json={"messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200 and r.json()["decision"]["model"]
