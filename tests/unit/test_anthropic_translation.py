"""OpenAI ↔ Anthropic Messages translation, with request/response shapes written from
Anthropic's public API reference (messages, tool use, streaming events)."""

from __future__ import annotations

import json
from typing import Any

from switchyard.catalog import load_catalog
from switchyard.providers.anthropic import StreamTranslator, from_anthropic, to_anthropic

CLAUDE = load_catalog().by_id["claude-3.5-sonnet"]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def test_request_translation() -> None:
    body = to_anthropic(
        CLAUDE,
        {
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Weather in Paris?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "18C, cloudy"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "And this?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                    ],
                },
            ],
            "tools": TOOLS,
            "tool_choice": "required",
            "temperature": 1.5,
            "stop": "END",
            "max_tokens": 300,
        },
    )
    assert body["model"] == "claude-3-5-sonnet-20241022" and body["system"] == "You are terse."
    assert body["max_tokens"] == 300 and body["temperature"] == 1.0 and body["stop_sequences"] == ["END"]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
    ]
    tool_result, text, image = body["messages"][2]["content"]  # tool result and next user turn merged
    assert tool_result == {"type": "tool_result", "tool_use_id": "call_1", "content": "18C, cloudy"}
    assert text == {"type": "text", "text": "And this?"}
    assert image["source"] == {"type": "base64", "media_type": "image/png", "data": "iVBOR"}
    assert body["tools"][0]["input_schema"]["required"] == ["city"] and body["tool_choice"] == {"type": "any"}


def test_defaults_and_named_tool_choice() -> None:
    body = to_anthropic(
        CLAUDE,
        {
            "messages": [{"role": "user", "content": "hi"}],
            "tools": TOOLS,
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
    )
    assert body["max_tokens"] == 4096 and "system" not in body
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}


def test_response_translation_text_and_tool_use() -> None:
    text = from_anthropic(
        "claude-3.5-sonnet",
        {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-3-5-sonnet-20241022",
            "content": [{"type": "text", "text": "Hello!"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 12, "output_tokens": 6},
        },
    )
    assert text["choices"][0]["message"] == {"role": "assistant", "content": "Hello!"}
    assert text["choices"][0]["finish_reason"] == "stop" and text["usage"]["total_tokens"] == 18
    tool = from_anthropic(
        "claude-3.5-sonnet",
        {
            "id": "msg_02",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 30, "output_tokens": 20},
        },
    )
    call = tool["choices"][0]["message"]["tool_calls"][0]
    assert call["id"] == "toolu_1" and json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert tool["choices"][0]["finish_reason"] == "tool_calls"
    assert (
        from_anthropic("m", {"content": [], "stop_reason": "max_tokens"})["choices"][0]["finish_reason"]
        == "length"
    )


def test_stream_translation() -> None:
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {"id": "msg_1", "usage": {"input_tokens": 25, "output_tokens": 1}},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"a": 1}'},
        },
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 15}},
        {"type": "message_stop"},
    ]
    lines = [line for e in events for line in (f"event: {e['type']}", f"data: {json.dumps(e)}", "")]
    chunks = list(StreamTranslator("claude-3.5-sonnet").events(iter(lines)))
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hello!"
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls[0]["id"] == "toolu_1" and calls[1]["function"]["arguments"] == '{"a": 1}'
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
    assert chunks[-1]["usage"] == {"prompt_tokens": 25, "completion_tokens": 15, "total_tokens": 40}


def test_json_mode_is_emulated_with_an_instruction_and_a_prefill() -> None:
    body = to_anthropic(
        CLAUDE,
        {
            "messages": [{"role": "user", "content": "List two colours"}],
            "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}},
        },
    )
    assert "valid JSON object" in body["system"] and '{"type": "object"}' in body["system"]
    assert body["messages"][-1] == {"role": "assistant", "content": [{"type": "text", "text": "{"}]}
    out = from_anthropic(
        "claude-3.5-sonnet",
        {"content": [{"type": "text", "text": '"a": 1}'}], "stop_reason": "end_turn"},
        "{",
    )
    assert json.loads(out["choices"][0]["message"]["content"]) == {"a": 1}
