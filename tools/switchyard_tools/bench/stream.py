"""``switchyard bench stream``: streaming through the deployed code path. The API function
is started the way the streaming shape's Lambda starts it (``devtools.web_adapter``: run.sh,
the template's environment) on DynamoDB Local, with the fake upstream sending a chunk every
``gap`` seconds; this process plays the Lambda Web Adapter. Reported: the function's init
(process start → readiness), and per streamed request the delay from the upstream writing
its first chunk to the client reading the first event, time to first content, and total."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from switchyard_tools.bench.timing import summary_ms

PROMPT = "Tell me in one short sentence what the weather is usually like in Lima during July please"


def run(root: Path, n: int = 20, gap: float = 0.1) -> dict[str, Any]:
    import httpx

    from switchyard_tools.devtools.fake_upstream import FakeUpstream
    from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
    from switchyard_tools.devtools.local import start_stack
    from switchyard_tools.devtools.web_adapter import serving_like_lambda

    ddb, tables, _ = start_stack(root, LOCAL_TEST_KEY, None)
    headers = {"authorization": f"Bearer {LOCAL_TEST_KEY}", "cache-control": "no-store"}
    relay, first_content, totals = [], [], []
    try:
        with FakeUpstream() as up, tempfile.TemporaryDirectory() as tmp:
            env = {"OPENAI_BASE_URL": up.base_url, "OPENAI_API_KEY": "sk-bench", "GROQ_BASE_URL": up.base_url}
            with serving_like_lambda(root, tables, ddb.endpoint, env, Path(tmp) / "log") as fn:
                up.chunk_delay["gpt-4o-mini"] = gap
                for i in range(n + 1):  # the first one warms the connections: not counted
                    body = {
                        "model": "gpt-4o-mini",
                        "stream": True,
                        "messages": [{"role": "user", "content": f"{PROMPT} ({i})"}],
                    }
                    up.first_chunk_at.clear()
                    start = time.monotonic()
                    first_event = first_text = None
                    with httpx.stream(
                        "POST", fn.base_url + "/v1/chat/completions", headers=headers, json=body, timeout=60
                    ) as r:
                        for line in r.iter_lines():
                            if not line.startswith("data: ") or line == "data: [DONE]":
                                continue
                            now = time.monotonic()
                            first_event = first_event or now
                            chunk = json.loads(line[6:])
                            if first_text is None and any(
                                (c.get("delta") or {}).get("content") for c in chunk.get("choices") or []
                            ):
                                first_text = now
                    end = time.monotonic()
                    if i and up.first_chunk_at and first_event and first_text:
                        relay.append(first_event - up.first_chunk_at[0])
                        first_content.append(first_text - start)
                        totals.append(end - start)
                init_ms = fn.ready_ms
    finally:
        ddb.stop()
    return {
        "n": len(relay),
        "gap_s": gap,
        "init_ms": round(init_ms, 1),
        "first_byte_after_upstream": summary_ms(relay),
        "first_content": summary_ms(first_content),
        "total": summary_ms(totals),
    }


def render(r: dict[str, Any]) -> str:
    relay, first, total = r["first_byte_after_upstream"], r["first_content"], r["total"]
    return "\n".join(
        [
            f"deployed code path (run.sh + the template's environment), {r['n']} streams, upstream chunk every {r['gap_s']} s",
            f"  init (process start → readiness check): {r['init_ms']} ms",
            f"  first event after the upstream's first chunk: p50 {relay['p50_ms']} ms  p99 {relay['p99_ms']} ms",
            f"  first content at the client: p50 {first['p50_ms']} ms   whole stream: p50 {total['p50_ms']} ms",
        ]
    )
