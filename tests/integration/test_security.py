"""Security properties, on DynamoDB Local with the fake upstream: keys hashed at rest and
compared in constant time; tenants isolated (cache, feedback, usage, request log); hostile
bodies refused with OpenAI-style 4xx; no secret and no prompt text in the logs."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from switchyard import tenancy
from switchyard.stores.dynamodb import KeyStore, RequestLog, from_ddb
from switchyard.tenancy import create_key
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_api.handler import handler
from switchyard_tools.devtools.events import event
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.invoke import LambdaContext
from switchyard_tools.devtools.serve import serving

pytestmark = pytest.mark.integration
Stack = Any  # tests/conftest.py's Stack: DynamoDB Local's client and table names
CHAT, ROUTE, DISPATCH, FEEDBACK = "/v1/chat/completions", "/v1/route", "/v1/dispatch", "/v1/feedback"
BODY_ROUTES = [CHAT, DISPATCH, ROUTE, FEEDBACK]


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}


def unique(text: str) -> str:
    return f"{text} ({uuid.uuid4().hex[:10]})"


def scan(stack: Stack, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.tables[table]}
    while True:
        resp = stack.client.scan(**kwargs)
        items += resp.get("Items", [])
        if "LastEvaluatedKey" not in resp:
            return items
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def partition(stack: Stack, tenant_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": stack.tables["RequestLogTable"],
        "KeyConditionExpression": "tenant_id = :t",
        "ExpressionAttributeValues": {":t": {"S": tenant_id}},
    }
    while True:
        resp = stack.client.query(**kwargs)
        items += [from_ddb(i) for i in resp.get("Items", [])]
        if "LastEvaluatedKey" not in resp:
            return items
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def assert_openai_error(r: Any, *statuses: int) -> dict[str, Any]:  # httpx or TestClient's
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert set(err) >= {"message", "type", "param", "code"} and err["message"] and err["code"]
    assert "Traceback" not in r.text
    return dict(err)


@pytest.fixture
def client(provider_env: FakeUpstream) -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


@pytest.fixture
def keys(api_env: Stack) -> dict[str, str]:
    """A fresh key for each of two tenants."""
    store = KeyStore(api_env.tables["KeysTable"], api_env.client)
    return {t: create_key(store, t) for t in ("tenant-a", "tenant-b")}


# ---- (1) keys are hashed at rest


def test_keys_are_stored_only_as_sha256(api_env: Stack) -> None:
    key = create_key(KeyStore(api_env.tables["KeysTable"], api_env.client), "tenant-a")
    secret = key[len(tenancy.key_id(key)) :]  # what follows the short id that is safe to show
    items = scan(api_env, "KeysTable")
    assert len(items) >= 2
    for item in items:
        blob = json.dumps(item)
        assert key not in blob and secret not in blob
    digest = hashlib.sha256(key.encode()).hexdigest()
    mine = [from_ddb(i) for i in items if i["key_hash"]["S"] == digest]
    assert len(mine) == 1 and mine[0]["tenant_id"] == "tenant-a"
    assert re.fullmatch(r"[0-9a-f]{64}", mine[0]["key_hash"]) and tenancy.hash_key(key) == digest
    assert mine[0]["key_id"] == key[:9] and len(key) > 40  # only a short prefix is kept in clear


# ---- (2) constant-time comparison


@pytest.fixture
def compare_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def recording(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)  # the module tenancy calls
    return calls


def test_verify_compares_in_constant_time_on_hit_and_miss(compare_calls: list[tuple[str, str]]) -> None:
    key = tenancy.new_key()
    digest = tenancy.hash_key(key)
    record = tenancy.ApiKeyRecord(key_hash=digest, tenant_id="t", key_id=tenancy.key_id(key), created_at="x")
    assert tenancy.verify(record, digest) is not None  # hit
    assert compare_calls == [(digest, digest)]
    wrong = tenancy.hash_key(key[:-1] + ("A" if key[-1] != "A" else "B"))
    assert tenancy.verify(record, wrong) is None  # a record whose hash differs
    assert tenancy.verify(None, wrong) is None  # no record at all
    disabled = record.model_copy(update={"disabled": True})
    assert tenancy.verify(disabled, digest) is None
    assert len(compare_calls) == 4
    assert all(len(a) == len(b) == 64 for a, b in compare_calls)  # same work whatever the outcome


def test_api_rejects_key_differing_in_last_char(
    client: TestClient, keys: dict[str, str], compare_calls: list[tuple[str, str]]
) -> None:
    key = keys["tenant-a"]
    near = key[:-1] + ("A" if key[-1] != "A" else "B")
    ok = client.post(ROUTE, headers=bearer(key), json=ask("hello"))
    assert ok.status_code == 200, ok.text
    assert compare_calls, "a hit goes through hmac.compare_digest"
    compare_calls.clear()
    r = client.post(ROUTE, headers=bearer(near), json=ask("hello"))
    assert assert_openai_error(r, 401)["code"] == "invalid_api_key"
    assert compare_calls, "a miss goes through hmac.compare_digest too"
    r = client.post(ROUTE, headers={"x-api-key": near}, json=ask("hello"))
    assert assert_openai_error(r, 401)["code"] == "invalid_api_key"


# ---- (3) tenants are isolated


def test_other_tenant_never_gets_a_cached_answer(
    client: TestClient, provider_env: FakeUpstream, keys: dict[str, str]
) -> None:
    q = unique("What is the capital of Peru?")
    a1 = client.post(CHAT, headers=bearer(keys["tenant-a"]), json=ask(q))
    a2 = client.post(CHAT, headers=bearer(keys["tenant-a"]), json=ask(q))
    assert (a1.headers["x-switchyard-cache"], a2.headers["x-switchyard-cache"]) == ("miss", "hit")
    assert len(provider_env.requests) == 1
    b = client.post(CHAT, headers=bearer(keys["tenant-b"]), json=ask(q))
    assert b.status_code == 200 and b.headers["x-switchyard-cache"] == "miss"
    assert len(provider_env.requests) == 2  # B's request went upstream


def test_other_tenant_cannot_rate_a_request(client: TestClient, api_env: Stack, keys: dict[str, str]) -> None:
    a = client.post(CHAT, headers=bearer(keys["tenant-a"]), json=ask(unique("Name a prime number.")))
    rid = a.headers["x-switchyard-request-id"]
    log = RequestLog(api_env.tables["RequestLogTable"], api_env.client)
    before = log.get("tenant-a", rid)
    assert before is not None
    r = client.post(FEEDBACK, headers=bearer(keys["tenant-b"]), json={"request_id": rid, "rating": "down"})
    err = assert_openai_error(r, 404)
    assert err["code"] == "request_not_found" and err["param"] == "request_id"
    assert log.get("tenant-a", rid) == before and log.get("tenant-b", rid) is None
    rated = [i for i in scan(api_env, "FeedbackTable") if rid in json.dumps(i)]
    assert rated == []
    ok = client.post(FEEDBACK, headers=bearer(keys["tenant-a"]), json={"request_id": rid, "rating": "up"})
    assert ok.status_code == 200, ok.text  # the owner can
    rated = [from_ddb(i) for i in scan(api_env, "FeedbackTable") if rid in json.dumps(i)]
    assert [(i["tenant_id"], i["score"]) for i in rated] == [("tenant-a", 1)]


def test_other_tenant_cannot_read_usage(client: TestClient, keys: dict[str, str]) -> None:
    def usage(who: str, **params: str) -> dict[str, Any]:
        r = client.get("/v1/usage", headers=bearer(keys[who]), params=params)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    b_before, a_before = usage("tenant-b"), usage("tenant-a")
    r = client.post(CHAT, headers=bearer(keys["tenant-a"]), json=ask(unique("Name a river."), temperature=0))
    assert r.status_code == 200 and r.headers["x-switchyard-cache"] == "miss"
    a_after = usage("tenant-a")
    assert a_after["totals"]["requests"] == a_before["totals"]["requests"] + 1
    for b in (
        usage("tenant-b"),
        usage("tenant-b", tenant_id="tenant-a"),
        usage("tenant-b", tenant="tenant-a"),
    ):
        assert b["tenant_id"] == "tenant-b"
        assert b["totals"] == b_before["totals"]  # A's request shows nowhere in B's report


def test_request_log_is_partitioned_by_tenant(
    client: TestClient, api_env: Stack, keys: dict[str, str]
) -> None:
    mine = {
        t: client.post(CHAT, headers=bearer(k), json=ask(unique(f"Say hi to {t}"))).headers[
            "x-switchyard-request-id"
        ]
        for t, k in keys.items()
    }
    a, b = partition(api_env, "tenant-a"), partition(api_env, "tenant-b")
    assert mine["tenant-a"] in {i["request_id"] for i in a} and mine["tenant-b"] in {
        i["request_id"] for i in b
    }
    assert {i["tenant_id"] for i in a} == {"tenant-a"} and {i["tenant_id"] for i in b} == {"tenant-b"}
    assert not {i["request_id"] for i in a} & {i["request_id"] for i in b}
    for item in scan(api_env, "RequestLogTable"):
        assert item["tenant_id"]["S"]  # every item carries its tenant partition


# ---- (4) hostile bodies: 4xx with OpenAI error JSON, never a 500


def nested(depth: int) -> bytes:
    return b'{"messages": [{"role": "user", "content": "x"}], "x": ' + b"[" * depth + b"]" * depth + b"}"


MALFORMED: dict[str, bytes] = {
    "invalid JSON": b'{"messages": [',
    "not UTF-8": b'{"messages": "\xff\xfe"}',
    "JSON array": b'[{"role": "user", "content": "hi"}]',
    "JSON string": b'"hello"',
    "JSON null": b"null",
    "wrong types": b'{"messages": {"role": "user"}, "request_id": 7, "score": "high", "max_tokens": "x"}',
    "nested 10,000 arrays": b"[" * 10_000 + b"]" * 10_000,
    "nested 10,000 objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "nested 10,000 in a valid body": nested(10_000),
    "nested 100 in a valid body": nested(100),
    "NaN": b'{"messages": [{"role": "user", "content": "x"}], "temperature": NaN, "x": NaN}',
    "Infinity": b'{"messages": [{"role": "user", "content": "x"}], "x": -Infinity}',
    "1e999": b'{"messages": [{"role": "user", "content": "x"}], "x": 1e999}',
    "5,000-digit integer": b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": '
    + b"9" * 5000
    + b"}",
    "lone surrogate": b'{"messages": [{"role": "user", "content": "hi \\ud800 there"}], "request_id": "\\udfff"}',
}


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_bodies_get_openai_4xx(
    client: TestClient, provider_env: FakeUpstream, keys: dict[str, str], path: str, name: str
) -> None:
    r = client.post(
        path,
        headers={**bearer(keys["tenant-a"]), "content-type": "application/json"},
        content=MALFORMED[name],
    )
    err = assert_openai_error(r, 400)
    assert err["type"] == "invalid_request_error"
    assert provider_env.requests == []


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SWITCHYARD_MAX_BODY_BYTES", "2000")
    deps.reset()
    return 2000


@pytest.mark.parametrize("path", BODY_ROUTES)
def test_body_over_limit_with_content_length_is_413(
    client: TestClient, keys: dict[str, str], small_limit: int, path: str
) -> None:
    body = json.dumps(ask("x" * 5 * small_limit)).encode()
    r = client.post(
        path, headers={**bearer(keys["tenant-a"]), "content-type": "application/json"}, content=body
    )
    assert r.request.headers["content-length"] == str(len(body))
    assert assert_openai_error(r, 413)["code"] == "request_too_large"


def test_chunked_body_over_limit_is_413_over_http(
    provider_env: FakeUpstream, keys: dict[str, str], small_limit: int
) -> None:
    """Through uvicorn on loopback: Transfer-Encoding: chunked, no Content-Length."""

    def chunks() -> Iterator[bytes]:
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(20):
            yield b"x" * 500
        yield b'"}]}'

    with serving() as base_url, httpx.Client(timeout=10) as http:
        r = http.post(
            f"{base_url}/chat/completions",
            headers={**bearer(keys["tenant-a"]), "content-type": "application/json"},
            content=chunks(),
        )
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    assert assert_openai_error(r, 413)["code"] == "request_too_large"
    assert provider_env.requests == []


def test_chunked_body_is_not_buffered_past_the_limit(keys: dict[str, str], small_limit: int) -> None:
    """ASGI directly: the app stops reading a body without Content-Length once it is over the
    limit, instead of taking all of it into memory first."""
    app = create_app()
    chunk, total = 500, 400  # 200 kB offered, the limit is 2 kB
    received: list[int] = []
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received.append(chunk)
        more = len(received) < total
        return {"type": "http.request", "body": b"[" + b" " * (chunk - 1), "more_body": more}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": CHAT,
        "raw_path": CHAT.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {keys['tenant-a']}".encode()),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    loop = asyncio.new_event_loop()  # not asyncio.run: that unsets the loop Mangum later looks up
    try:
        loop.run_until_complete(app(scope, receive, send))
    finally:
        loop.close()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    assert start["status"] == 413 and body["error"]["code"] == "request_too_large"
    assert sum(received) <= small_limit + chunk  # read up to the limit, not the 200 kB


# ---- (5) no secret and no prompt text in the logs


def lambda_event(path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as in events/*.json."""
    return event("POST", path, body, {"authorization": f"Bearer {key}"})


