"""Fault injection: with the first choice failing in each way, requests still succeed
through a fallback; with every provider down, a clear 5xx within the total timeout."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

pytestmark = pytest.mark.integration
AUTH = {"authorization": f"Bearer {LOCAL_TEST_KEY}", "cache-control": "no-store"}
UPSTREAM = {
    "llama-3.1-8b": "llama-3.1-8b-instant",
    "claude-3.5-sonnet": "claude-3-5-sonnet-20241022",
    "llama-3.1-8b-bedrock": "meta.llama3-1-8b-instruct-v1:0",
}
ALL = [
    "llama-3.1-8b-instant",
    "gpt-4o-mini",
    "gpt-4o",
    "claude-3-5-sonnet-20241022",
    "meta.llama3-1-8b-instruct-v1:0",
]


@pytest.fixture
def client(provider_env: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("SWITCHYARD_PROVIDER_FIRST_BYTE_TIMEOUT", "0.5")
    monkeypatch.setenv("SWITCHYARD_PROVIDER_TOTAL_TIMEOUT", "2.0")
    monkeypatch.setenv("SWITCHYARD_RETRY_AFTER_BUDGET", "0.5")
    deps.reset()
    return TestClient(create_app())


def ask(client: TestClient, stream: bool = False):
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": "What is the capital of Peru?"}],
        "stream": stream,
    }
    return client.post("/v1/chat/completions", headers=AUTH, json=body)


def first_choice(client: TestClient) -> str:
    r = client.post(
        "/v1/route",
        headers=AUTH,
        json={"messages": [{"role": "user", "content": "What is the capital of Peru?"}]},
    )
    model = r.json()["decision"]["model"]
    return UPSTREAM.get(model, model)


def inject(up: FakeUpstream, how: str, model: str) -> None:
    if how in ("500", "503", "429"):
        up.fail[model] = int(how)
    elif how == "slow":
        up.delay[model] = 1.5  # past the 0.5 s first-byte timeout
    elif how == "malformed":
        up.malformed.add(model)
    elif how == "hang_up":
        up.hang_up.add(model)


@pytest.mark.parametrize("how", ["500", "503", "429", "slow", "malformed", "hang_up"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_fallback_answers_when_first_choice_fails(
    client: TestClient, provider_env: FakeUpstream, how: str, stream: bool
) -> None:
    chosen = first_choice(client)
    inject(provider_env, how, chosen)
    started = time.monotonic()
    r = ask(client, stream)
    assert r.status_code == 200, r.text
    assert (
        r.headers["x-switchyard-model"] != chosen and r.headers["x-switchyard-model"] not in UPSTREAM.values()
    )
    assert time.monotonic() - started < 2.0
    if stream:
        events = [e for e in r.text.split("\n\n") if e.startswith("data: {")]
        assert len({json.loads(e[6:]).get("model") for e in events}) == 1  # one model's answer
    if how != "slow":  # a slow upstream may still finish after the router gave up on it
        assert len(provider_env.successes) == 1


def test_retry_after_is_honoured_once_within_budget(client: TestClient, provider_env: FakeUpstream) -> None:
    chosen = first_choice(client)
    provider_env.fail[chosen] = 429
    provider_env.retry_after[chosen] = "0.2"
    provider_env.fail_times[chosen] = 1
    r = ask(client)
    assert r.status_code == 200
    assert r.json()["router"]["tried"] == [r.json()["model"]] * 2  # the same model, after the wait
    provider_env.reset()
    provider_env.fail[chosen] = 429
    provider_env.retry_after[chosen] = "30"  # over the budget: fail over instead of waiting
    started = time.monotonic()
    r = ask(client)
    assert r.status_code == 200 and time.monotonic() - started < 1.0
    assert (
        len(r.json()["router"]["tried"]) == 2
        and r.json()["router"]["tried"][0] != r.json()["router"]["tried"][1]
    )


def test_every_provider_down_is_a_clear_502(client: TestClient, provider_env: FakeUpstream) -> None:
    for m in ALL:
        provider_env.fail[m] = 500
    r = ask(client)
    assert r.status_code == 502 and r.json()["error"]["type"] == "upstream_error"


def test_every_provider_slow_ends_within_the_total_timeout(
    client: TestClient, provider_env: FakeUpstream
) -> None:
    for m in ALL:
        provider_env.delay[m] = 0.9
    started = time.monotonic()
    r = ask(client)
    elapsed = time.monotonic() - started
    assert r.status_code in (502, 504), r.text
    assert elapsed < 2.0 + 1.0  # the 2 s budget, plus the last in-flight read


def test_circuit_opens_after_repeated_failures(client: TestClient, provider_env: FakeUpstream) -> None:
    chosen = first_choice(client)
    provider_env.fail[chosen] = 500
    for _ in range(5):
        assert ask(client).status_code == 200
    calls = provider_env.models_called().count(chosen)
    for _ in range(3):
        r = ask(client)
        assert r.status_code == 200 and r.json()["router"]["tried"][0] != {
            v: k for k, v in UPSTREAM.items()
        }.get(chosen, chosen)
    assert provider_env.models_called().count(chosen) == calls  # skipped, not called
