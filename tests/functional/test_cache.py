"""The exact-match cache through the app, on DynamoDB Local with the fake upstream."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from switchyard.settings import get_settings
from switchyard.stores.dynamodb import CacheStore, KeyStore
from switchyard.tenancy import create_key
from switchyard_api import deps
from switchyard_api.app import create_app
from switchyard_api.container import build_container
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

AUTH = {"authorization": f"Bearer {LOCAL_TEST_KEY}"}


def ask(client: TestClient, text: str, headers: dict[str, str] | None = None, **extra: object):
    body = {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}
    return client.post("/v1/chat/completions", headers={**AUTH, **(headers or {})}, json=body)


@pytest.fixture
def client(provider_env: FakeUpstream) -> TestClient:
    return TestClient(create_app())


def unique(text: str) -> str:
    return f"{text} ({uuid.uuid4().hex[:8]})"


def test_repeat_is_served_from_cache(client: TestClient, provider_env: FakeUpstream) -> None:
    q = unique("What is the capital of Peru?")
    first = ask(client, q)
    assert first.status_code == 200 and first.headers["x-switchyard-cache"] == "miss"
    second = ask(client, q)
    assert second.status_code == 200 and second.headers["x-switchyard-cache"] == "hit"
    assert len(provider_env.requests) == 1
    assert second.json()["choices"] == first.json()["choices"]
    router = second.json()["router"]
    assert router["cost_usd"] == 0 and router["savings_usd"] == router["baseline_cost_usd"] > 0
    assert router["request_id"] != first.json()["router"]["request_id"]


def test_same_question_in_other_words_hits_normalized(client: TestClient, provider_env: FakeUpstream) -> None:
    tag = uuid.uuid4().hex[:8]
    ask(client, f"What is the capital of Peru? ({tag})")
    r = ask(client, f"what's the capital of peru ({tag})")
    assert r.headers["x-switchyard-cache"] == "hit" and r.json()["router"]["cache_level"] == "normalized"
    for different in (f"What is the capital of Chile? ({tag})", f"What was the capital of Peru? ({tag})"):
        assert ask(client, different).headers["x-switchyard-cache"] == "miss"
    assert len(provider_env.requests) == 3


def test_semantic_level_serves_rewordings_only_in_the_same_context(
    client: TestClient,
    provider_env: FakeUpstream,
    api_env,
) -> None:
    tag = uuid.uuid4().hex[:8]
    ask(client, f"How do I reset my password on the {tag} portal?")
    r = ask(client, f"how can I reset my password on the {tag} portal")
    assert r.headers["x-switchyard-cache"] == "hit", r.headers
    assert r.json()["router"]["cache_level"] == "semantic"
    assert r.headers["x-switchyard-cache-level"] == "semantic"
    assert 0.9 <= float(r.headers["x-switchyard-cache-similarity"]) <= 1.0
    assert len(provider_env.requests) == 1
    # another tenant, another system prompt, another direction: never
    other = create_key(KeyStore(api_env.tables["KeysTable"], api_env.client), f"tenant-sem-{tag}")
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": f"how can I reset my password on the {tag} portal"}],
    }
    assert (
        client.post("/v1/chat/completions", headers={"authorization": f"Bearer {other}"}, json=body).headers[
            "x-switchyard-cache"
        ]
        == "miss"
    )
    system = [{"role": "system", "content": "Answer as a pirate."}]
    r = ask(
        client,
        "x",
        messages=[*system, {"role": "user", "content": f"how can I reset my password on the {tag} portal"}],
    )
    assert r.headers["x-switchyard-cache"] == "miss"
    ask(client, f"Convert 10 km to miles for the {tag} race")
    assert ask(client, f"Convert 10 miles to km for the {tag} race").headers["x-switchyard-cache"] == "miss"
    assert len(provider_env.requests) == 5


def test_other_tenant_never_gets_the_entry(client: TestClient, provider_env: FakeUpstream, api_env) -> None:
    q = unique("What is the capital of Chile?")
    ask(client, q)
    other = create_key(KeyStore(api_env.tables["KeysTable"], api_env.client), "tenant-b")
    r = client.post(
        "/v1/chat/completions",
        headers={"authorization": f"Bearer {other}"},
        json={"model": "auto", "messages": [{"role": "user", "content": q}]},
    )
    assert r.headers["x-switchyard-cache"] == "miss" and len(provider_env.requests) == 2


def test_context_changes_miss(client: TestClient, provider_env: FakeUpstream) -> None:
    q = unique("and how old is she?")
    ask(client, q)
    for system in ("We are talking about the Queen of Denmark.", "We are talking about Taylor Swift."):
        r = client.post(
            "/v1/chat/completions",
            headers=AUTH,
            json={
                "model": "auto",
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": q}],
            },
        )
        assert r.headers["x-switchyard-cache"] == "miss"
    assert len(provider_env.requests) == 3


def test_no_cache_header_and_hot_temperature_bypass(client: TestClient, provider_env: FakeUpstream) -> None:
    q = unique("Name three rivers in Europe.")
    ask(client, q)
    r = ask(client, q, headers={"Cache-Control": "no-cache"})
    assert r.headers["x-switchyard-cache"] == "bypass"
    hot = ask(client, q, temperature=1.8)
    assert hot.headers["x-switchyard-cache"] == "bypass"
    assert len(provider_env.requests) == 3


def test_errors_and_truncated_answers_are_not_cached(client: TestClient, provider_env: FakeUpstream) -> None:
    q = unique("What is the tallest mountain in Africa?")
    provider_env.fail.update(
        {
            "llama-3.1-8b-instant": 500,
            "gpt-4o-mini": 500,
            "gpt-4o": 500,
            "claude-3-5-sonnet-20241022": 500,
            "meta.llama3-1-8b-instruct-v1:0": 500,
        }
    )
    assert ask(client, q).status_code == 502
    provider_env.fail.clear()
    provider_env.finish.update({"llama-3.1-8b-instant": "length", "gpt-4o-mini": "length"})
    assert ask(client, q).headers["x-switchyard-cache"] == "miss"
    provider_env.finish.clear()
    assert ask(client, q).headers["x-switchyard-cache"] == "miss"  # the truncated answer was not stored
    assert ask(client, q).headers["x-switchyard-cache"] == "hit"


def test_ttl_expiry_is_honoured(
    client: TestClient, provider_env: FakeUpstream, api_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CacheStore(api_env.tables["CacheTable"], api_env.client)
    store.put_many({"t#k": {"body": "{}", "model": "gpt-4o-mini", "expires_at": 1000}})
    assert store.get_first(["t#x", "t#k"], now=999.0) is not None
    assert store.get_first(["t#k"], now=1000.5) is None
    monkeypatch.setenv("SWITCHYARD_CACHE_TTL_SECONDS", "60")
    monkeypatch.setenv("SWITCHYARD_CACHE_TTL_BY_TASK", "{}")
    deps.reset()
    # the container on an injected clock, through the app's dependency overrides: no sleeping
    now = [time.time()]
    container = build_container(get_settings(), clock=lambda: now[0])
    app = create_app()
    app.dependency_overrides[deps.container] = lambda: container
    fresh = TestClient(app)
    q = unique("What is the capital of Peru?")
    assert ask(fresh, q).headers["x-switchyard-cache"] == "miss"
    now[0] += 59.0
    assert ask(fresh, q).headers["x-switchyard-cache"] == "hit"
    now[0] += 2.0  # past the entry's expiry (rounded up to the second)
    assert ask(fresh, q).headers["x-switchyard-cache"] == "miss"
    container.close()