@pytest.fixture
def all_log_output(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    """Everything the loggers write at their configured levels (left as they are): caplog's records, and the
    formatted lines of every stream handler (Powertools' JSON lines to stdout) redirected here."""
    buffer = io.StringIO()
    swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
    loggers = [logging.getLogger()]
    loggers += [
        lg for lg in list(logging.Logger.manager.loggerDict.values()) if isinstance(lg, logging.Logger)
    ]
    handlers = {id(h): h for lg in loggers for h in lg.handlers}  # one handler may serve many loggers
    for h in handlers.values():
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler):
            swapped.append((h, h.stream))
            h.setStream(buffer)
    yield lambda: buffer.getvalue() + "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for h, stream in swapped:
        h.setStream(stream)


def test_logs_hold_no_secret_and_no_prompt(
    provider_env: FakeUpstream,
    api_env: Stack,
    keys: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    all_log_output: Callable[[], str],
) -> None:
    provider_key = f"sk-marker-{uuid.uuid4().hex}"
    for name in ("OPENAI_API_KEY", "GROQ_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(name, provider_key)
    deps.reset()
    prompt_marker = f"zebra-{uuid.uuid4().hex}"
    api_key = keys["tenant-a"]
    prompt = f"What is the capital of Peru? {prompt_marker}"

    ok = handler(lambda_event(CHAT, ask(prompt), api_key), LambdaContext())
    assert ok["statusCode"] == 200, ok["body"][:300]
    rid = ok["headers"]["x-switchyard-request-id"]
    streamed = handler(lambda_event(CHAT, ask(prompt + " again", stream=True), api_key), LambdaContext())
    assert streamed["statusCode"] == 200
    bad = handler(
        lambda_event(CHAT, {"messages": [{"role": "wizard", "content": prompt}]}, api_key), LambdaContext()
    )
    assert bad["statusCode"] == 400
    provider_env.fail.update(dict.fromkeys(("llama-3.1-8b-instant", "gpt-4o-mini", "gpt-4o"), 500))
    provider_env.fail.update(
        dict.fromkeys(("claude-3-5-sonnet-20241022", "meta.llama3-1-8b-instruct-v1:0"), 500)
    )
    failed = handler(lambda_event(CHAT, ask(prompt + " failing"), api_key), LambdaContext())
    assert failed["statusCode"] == 502  # the failure path logs warnings

    out = capsys.readouterr()
    logged = out.out + out.err + all_log_output()
    assert "Switchyard" in logged  # the capture works: the EMF metric lines are in it
    for secret in (prompt_marker, provider_key, api_key, api_key[len(tenancy.key_id(api_key)) :]):
        assert secret not in logged
    # the provider key did reach the upstream (so its absence from the logs means something)
    assert any(provider_key in json.dumps(r["headers"]) for r in provider_env.requests)
    item = RequestLog(api_env.tables["RequestLogTable"], api_env.client).get("tenant-a", rid)
    assert item is not None and prompt_marker not in json.dumps(item)  # off by default

    monkeypatch.setenv("SWITCHYARD_LOG_PROMPTS", "true")
    deps.reset()
    provider_env.fail.clear()
    on = handler(lambda_event(CHAT, ask(prompt + " stored"), api_key), LambdaContext())
    assert on["statusCode"] == 200
    item = RequestLog(api_env.tables["RequestLogTable"], api_env.client).get(
        "tenant-a", on["headers"]["x-switchyard-request-id"]
    )
    assert item is not None and prompt_marker in item["prompt"]
