"""The request schema: every field a provider adapter reads has its OpenAI type, wrong types
are refused at the edge (the API turns the ValidationError into a 400), the three body
models validate the shared fields alike, unknown fields pass through, and the OpenAPI
document still inlines the models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from switchyard_api import openapi
from switchyard_api.schemas import ChatCompletionRequest, DispatchRequest, RouteRequest

BODIES: list[type[BaseModel]] = [ChatCompletionRequest, DispatchRequest, RouteRequest]
USER = {"role": "user", "content": "Weather in Paris?"}
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def ask(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"messages": list(messages or [USER]), **fields}


def history(tool_calls: Any) -> list[dict[str, Any]]:
    """A tool round: the assistant's tool calls and the tool's answer."""
    return [
        USER,
        {"role": "assistant", "content": None, "tool_calls": tool_calls},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]


def call(function: Any) -> list[dict[str, Any]]:
    return [{"id": "call_1", "type": "function", "function": function}]


def parts(*content: Any) -> dict[str, Any]:
    return {"role": "user", "content": list(content)}


def image(image_url: Any) -> dict[str, Any]:
    return parts({"type": "image_url", "image_url": image_url})


VALID: dict[str, dict[str, Any]] = {
    "plain": ask(),
    "every role": ask(
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
        *history(call({"name": "get_weather", "arguments": '{"city": "Paris"}'})),
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "18C."}, {"type": "refusal", "refusal": "-"}],
        },
        {"role": "function", "name": "legacy", "content": "{}"},
        USER,
    ),
    "content parts": ask(
        parts(
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {
                "type": "file",
                "file": {"file_data": "data:application/pdf;base64,JVBERg==", "filename": "a.pdf"},
            },
        )
    ),
    "tools": ask(
        tools=[TOOL, {"type": "function", "function": {"name": "f-2", "description": "d", "strict": True}}],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
    ),
    "tool choice modes": ask(tools=[TOOL], tool_choice="required"),
    "stop string": ask(stop="END"),
    "stop list": ask(stop=["a", "b", "c", "d"]),
    "json object": ask(response_format={"type": "json_object"}),
    "json schema": ask(
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "answer",
                "schema": {"type": "object"},
                "strict": True,
                "description": "d",
            },
        }
    ),
    "text format": ask(response_format={"type": "text"}),
    "sampling": ask(
        temperature=0,
        top_p=1,
        n=1,
        max_tokens=10,
        max_completion_tokens=10,
        presence_penalty=-2,
        frequency_penalty=2.0,
        seed=7,
        user="u-1",
        logit_bias={"50256": -100},
        logprobs=True,
        top_logprobs=3,
        metadata={"k": "v"},
    ),
}

# shapes that reached the adapters (and gave a 500), and other wrong types: each a 400
INVALID: dict[str, dict[str, Any]] = {
    "stop a number": ask(stop=5),
    "stop a list of numbers": ask(stop=[5]),
    "stop of five strings": ask(stop=["a", "b", "c", "d", "e"]),
    "tool without function": ask(tools=[{"type": "function"}]),
    "tool a string": ask(tools=["get_weather"]),
    "tool null": ask(tools=[None]),
    "tool of another type": ask(tools=[{"type": "retrieval", "function": TOOL["function"]}]),
    "tool name with spaces": ask(tools=[{"type": "function", "function": {"name": "get weather"}}]),
    "tool parameters a string": ask(
        tools=[{"type": "function", "function": {"name": "f", "parameters": "{}"}}]
    ),
    "tool_calls a string": ask(*history("call_1")),
    "tool_calls of strings": ask(*history(["call_1"])),
    "tool_calls without id": ask(
        *history([{"type": "function", "function": {"name": "f", "arguments": "{}"}}])
    ),
    "arguments an object": ask(*history(call({"name": "get_weather", "arguments": {"city": "Paris"}}))),
    "arguments a number": ask(*history(call({"name": "get_weather", "arguments": 5}))),
    "function a string": ask(*history([{"id": "call_1", "type": "function", "function": "get_weather"}])),
    "tool message without tool_call_id": ask(USER, {"role": "tool", "content": "18C"}),
    "tool_choice.function a string": ask(tools=[TOOL], tool_choice={"type": "function", "function": "f"}),
    "tool_choice unknown mode": ask(tools=[TOOL], tool_choice="always"),
    "image_url a string": ask(image("https://example.com/a.png")),
    "image_url a list": ask(image(["https://example.com/a.png"])),
    "image_url without url": ask(image({"detail": "low"})),
    "content part a string": ask(parts("hello")),
    "content part of unknown type": ask(parts({"type": "video", "video": {}})),
    "assistant content part image": ask(
        USER, {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
    ),
    "content a number": ask({"role": "user", "content": 5}),
    "user without content": ask({"role": "user"}),
    "json_schema a string": ask(response_format={"type": "json_schema", "json_schema": "{}"}),
    "json_schema without name": ask(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
    "json_schema schema a string": ask(
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": "{}"}}
    ),
    "response_format a string": ask(response_format="json_object"),
    "response_format unknown type": ask(response_format={"type": "xml"}),
    "temperature 3": ask(temperature=3),
    "temperature a string": ask(temperature="0.5"),
    "top_p 2": ask(top_p=2),
    "max_tokens a string": ask(max_tokens="10"),
    "max_tokens a float": ask(max_tokens=10.5),
    "n 0": ask(n=0),
    "penalty 3": ask(presence_penalty=3),
    "seed a string": ask(seed="7"),
    "user a number": ask(user=7),
    "logit_bias 101": ask(logit_bias={"1": 101}),
    "logprobs a string": ask(logprobs="yes"),
    "top_logprobs 21": ask(top_logprobs=21),
    "parallel_tool_calls 1": ask(parallel_tool_calls=1),
    "metadata values numbers": ask(metadata={"k": 1}),
    "no user turn": ask({"role": "system", "content": "x"}),
    "unknown role": ask({"role": "wizard", "content": "x"}),
    "message a string": ask("hello"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("model", BODIES, ids=lambda m: m.__name__)
@pytest.mark.parametrize("name", list(VALID))
def test_valid_bodies_are_accepted_by_every_route(model: type[BaseModel], name: str) -> None:
    model.model_validate(VALID[name])


@pytest.mark.parametrize("model", BODIES, ids=lambda m: m.__name__)
@pytest.mark.parametrize("name", list(INVALID))
def test_wrong_types_are_refused_by_every_route(model: type[BaseModel], name: str) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(INVALID[name])


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "false", [True]])
def test_stream_must_be_a_real_boolean(value: Any) -> None:
    with pytest.raises(ValidationError) as err:
        ChatCompletionRequest.model_validate(ask(stream=value))
    assert err.value.errors()[0]["loc"][0] == "stream"
    assert ChatCompletionRequest.model_validate(ask(stream=True)).stream is True
    assert not ChatCompletionRequest.model_validate(ask(stream=None)).stream  # nullable, as in OpenAI's API


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        (ask(stop=5), "stop", "stop is a string or an array of up to 4 strings"),
        (
            ask(image("https://x/a.png")),
            "messages.0.user.content.array.0.image_url.image_url",
            "valid dictionary",
        ),
        (ask(parts(7)), "messages.0.user.content.array.0", "a user content part is an object of type text"),
        (ask({"role": "wizard"}), "messages.0", "a message is an object with role system"),
        (
            ask(tools=[TOOL], tool_choice={"type": "function", "function": "f"}),
            "tool_choice.object.function",
            "",
        ),
        (ask(stream_options={"include_usage": "yes"}), "stream_options.include_usage", "valid boolean"),
    ],
)
def test_errors_name_the_field(body: dict[str, Any], loc: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        ChatCompletionRequest.model_validate(body)
    first = err.value.errors()[0]
    assert ".".join(str(p) for p in first["loc"]) == loc and message in first["msg"]


def test_the_dump_is_the_body_with_unknown_fields_kept() -> None:
    body = {
        **VALID["json schema"],
        "messages": [
            {**USER, "x_trace": "t1"},
            parts({"type": "text", "text": "hi", "cache_control": {"t": 1}}),
        ],
        "tools": [{**TOOL, "x_tool": 1}],
        "x_custom": {"a": [1, 2]},
    }
    out = ChatCompletionRequest.model_validate(body).model_dump(exclude_none=True)
    assert out == {**body, "model": "auto", "stream": False}  # "schema", not the field's Python name


def test_route_and_dispatch_validate_what_chat_validates() -> None:
    fields = {
        name
        for name in ChatCompletionRequest.model_fields
        if name not in ("model", "stream", "stream_options")
    }
    assert fields <= set(DispatchRequest.model_fields) and fields <= set(RouteRequest.model_fields)
    assert {"tools", "tool_choice", "stop", "response_format", "temperature"} <= fields


@pytest.mark.parametrize("model", BODIES, ids=lambda m: m.__name__)
def test_the_openapi_body_schema_is_inlined_and_describes_the_fields(model: type[BaseModel]) -> None:
    schema = openapi.json_request(model)["requestBody"]["content"][openapi.JSON]["schema"]
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    props = schema["properties"]
    assert {"messages", "tools", "tool_choice", "stop", "response_format", "logit_bias"} <= set(props)
    message_variants = props["messages"]["items"]["oneOf"]
    roles = {v["properties"]["role"]["const"] for v in message_variants}
    assert roles == {"system", "developer", "user", "assistant", "tool", "function"}
    user = next(v for v in message_variants if v["properties"]["role"]["const"] == "user")
    part_types = {
        p["properties"]["type"]["const"] for p in user["properties"]["content"]["oneOf"][1]["items"]["oneOf"]
    }
    assert part_types == {"text", "image_url", "input_audio", "file"}
    assert schema["additionalProperties"] is True  # unknown top-level fields pass through
