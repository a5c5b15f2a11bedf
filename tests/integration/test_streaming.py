"""Streaming with the official openai SDK through uvicorn (incremental), and through the
Lambda handler (one buffered, well-formed SSE body)."""

from __future__ import annotations

import json
import uuid

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from switchyard_tools.devtools.events import event
from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.invoke import LambdaContext, load_handler
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY
from tests_support import TEMPLATE

pytestmark = pytest.mark.integration


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=LOCAL_TEST_KEY, max_retries=0)


def ask(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": f"{text} ({uuid.uuid4().hex[:6]})"}]


def test_sdk_streams_with_usage_and_router_info(served: str, provider_env: FakeUpstream) -> None:
    stream = sdk(served).chat.completions.create(
        model="auto",
        messages=ask("What is the capital of Peru?"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("[") and "capital of Peru" in text
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finish) == 1 and finish[0].choices[0].finish_reason == "stop"
    assert finish[0].model_extra is not None
    router = finish[0].model_extra["router"]
    assert router["model"] == chunks[0].model and router["cost_usd"] > 0
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_stream_fails_over_before_the_first_chunk(served: str, provider_env: FakeUpstream) -> None:
    msgs = ask("What is the capital of Peru?")
    first = sdk(served).chat.completions.create(model="auto", messages=msgs, stream=True)
    chosen = next(iter(first)).model
    provider_env.fail[{"llama-3.1-8b": "llama-3.1-8b-instant"}.get(chosen, chosen)] = 500
    chunks = list(
        sdk(served).chat.completions.create(
            model="auto", messages=ask("What is the capital of Peru?"), stream=True
        )
    )
    assert chunks[0].model != chosen
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_broken_stream_ends_with_an_error_not_silence(served: str, provider_env: FakeUpstream) -> None:
    provider_env.drop_after.update(
        {
            "llama-3.1-8b-instant": 3,
            "gpt-4o-mini": 3,
            "gpt-4o": 3,
            "claude-3-5-sonnet-20241022": 3,
            "meta.llama3-1-8b-instruct-v1:0": 3,
        }
    )
    try:
        stream = sdk(served).chat.completions.create(
            model="auto", messages=ask("What is the capital of Peru?"), stream=True
        )
        with pytest.raises(openai.APIError, match="interrupted"):
            for _ in stream:
                pass
    finally:
        provider_env.drop_after.clear()
    assert len(provider_env.requests) == 1  # nothing was retried after the first chunk


def test_cached_answer_replays_as_a_stream(served: str, provider_env: FakeUpstream) -> None:
    msgs = ask("Name the longest river in Africa.")
    plain = sdk(served).chat.completions.create(model="auto", messages=msgs)
    chunks = list(sdk(served).chat.completions.create(model="auto", messages=msgs, stream=True))
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == plain.choices[0].message.content
    )
    assert len(provider_env.requests) == 1


def test_lambda_handler_returns_one_well_formed_sse_body(provider_env: FakeUpstream) -> None:
    handler = load_handler(TEMPLATE, "ApiFunction")
    body = {"model": "auto", "messages": ask("What is the capital of Peru?"), "stream": True}
    out = handler(
        event("POST", "/v1/chat/completions", body, {"authorization": f"Bearer {LOCAL_TEST_KEY}"}),
        LambdaContext(),
    )
    assert out["statusCode"] == 200 and out["headers"]["content-type"].startswith("text/event-stream")
    events = [e for e in out["body"].split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    payloads = [json.loads(e[6:]) for e in events[:-1]]
    assert payloads[-1]["choices"][0]["finish_reason"] == "stop" and "router" in payloads[-1]
