"""The openai SDK through the router to each adapter (fake upstream on loopback): plain,
streaming, tool calls and JSON mode."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from switchyard_tools.devtools.fake_upstream import FakeUpstream
from switchyard_tools.devtools.keys import LOCAL_TEST_KEY

pytestmark = pytest.mark.integration
TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Search",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
]
MSG: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What is the capital of Peru?"}]


@pytest.fixture
def client(served: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=served, api_key=LOCAL_TEST_KEY, max_retries=0)


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-3.5-sonnet", "llama-3.1-8b-bedrock"])
def test_plain_and_streaming(client: openai.OpenAI, provider_env: FakeUpstream, model: str) -> None:
    plain = client.chat.completions.create(
        model=model, messages=MSG, extra_headers={"Cache-Control": "no-store"}
    )
    assert plain.model == model and "capital of Peru" in (plain.choices[0].message.content or "")
    chunks = list(
        client.chat.completions.create(
            model=model, messages=MSG, stream=True, extra_headers={"Cache-Control": "no-store"}
        )
    )
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == plain.choices[0].message.content
    )
    paths = {r["path"] for r in provider_env.requests}
    if model.startswith("claude"):
        assert paths == {"/v1/messages"}
    elif model.endswith("bedrock"):
        assert paths == {
            "/model/meta.llama3-1-8b-instruct-v1%3A0/converse",
            "/model/meta.llama3-1-8b-instruct-v1%3A0/converse-stream",
        }
    else:
        assert paths == {"/v1/chat/completions"}


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-3.5-sonnet", "llama-3.1-8b-bedrock"])
def test_tool_calls(client: openai.OpenAI, model: str) -> None:
    out = client.chat.completions.create(model=model, messages=MSG, tools=TOOLS, tool_choice="required")
    calls = out.choices[0].message.tool_calls
    assert calls is not None and len(calls) == 1
    call = calls[0]
    assert call.type == "function"
    assert out.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "lookup" and json.loads(call.function.arguments) == {"q": "test"}
    chunks = list(
        client.chat.completions.create(
            model=model, messages=MSG, tools=TOOLS, tool_choice="required", stream=True
        )
    )
    args = "".join(
        (tc.function.arguments or "")
        for c in chunks
        if c.choices
        for tc in (c.choices[0].delta.tool_calls or [])
        if tc.function
    )
    assert json.loads(args) == {"q": "test"}


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-3.5-sonnet", "llama-3.1-8b-bedrock"])
def test_json_mode(client: openai.OpenAI, model: str) -> None:
    out = client.chat.completions.create(model=model, messages=MSG, response_format={"type": "json_object"})
    assert json.loads(out.choices[0].message.content or "")["ok"] is True
    chunks = list(
        client.chat.completions.create(
            model=model, messages=MSG, response_format={"type": "json_object"}, stream=True
        )
    )
    assert json.loads("".join(c.choices[0].delta.content or "" for c in chunks if c.choices))["ok"] is True
