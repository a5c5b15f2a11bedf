"""Regenerate events/*.json: API Gateway HTTP API (payload v2) events, one per route and
failure, named <route>-<expected status>[-<case>].json. The key they carry is the local
test key registered by `switchyard local invoke` (not a secret; never deploy it).

    python scripts/make_events.py
"""

from __future__ import annotations

import json
from pathlib import Path

from switchyard_tools.devtools.events import event
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

OUT = Path(__file__).resolve().parent.parent / "events"


BEARER = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}
USER = lambda text: [{"role": "user", "content": text}]  # noqa: E731


def main() -> None:
    OUT.mkdir(exist_ok=True)
    big = {"model": "auto", "messages": USER("x" * 1_100_000)}
    events = {
        "health-200": event("GET", "/health"),
        "models-200": event("GET", "/v1/models", headers=BEARER),
        "usage-200": event("GET", "/v1/usage", headers=BEARER),
        "usage-400-bad-date": event("GET", "/v1/usage", headers=BEARER, query={"start": "2026-13-01"}),
        "route-200-coding": event(
            "POST",
            "/v1/route",
            {"messages": USER("Write a Python function that merges two sorted lists in O(n).")},
            BEARER,
        ),
        "route-200-x-api-key": event(
            "POST",
            "/v1/route",
            {"messages": USER("What are your business hours?"), "routing_mode": "cost"},
            {"x-api-key": LOCAL_TEST_KEY},
        ),
        "chat-completions-503-no-provider": event(
            "POST",
            "/v1/chat/completions",
            {"model": "auto", "messages": USER("Summarize: the meeting moved to Friday at 3pm.")},
            BEARER,
        ),
        "dispatch-503-no-provider": event(
            "POST",
            "/v1/dispatch",
            {"messages": USER("Translate to French: good morning"), "routing_mode": "cost"},
            {"x-api-key": LOCAL_TEST_KEY},
        ),
        "route-401-wrong-key": event(
            "POST", "/v1/route", {"messages": USER("hi")}, {"authorization": "Bearer sy-not-a-real-key"}
        ),
        "route-401-missing-key": event("POST", "/v1/route", {"messages": USER("hi")}),
        "chat-completions-400-malformed-json": event(
            "POST",
            "/v1/chat/completions",
            headers=BEARER,
            raw='{"model": "auto", "messages": [{"role": "user", "content": "hi"}',
        ),
        "chat-completions-400-empty-messages": event(
            "POST", "/v1/chat/completions", {"model": "auto", "messages": []}, BEARER
        ),
        "chat-completions-400-wrong-types": event(
            "POST",
            "/v1/chat/completions",
            {"model": "auto", "messages": "hello", "temperature": "hot"},
            BEARER,
        ),
        "chat-completions-404-unknown-model": event(
            "POST", "/v1/chat/completions", {"model": "gpt-9-ultra", "messages": USER("hi")}, BEARER
        ),
        "route-400-unknown-mode": event(
            "POST", "/v1/route", {"messages": USER("hi"), "routing_mode": "cheapest"}, BEARER
        ),
        "chat-completions-413-body-too-large": event("POST", "/v1/chat/completions", big, BEARER),
        "unknown-path-404": event("GET", "/v2/nothing", headers=BEARER),
        "feedback-404-unknown-request": event(
            "POST", "/v1/feedback", {"request_id": "req_0000000000000unknown", "rating": "down"}, BEARER
        ),
        "feedback-400-bad-score": event("POST", "/v1/feedback", {"request_id": "req_1", "score": 7}, BEARER),
    }
    for name, ev in events.items():
        (OUT / f"{name}.json").write_text(
            json.dumps(ev, indent=2 if name != "chat-completions-413-body-too-large" else None) + "\n"
        )
    scheduled = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": "2026-11-30T10:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/switchyard-rescore"],
        "detail": {},
    }
    (OUT / "rescore-scheduled.json").write_text(json.dumps(scheduled, indent=2) + "\n")
    print(f"wrote {len(events) + 1} events to {OUT}")


if __name__ == "__main__":
    main()
