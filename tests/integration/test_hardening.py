"""Hardening, round 2 (issue 12): each defect found by the adversarial pass, through the HTTP
API or the handler with events, on DynamoDB Local and the fake upstream."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from switchyard.stores.dynamodb import KeyStore, UsageStore
from switchyard.tenancy import create_key
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_tools.devtools.events import event
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.fake_upstream.faults import BAD_KEY_MESSAGE
from switchyard_tools.devtools.invoke import LambdaContext, invoke
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
from switchyard_tools.devtools.serve import serving
from tests_support import EVENTS, TEMPLATE, shared_matrix_restored, trusted

pytestmark = pytest.mark.integration
Stack = Any
CHAT = "/v1/chat/completions"
UPSTREAM = {  # catalog model → the fake upstream's model name
    "llama-3.1-8b": "llama-3.1-8b-instant",
    "gpt-4o-mini": "gpt-4o-mini",
    "gpt-4o": "gpt-4o",
    "claude-3.5-sonnet": "claude-3-5-sonnet-20241022",
    "llama-3.1-8b-bedrock": "meta.llama3-1-8b-instruct-v1:0",
}


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def unique(text: str) -> str:
    return f"{text} ({uuid.uuid4().hex[:10]})"


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture
def client(provider_env: FakeUpstream) -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


# ---- (2) the hard cap holds under a concurrent burst


def test_a_burst_against_a_hard_cap_spends_at_most_the_cap(
    provider_env: FakeUpstream, api_env: Stack
) -> None:
    tenant = f"capped-{uuid.uuid4().hex[:8]}"
    key = create_key(KeyStore(api_env.tables["KeysTable"], api_env.client), tenant)
    usage = UsageStore(api_env.tables["UsageTable"], api_env.client)
    cap = 0.001
    usage.put_budget(tenant, {"hard_cap_usd": cap})
    headers = {**bearer(key), "cache-control": "no-store"}

    def one(i: int) -> int:
        body = chat(f"What is {i} plus {i}?", model="gpt-4o", max_tokens=20)
        with httpx.Client(timeout=30) as http:
            return http.post(f"{base}/chat/completions", headers=headers, json=body).status_code

    with serving() as base, ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(one, range(50)))
    answered, refused = statuses.count(200), statuses.count(429)
    assert answered + refused == 50, statuses
    assert answered >= 1 and refused >= 1
    month = datetime.now(UTC).strftime("%Y-%m")
    spent = sum(float(i.get("cost_usd", 0)) for i in usage.days(tenant, f"{month}-01", f"{month}-31"))
    assert 0 < spent <= cap, (answered, spent)


# ---- (3) the per-key model allow-list holds on the cache path


def test_a_limited_key_never_gets_a_cached_answer_of_a_model_it_may_not_use(
    client: TestClient, api_env: Stack
) -> None:
    store = KeyStore(api_env.tables["KeysTable"], api_env.client)
    full = create_key(store, "tenant-allow")
    limited = create_key(store, "tenant-allow", ["llama-3.1-8b"])
    body = chat(unique("Prove that there are infinitely many primes."), model="router:quality")
    first = client.post(CHAT, headers=bearer(full), json=body)
    assert first.status_code == 200 and first.headers["x-switchyard-model"] != "llama-3.1-8b"
    assert client.post(CHAT, headers=bearer(full), json=body).headers["x-switchyard-cache"] == "hit"
    r = client.post(CHAT, headers=bearer(limited), json=body)
    assert r.status_code == 200, r.text
    assert r.headers["x-switchyard-model"] == "llama-3.1-8b"
    assert r.headers["x-switchyard-cache"] != "hit"
    streamed = client.post(CHAT, headers=bearer(limited), json={**body, "stream": True})
    assert streamed.headers["x-switchyard-model"] == "llama-3.1-8b"


# ---- (5) a provider's 401/403 fails over; its text never reaches the tenant


@pytest.mark.parametrize("status", [401, 403])
def test_a_provider_refusing_our_key_fails_over_and_stays_private(
    client: TestClient, provider_env: FakeUpstream, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    body = chat(unique("What is the capital of Peru?"))
    chosen = client.post("/v1/route", headers=bearer(LOCAL_TEST_KEY), json=body).json()["decision"]["model"]
    provider_env.fail[UPSTREAM[chosen]] = status
    r = client.post(CHAT, headers=bearer(LOCAL_TEST_KEY), json=body)
    assert r.status_code == 200, r.text
    assert r.json()["router"]["tried"][0] == chosen and r.headers["x-switchyard-model"] != chosen
    # every provider refuses: a generic 502 with the request id; the detail is in the log only
    for m in UPSTREAM.values():
        provider_env.fail[m] = status
    with caplog.at_level(logging.WARNING):
        r = client.post(
            CHAT, headers=bearer(LOCAL_TEST_KEY), json=chat(unique("What is the capital of Chile?"))
        )
    assert r.status_code == 502, r.text
    err = r.json()["error"]
    rid = r.headers["x-switchyard-request-id"]
    assert err["type"] == "upstream_error" and rid in err["message"]
    assert "sk-proj" not in r.text and "Incorrect API key" not in r.text
    assert any(BAD_KEY_MESSAGE in str(getattr(rec, "detail", "")) for rec in caplog.records)
    streamed = client.post(
        CHAT, headers=bearer(LOCAL_TEST_KEY), json=chat(unique("Name a river."), stream=True)
    )
    assert streamed.status_code == 502 and "sk-proj" not in streamed.text


# ---- (6) malformed Lambda events get a 400 JSON response


def _valid() -> dict[str, Any]:
    return event("POST", "/v1/route", chat("hi there"), bearer(LOCAL_TEST_KEY))


def _without(path: str) -> dict[str, Any]:
    e = _valid()
    *parents, last = path.split(".")
    node = e
    for p in parents:
        node = node[p]
    del node[last]
    return e


MALFORMED_EVENTS = {
    "no version": lambda: _without("version"),
    "no requestContext": lambda: _without("requestContext"),
    "no http.method": lambda: _without("requestContext.http.method"),
    "no http": lambda: _without("requestContext.http"),
    "bad base64": lambda: {**_valid(), "body": "not base64 at all!!", "isBase64Encoded": True},
    "body a number": lambda: {**_valid(), "body": 5},
    "body an object": lambda: {**_valid(), "body": {"messages": []}},
    "headers null": lambda: {**_valid(), "headers": None},
    "lone surrogate header": lambda: {**_valid(), "headers": {**_valid()["headers"], "x-a": "\ud800"}},
    "isBase64Encoded a string": lambda: {**_valid(), "isBase64Encoded": "yes"},
    "rawPath a number": lambda: {**_valid(), "rawPath": 7},
    "cookies not a list": lambda: {**_valid(), "cookies": "a=b"},
    "not an object": lambda: ["version", "2.0"],
    "REST API v1 event": lambda: {"httpMethod": "GET", "path": "/health", "headers": {}},
}


@pytest.mark.parametrize("name", list(MALFORMED_EVENTS))
def test_malformed_events_get_a_400_json_response(provider_env: FakeUpstream, name: str) -> None:
    from switchyard_api.handler import handler

    out = handler(MALFORMED_EVENTS[name](), LambdaContext())
    assert out["statusCode"] == 400, out
    assert out["headers"]["content-type"] == "application/json"
    assert json.loads(out["body"])["error"]["code"] == "bad_event"


def test_a_valid_event_still_routes(provider_env: FakeUpstream) -> None:
    from switchyard_api.handler import handler

    out = handler(_valid(), LambdaContext())
    assert out["statusCode"] == 200 and json.loads(out["body"])["decision"]["model"]


# ---- (7) ambiguous credentials are refused


@pytest.mark.parametrize(
    "headers",
    [
        [("authorization", "Basic dXNlcjpwYXNz"), ("x-api-key", LOCAL_TEST_KEY)],
        [("authorization", f"Bearer {LOCAL_TEST_KEY}"), ("x-api-key", "sy-someone-else")],
        [("authorization", f"Bearer {LOCAL_TEST_KEY}"), ("authorization", "Bearer sy-someone-else")],
        [("x-api-key", LOCAL_TEST_KEY), ("x-api-key", "sy-someone-else")],
    ],
    ids=["basic+x-api-key", "bearer-a+x-api-key-b", "two-authorization", "two-x-api-key"],
)
def test_ambiguous_credentials_are_a_401(client: TestClient, headers: list[tuple[str, str]]) -> None:
    r = client.post("/v1/route", headers=headers, json=chat("hello"))
    assert r.status_code == 401 and "Ambiguous credentials" in r.json()["error"]["message"]


def test_the_same_key_in_both_headers_is_accepted(client: TestClient) -> None:
    headers = {"authorization": f"Bearer {LOCAL_TEST_KEY}", "x-api-key": LOCAL_TEST_KEY}
    assert client.post("/v1/route", headers=headers, json=chat("hello")).status_code == 200


def test_two_authorization_headers_in_an_event_are_a_401(provider_env: FakeUpstream) -> None:
    from switchyard_api.handler import handler

    e = event("POST", "/v1/route", chat("hi"), {"authorization": f"Bearer {LOCAL_TEST_KEY},Bearer sy-x"})
    out = handler(e, LambdaContext())
    assert out["statusCode"] == 401


def test_reset_between_tests() -> None:
    deps.reset()


# ---- (1) one tenant's feedback changes its own routing only


@pytest.fixture
def fresh_matrix(
    provider_env: FakeUpstream, api_env: Stack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    """Matrix refreshed on every request; the shared matrix restored after the test."""
    monkeypatch.setenv("SWITCHYARD_MATRIX_REFRESH_SECONDS", "0")
    deps.reset()
    try:
        with shared_matrix_restored(api_env):
            yield api_env
    finally:
        deps.reset()


def rescore() -> dict[str, Any]:
    return dict(invoke(TEMPLATE, "RescoreFunction", EVENTS / "rescore-scheduled.json"))


def test_one_tenant_cannot_change_routing_for_another(fresh_matrix: Stack) -> None:
    stack = fresh_matrix
    client = TestClient(create_app(), raise_server_exceptions=False)
    store = KeyStore(stack.tables["KeysTable"], stack.client)
    tag = uuid.uuid4().hex[:8]
    a, b = f"tenant-a-{tag}", f"tenant-b-{tag}"
    key_a = create_key(store, a)
    keys_b = [create_key(store, b) for _ in range(6)]
    hours = chat("What are your business hours?")
    rescore()  # start from a clean window

    def routed(key: str) -> str:
        return str(client.post("/v1/route", headers=bearer(key), json=hours).json()["decision"]["model"])

    assert routed(key_a) == routed(keys_b[0]) == "llama-3.1-8b"
    # B's answers on llama; a free-text rater no longer multiplies one request's votes
    ids = []
    for i in range(12):
        r = client.post(
            CHAT,
            headers={**bearer(keys_b[0]), "cache-control": "no-store"},
            json=chat(f"What are your business hours? (ticket {i})"),
        )
        assert r.status_code == 200 and r.json()["model"] == "llama-3.1-8b", r.text
        ids.append(r.json()["router"]["request_id"])
    raters = set()
    for n in range(300):
        fb = {"request_id": ids[0], "rating": "down", "rater": f"attacker-{n}"}
        r = client.post("/v1/feedback", headers=bearer(keys_b[0]), json=fb)
        assert r.status_code == 200, r.text
        raters.add(r.json()["rater"])
    assert len(raters) == 1 and next(iter(raters)).startswith("rater-") and keys_b[0][:9] not in raters.pop()
    stored = stack.client.query(
        TableName=stack.tables["FeedbackTable"],
        KeyConditionExpression="tenant_request = :k",
        ExpressionAttributeValues={":k": {"S": f"{b}#{ids[0]}"}},
    )["Items"]
    assert len(stored) == 1  # one vote per rater per request
    # at most 5 keys rate one request: the sixth is refused
    for k in keys_b[1:5]:
        assert (
            client.post(
                "/v1/feedback", headers=bearer(k), json={"request_id": ids[0], "rating": "down"}
            ).status_code
            == 200
        )
    sixth = client.post(
        "/v1/feedback", headers=bearer(keys_b[5]), json={"request_id": ids[0], "rating": "down"}
    )
    assert sixth.status_code == 429 and sixth.json()["error"]["code"] == "too_many_raters"
    # B rates all its llama answers down with five keys: 60 votes
    for rid in ids[1:]:
        for k in keys_b[:5]:
            client.post("/v1/feedback", headers=bearer(k), json={"request_id": rid, "rating": "down"})
    summary = rescore()
    assert b in summary["tenants_updated"]
    assert summary["changed"] == [] and summary["regressions"] == []  # the shared matrix is untouched
    assert routed(key_a) == "llama-3.1-8b"  # A routes as before
    assert routed(keys_b[0]) != "llama-3.1-8b"  # B's own experience moved B's routing


def test_a_trusted_tenant_trains_the_shared_matrix_but_cannot_raise_an_alarm_alone(
    fresh_matrix: Stack,
) -> None:
    stack = fresh_matrix
    client = TestClient(create_app(), raise_server_exceptions=False)
    store = KeyStore(stack.tables["KeysTable"], stack.client)
    tag = uuid.uuid4().hex[:8]
    t = f"tenant-trusted-{tag}"
    keys = [create_key(store, t) for _ in range(5)]
    rescore()
    ids = []
    for i in range(8):
        r = client.post(
            CHAT,
            headers={**bearer(keys[0]), "cache-control": "no-store"},
            json=chat(f"What is {i} times {i}?"),
        )
        ids.append((r.json()["router"]["request_id"], r.json()["model"], r.json()["router"]["task_type"]))
    for rid, _, _ in ids:
        for k in keys:
            client.post("/v1/feedback", headers=bearer(k), json={"request_id": rid, "rating": "down"})
    with trusted(stack, t):
        summary = rescore()
    model, task = ids[0][1], ids[0][2]
    assert (model, task) in {(c["model"], c["task_type"]) for c in summary["changed"]}
    assert summary["regressions"] == []  # 40 bad votes, one tenant: no alarm on the shared matrix
    assert t not in summary["tenants_updated"]


# ---- (9) what a newcomer trips over


def test_usage_budget_spend_agrees_with_the_totals(client: TestClient, api_env: Stack) -> None:
    tenant = f"usage-{uuid.uuid4().hex[:8]}"
    key = create_key(KeyStore(api_env.tables["KeysTable"], api_env.client), tenant)
    for q in ("What is the capital of Peru?", "Write a haiku about rain."):
        assert client.post(CHAT, headers=bearer(key), json=chat(unique(q))).status_code == 200
    report = client.get("/v1/usage", headers=bearer(key)).json()
    assert report["totals"]["cost_usd"] > 0
    assert report["budget"]["spent_usd"] == pytest.approx(report["totals"]["cost_usd"], abs=1e-6)
    # a period that is not the current month still reports this month's spend in the budget
    old = client.get("/v1/usage", headers=bearer(key), params={"start": "2025-01-01", "end": "2025-01-31"})
    assert old.json()["totals"]["cost_usd"] == 0
    assert old.json()["budget"]["spent_usd"] == pytest.approx(report["totals"]["cost_usd"], abs=1e-6)


def test_a_named_model_is_not_presented_as_a_routing_decision(client: TestClient) -> None:
    r = client.post(CHAT, headers=bearer(LOCAL_TEST_KEY), json=chat(unique("Hello"), model="llama-3.1-8b"))
    assert r.status_code == 200, r.text
    router = r.json()["router"]
    assert router["mode"] == "pinned" and router["reasons"] == [
        "llama-3.1-8b named in the request: not routed"
    ]
    assert "x-switchyard-task" not in r.headers and "x-switchyard-complexity" not in r.headers
    assert r.headers["x-switchyard-routed"] == "false"
    routed = client.post(CHAT, headers=bearer(LOCAL_TEST_KEY), json=chat(unique("Hello")))
    assert "x-switchyard-task" in routed.headers and "x-switchyard-routed" not in routed.headers


def test_dispatch_returns_the_router_object_once(client: TestClient) -> None:
    r = client.post(
        "/v1/dispatch",
        headers=bearer(LOCAL_TEST_KEY),
        json={"messages": [{"role": "user", "content": unique("Hi")}]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "router" in body and "router" not in body["completion"]


def test_a_stream_that_finished_then_stalled_is_finished(
    client: TestClient, provider_env: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHYARD_PROVIDER_FIRST_BYTE_TIMEOUT", "0.5")
    deps.reset()
    client = TestClient(create_app(), raise_server_exceptions=False)
    body = chat(unique("What is the capital of Peru?"), model="gpt-4o-mini", stream=True)
    provider_env.stall_after_finish["gpt-4o-mini"] = 2.0  # past the read timeout, before [DONE]
    r = client.post(CHAT, headers=bearer(LOCAL_TEST_KEY), json=body)
    assert r.status_code == 200
    assert "stream_interrupted" not in r.text and r.text.rstrip().endswith("data: [DONE]")
    assert "Peru" in r.text  # the answer's words arrived
    # a stream cut before its finish chunk is still reported as interrupted
    provider_env.stall_after_finish.clear()
    provider_env.drop_after["gpt-4o-mini"] = 3
    cut = client.post(
        CHAT, headers=bearer(LOCAL_TEST_KEY), json={**body, "messages": chat(unique("Hi"))["messages"]}
    )
    assert "stream_interrupted" in cut.text


def test_n_above_one_routes_to_a_model_that_can_answer_it(client: TestClient) -> None:
    r = client.post(
        "/v1/route", headers=bearer(LOCAL_TEST_KEY), json={**chat("Write a poem about the sea"), "n": 2}
    )
    assert r.status_code == 200, r.text
    d = r.json()["decision"]
    assert d["model"] in {"gpt-4o-mini", "gpt-4o"} and set(d["fallbacks"]) <= {"gpt-4o-mini", "gpt-4o"}
