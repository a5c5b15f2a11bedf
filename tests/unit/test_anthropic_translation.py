"""OpenAI ↔ Anthropic Messages translation, with request/response shapes written from
Anthropic's public API reference (messages, tool use, streaming events)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchyard.catalog import load_catalog
from switchyard.errors import InputError
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


def sse_lines(events: list[dict[str, Any]]) -> list[str]:
    return [line for e in events for line in (f"event: {e['type']}", f"data: {json.dumps(e)}", "")]


def text_events(deltas: list[str]) -> list[dict[str, Any]]:
    """A streamed text answer made of these text deltas."""
    return [
        {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 5}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}}
            for d in deltas
        ),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 7}},
        {"type": "message_stop"},
    ]


# the upstream's answer after a "{" prefill, as deltas → the answer the client gets
PREFILLED = [
    (['"a": 1}'], '{"a": 1}'),  # continues after the prefill: the "{" is put back
    (['{"a": 1}'], '{"a": 1}'),  # repeats the prefill: not doubled
    (["{", '"a"', ": 1}"], '{"a": 1}'),
    (["\n", "  ", '{"a": 1}'], '\n  {"a": 1}'),  # leading whitespace, then the "{"
    ([" ", '"a": 1}'], '{ "a": 1}'),
    ([], "{"),
]


@pytest.mark.parametrize(("deltas", "expected"), PREFILLED)
def test_json_prefill_is_added_once_plain_and_streamed(deltas: list[str], expected: str) -> None:
    plain = from_anthropic("claude-3.5-sonnet", {"content": [{"type": "text", "text": "".join(deltas)}]}, "{")
    assert plain["choices"][0]["message"]["content"] == expected
    chunks = list(StreamTranslator("claude-3.5-sonnet", "{").events(iter(sse_lines(text_events(deltas)))))
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert streamed == expected
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    finish = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finish[0] is [c for c in chunks if c["choices"]][-1]  # all the text came before the finish


def test_no_prefill_leaves_the_text_alone() -> None:
    plain = from_anthropic("m", {"content": [{"type": "text", "text": ' {"a": 1}'}]})
    assert plain["choices"][0]["message"]["content"] == ' {"a": 1}'
    chunks = list(StreamTranslator("m").events(iter(sse_lines(text_events(["Hel", "lo"])))))
    assert [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]] == [
        "",
        "Hel",
        "lo",
        None,
    ]


def test_the_prefill_is_sent_before_a_tool_call_in_a_stream() -> None:
    events = [
        text_events([])[0],
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        },
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 3}},
        {"type": "message_stop"},
    ]
    chunks = list(StreamTranslator("m", "{").events(iter(sse_lines(events))))
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[1] == {"content": "{"} and "tool_calls" in deltas[2]


def ask(**extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hi"}], **extra}


def user_parts(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": list(parts)}]}


@pytest.mark.parametrize(
    ("request_", "param"),
    [
        (user_parts({"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}), "messages"),
        (user_parts({"type": "file", "file": {"file_id": "file-1"}}), "messages"),
        (user_parts({"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}), "messages"),
        (
            user_parts({"type": "image_url", "image_url": {"url": "data:image/svg+xml;base64,PHN2Zz4="}}),
            "messages",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "function", "name": "f", "content": "1"},
                ]
            },
            "messages",
        ),
        ({"messages": [{"role": "user", "content": "  "}]}, "messages"),
        (ask(n=2), "n"),
        (ask(stop=["END", "\n"]), "stop"),
    ],
)
def test_what_anthropic_cannot_express_is_an_input_error(request_: dict[str, Any], param: str) -> None:
    with pytest.raises(InputError) as err:
        to_anthropic(CLAUDE, request_)
    assert err.value.param == param and "claude-3.5-sonnet" in str(err.value)


def test_blank_text_empty_stops_and_refusals() -> None:
    body = to_anthropic(
        CLAUDE,
        {
            "messages": [
                {"role": "system", "content": " "},
                {"role": "user", "content": [{"type": "text", "text": ""}, {"type": "text", "text": "hi"}]},
                {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]},
                {"role": "user", "content": "why?"},
            ],
            "stop": ["", "END"],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"properties": {}}}}],
            "response_format": {"type": "json_object"},
        },
    )
    assert body["messages"][0] == {"role": "user", "content": [{"type": "text", "text": "hi"}]}
    assert body["messages"][1]["content"] == [{"type": "text", "text": "I can't."}]
    assert body["messages"][-1] == {"role": "assistant", "content": [{"type": "text", "text": "{"}]}
    assert body["stop_sequences"] == ["END"] and body["system"].startswith("Respond with one valid JSON")
    assert body["tools"] == [{"name": "f", "input_schema": {"properties": {}, "type": "object"}}]
