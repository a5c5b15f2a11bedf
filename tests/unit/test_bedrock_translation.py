"""OpenAI ↔ Bedrock Converse translation, with shapes written from the Converse API reference."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchyard.catalog import load_catalog
from switchyard.errors import ProviderError
from switchyard.providers.bedrock import from_converse, to_converse, translate_stream

LLAMA = load_catalog().by_id["llama-3.1-8b-bedrock"]


def test_request_translation() -> None:
    body = to_converse(
        LLAMA,
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Weather in Oslo?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "t1",
                            "type": "function",
                            "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "t1", "content": "-3C"},
            ],
            "tools": [
                {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
            ],
            "tool_choice": {"type": "function", "function": {"name": "weather"}},
            "max_tokens": 200,
            "temperature": 0.3,
            "stop": ["###"],
        },
    )
    assert body["modelId"] == "meta.llama3-1-8b-instruct-v1:0" and body["system"] == [{"text": "Be brief."}]
    assert body["inferenceConfig"] == {"maxTokens": 200, "temperature": 0.3, "stopSequences": ["###"]}
    assert body["messages"][1]["content"][0] == {
        "toolUse": {"toolUseId": "t1", "name": "weather", "input": {"city": "Oslo"}}
    }
    assert body["messages"][2]["content"][0] == {
        "toolResult": {"toolUseId": "t1", "content": [{"text": "-3C"}]}
    }
    assert body["toolConfig"]["toolChoice"] == {"tool": {"name": "weather"}}
    assert body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"] == {"json": {"type": "object"}}


def test_response_translation() -> None:
    out = from_converse(
        "llama-3.1-8b-bedrock",
        {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [
                        {"text": "Hi"},
                        {"toolUse": {"toolUseId": "t9", "name": "f", "input": {"a": 1}}},
                    ],
                }
            },
            "stopReason": "tool_use",
            "usage": {"inputTokens": 11, "outputTokens": 7, "totalTokens": 18},
            "metrics": {"latencyMs": 120},
        },
    )
    msg = out["choices"][0]["message"]
    assert msg["content"] == "Hi" and json.loads(msg["tool_calls"][0]["function"]["arguments"]) == {"a": 1}
    assert out["choices"][0]["finish_reason"] == "tool_calls" and out["usage"]["total_tokens"] == 18


def test_stream_translation_and_errors() -> None:
    events: list[dict[str, Any]] = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "lo"}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "max_tokens"}},
        {"metadata": {"usage": {"inputTokens": 5, "outputTokens": 2}, "metrics": {"latencyMs": 10}}},
    ]
    chunks = list(translate_stream("m", iter(events)))
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == "Hello"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "length"
    assert chunks[-1]["usage"]["completion_tokens"] == 2
    with pytest.raises(ProviderError):
        list(
            translate_stream(
                "m", iter([{"messageStart": {}}, {"throttlingException": {"message": "slow down"}}])
            )
        )
    with pytest.raises(ProviderError):
        list(translate_stream("m", iter([{"messageStart": {}}])))  # cut off before messageStop
