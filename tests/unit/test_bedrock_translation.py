"""OpenAI ↔ Bedrock Converse translation, with shapes written from the Converse API reference."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchyard.catalog import load_catalog
from switchyard.errors import InputError, ProviderError
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


def text_events(deltas: list[str]) -> list[dict[str, Any]]:
    """A streamed text answer made of these text deltas."""
    return [
        {"messageStart": {"role": "assistant"}},
        *({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": d}}} for d in deltas),
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 5, "outputTokens": 2}}},
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
    answer = {"output": {"message": {"content": [{"text": "".join(deltas)}]}}, "stopReason": "end_turn"}
    assert from_converse("m", answer, "{")["choices"][0]["message"]["content"] == expected
    chunks = list(translate_stream("m", iter(text_events(deltas)), "{"))
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert streamed == expected
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c for c in chunks if c["choices"]][-1]["choices"][0]["finish_reason"] == "stop"


def test_no_prefill_leaves_the_text_alone() -> None:
    answer = {"output": {"message": {"content": [{"text": ' {"a": 1}'}]}}}
    assert from_converse("m", answer)["choices"][0]["message"]["content"] == ' {"a": 1}'
    chunks = list(translate_stream("m", iter(text_events(["Hel", "lo"]))))
    assert [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]] == [
        "",
        "Hel",
        "lo",
        None,
    ]


def test_json_mode_prefills_and_the_stream_sends_the_prefill_before_a_tool_call() -> None:
    body = to_converse(
        LLAMA, {"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}
    )
    assert body["messages"][-1] == {"role": "assistant", "content": [{"text": "{"}]}
    events: list[dict[str, Any]] = [
        {"messageStart": {"role": "assistant"}},
        {
            "contentBlockStart": {
                "contentBlockIndex": 0,
                "start": {"toolUse": {"toolUseId": "t", "name": "f"}},
            }
        },
        {"messageStop": {"stopReason": "tool_use"}},
    ]
    deltas = [c["choices"][0]["delta"] for c in translate_stream("m", iter(events), "{") if c["choices"]]
    assert deltas[1] == {"content": "{"} and "tool_calls" in deltas[2]


def user_parts(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": list(parts)}]}


def image(url: str) -> dict[str, Any]:
    return user_parts({"type": "image_url", "image_url": {"url": url}})


@pytest.mark.parametrize(
    ("request_", "param"),
    [
        (image("https://example.com/cat.png"), "messages"),  # Converse cannot fetch a link
        (image("data:image/png;base64,iVBOR"), "messages"),  # not valid base64 (padding)
        (image("data:image/png;base64,"), "messages"),
        (image("data:image/svg+xml;base64,PHN2Zz4="), "messages"),
        (user_parts({"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}), "messages"),
        (user_parts({"type": "file", "file": {"file_id": "file-1"}}), "messages"),
        (
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "function", "name": "f", "content": "1"},
                ]
            },
            "messages",
        ),
        ({"messages": [{"role": "user", "content": ""}]}, "messages"),
        ({"messages": [{"role": "user", "content": "hi"}], "n": 3}, "n"),
    ],
)
def test_what_converse_cannot_express_is_an_input_error(request_: dict[str, Any], param: str) -> None:
    with pytest.raises(InputError) as err:
        to_converse(LLAMA, request_)
    assert err.value.param == param


def test_images_blank_text_and_empty_stops() -> None:
    body = to_converse(
        LLAMA,
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": " "},
                        {"type": "image_url", "image_url": {"url": "data:image/jpg;base64,/9j/4AA="}},
                    ],
                }
            ],
            "stop": ["", "###"],
        },
    )
    assert body["messages"][0]["content"] == [
        {"image": {"format": "jpeg", "source": {"bytes": b"\xff\xd8\xff\xe0\x00"}}}
    ]
    assert body["inferenceConfig"] == {"stopSequences": ["###"]}
