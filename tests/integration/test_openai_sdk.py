"""The official openai SDK against the app served by uvicorn on loopback, with DynamoDB
Local and a fake OpenAI-compatible upstream (both real servers on 127.0.0.1)."""

from __future__ import annotations

import httpx
import openai
import pytest

from switchyard.stores.dynamodb import RequestLog
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

pytestmark = pytest.mark.integration


def sdk(base_url: str, key: str = LOCAL_TEST_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)


def test_completion_with_routing_headers_and_log(served: str, provider_env: FakeUpstream, api_env) -> None:
    client = sdk(served)
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "What is the capital of Peru?"}]
    )
    completion = raw.parse()
    model = raw.headers["x-switchyard-model"]
    assert completion.model == model
    content = completion.choices[0].message.content
    assert content is not None and content.startswith("[")
    assert raw.headers["x-switchyard-task"] == "qa"
    assert float(raw.headers["x-switchyard-cost-usd"]) <= float(raw.headers["x-switchyard-baseline-cost-usd"])
    assert completion.model_extra is not None
    router = completion.model_extra["router"]
    # a qa prompt routed below the baseline: the savings are the difference, and positive
    assert router["model"] == model and router["savings_usd"] > 0
    assert router["savings_usd"] == pytest.approx(router["baseline_cost_usd"] - router["cost_usd"], abs=1e-8)
    # the request log holds the numbers and no prompt text
    item = RequestLog(api_env.tables["RequestLogTable"], api_env.client).get(
        "local-dev", router["request_id"]
    )
    assert item is not None
    assert item["model"] == model and item["task_type"] == "qa" and item["input_tokens"] > 0
    assert "prompt" not in item and "Peru" not in str(item)


def test_route_picks_different_models_for_different_prompts(served: str) -> None:
    prompts = {
        "What is the capital of Peru?": None,
        "Implement a thread-safe LRU cache in Rust with generics and unit tests.": None,
    }
    with httpx.Client(headers={"authorization": f"Bearer {LOCAL_TEST_KEY}"}) as h:
        for p in prompts:
            r = h.post(f"{served}/route", json={"messages": [{"role": "user", "content": p}]})
            assert r.status_code == 200
            prompts[p] = r.json()["decision"]["model"]
    assert len(set(prompts.values())) == 2, prompts


def test_failover_to_next_model(served: str, provider_env: FakeUpstream) -> None:
    client = sdk(served)
    first = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "What is the capital of Peru?"}]
    )
    chosen = first.headers["x-switchyard-model"]
    upstream_name = {"llama-3.1-8b": "llama-3.1-8b-instant"}.get(chosen, chosen)
    provider_env.fail[upstream_name] = 503
    again = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "user", "content": "What is the capital of Peru?"}],
        extra_headers={"Cache-Control": "no-cache"},
    )
    assert again.headers["x-switchyard-model"] != chosen
    extra = again.parse().model_extra
    assert extra is not None and extra["router"]["tried"][0] == chosen


def test_client_errors_are_not_retried(served: str, provider_env: FakeUpstream) -> None:
    provider_env.fail.update({"llama-3.1-8b-instant": 400, "gpt-4o-mini": 400, "gpt-4o": 400})
    with pytest.raises(openai.BadRequestError):
        sdk(served).chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
    assert len(provider_env.requests) == 1


def test_sdk_surfaces_router_errors(served: str) -> None:
    with pytest.raises(openai.AuthenticationError):
        sdk(served, key="sy-wrong").chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(openai.NotFoundError):
        sdk(served).chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    models = sdk(served).models.list()
    assert {"auto", "gpt-4o-mini"} <= {m.id for m in models.data}


def test_pinned_model_bypasses_routing(served: str, provider_env: FakeUpstream) -> None:
    raw = sdk(served).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-switchyard-model"] == "gpt-4o"
    assert provider_env.models_called() == ["gpt-4o"]
