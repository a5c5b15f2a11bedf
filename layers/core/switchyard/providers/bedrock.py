"""Amazon Bedrock Converse / ConverseStream adapter (boto3 ``bedrock-runtime``): OpenAI chat
format in and out. System → ``system``; tools → ``toolConfig``; tool calls ↔ ``toolUse``;
tool results → ``toolResult``; max_tokens/temperature/top_p/stop → ``inferenceConfig``;
data-URL images → image bytes; JSON mode → an instruction and a "{" prefill (put back in
front of the answer unless the model repeated it); usage → tokens. The request is one the
API's schema validated; what Converse cannot express (image links, audio or file parts,
n > 1, the deprecated function role) is an InputError. Errors become ProviderError with the
HTTP status (throttling is 429), so failover treats them like any provider's."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from switchyard.catalog import ModelSpec
from switchyard.classifier.text import content_text
from switchyard.errors import InputError, ProviderError
from switchyard.providers.base import (
    JSON_PREFILL,
    ProviderResponse,
    StreamPrefill,
    add_turn,
    completion,
    content_blocks,
    data_url,
    json_mode,
    json_prefill,
    refuse_many_choices,
    stop_sequences,
    tool_calls,
    with_prefill,
)

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}


# Converse's image formats, by media type
IMAGE_FORMATS = {
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}


def _image(model: ModelSpec, url: str) -> dict[str, Any]:
    inline = data_url(url)
    if inline is None:
        raise InputError(f"{model.id} takes images as base64 data URLs only, not links", param="messages")
    media, data = inline
    fmt = IMAGE_FORMATS.get(media)
    if fmt is None:
        raise InputError(
            f"{model.id} takes JPEG, PNG, GIF or WebP images, not {media or 'an untyped data URL'}",
            param="messages",
        )
    try:
        raw = base64.b64decode(data)
    except binascii.Error as exc:
        raise InputError(f"an image data URL is not valid base64: {exc}", param="messages") from exc
    if not raw:
        raise InputError("an image data URL holds no data", param="messages")
    return {"image": {"format": fmt, "source": {"bytes": raw}}}


def _text(text: str) -> list[dict[str, Any]]:
    return [{"text": text}] if text.strip() else []  # blank text blocks say nothing


def _content(model: ModelSpec, content: Any) -> list[dict[str, Any]]:
    """Content blocks of a user or assistant message's content (a string or content parts)."""
    return content_blocks(model, content, _text, _image)


def _tool(fn: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "toolSpec": {
            "name": fn["name"],
            "description": fn.get("description") or fn["name"],
            "inputSchema": {"json": fn.get("parameters") or {"type": "object", "properties": {}}},
        }
    }


def to_converse(model: ModelSpec, request: Mapping[str, Any]) -> dict[str, Any]:
    """The Converse parameters of a validated OpenAI request (``switchyard_api.schemas``); an
    InputError for what Converse cannot express (image links, audio or file parts, n > 1, the
    deprecated function role)."""
    refuse_many_choices(model, request)
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []

    for m in request.get("messages", []):
        role = m.get("role")
        if role in ("system", "developer"):
            text = content_text(m.get("content"))
            if text.strip():
                system.append({"text": text})
        elif role == "tool":
            add_turn(
                messages,
                "user",
                [
                    {
                        "toolResult": {
                            "toolUseId": m["tool_call_id"],
                            "content": [{"text": content_text(m.get("content"))}],
                        }
                    }
                ],
            )
        elif role == "function":
            raise InputError(
                f"{model.id} does not take the deprecated function role; use tools and tool messages",
                param="messages",
            )
        elif role == "assistant":
            blocks = _content(model, m.get("content"))
            blocks += [
                {"toolUse": {"toolUseId": call_id, "name": name, "input": args}}
                for call_id, name, args in tool_calls(m)
            ]
            add_turn(messages, "assistant", blocks)
        else:
            add_turn(messages, "user", _content(model, m.get("content")))
    if not messages:
        raise InputError(f"the messages have no content to send to {model.id}", param="messages")

    body: dict[str, Any] = {"modelId": model.upstream, "messages": messages}
    if system:
        body["system"] = system
    inference: dict[str, Any] = {}
    max_tokens = request.get("max_tokens") or request.get("max_completion_tokens")
    if max_tokens:
        inference["maxTokens"] = int(max_tokens)
    if request.get("temperature") is not None:
        inference["temperature"] = min(float(request["temperature"]), 1.0)
    if request.get("top_p") is not None:
        inference["topP"] = float(request["top_p"])
    stop = stop_sequences(request)
    if stop:
        inference["stopSequences"] = stop
    if inference:
        body["inferenceConfig"] = inference
    instruction = json_mode(request)
    if instruction:
        # no native JSON mode: instruct, and prefill the answer (the adapter adds it back)
        body.setdefault("system", []).append({"text": instruction})
        add_turn(messages, "assistant", [{"text": JSON_PREFILL}])
    tools = request.get("tools") or []
    if tools:
        config: dict[str, Any] = {"tools": [_tool(t["function"]) for t in tools]}
        choice = request.get("tool_choice")
        if choice == "required":
            config["toolChoice"] = {"any": {}}
        elif isinstance(choice, Mapping):
            config["toolChoice"] = {"tool": {"name": choice["function"]["name"]}}
        elif choice != "none":
            config["toolChoice"] = {"auto": {}}
        if choice != "none":
            body["toolConfig"] = config
    return body


def from_converse(model_id: str, data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The OpenAI completion of a Converse answer; ``prefix`` is the text the request
    prefilled, put in front of the answer unless the answer already starts with it."""
    blocks = ((data.get("output") or {}).get("message") or {}).get("content") or []
    text = "".join(b.get("text", "") for b in blocks if "text" in b)
    calls = [
        {
            "id": b["toolUse"].get("toolUseId"),
            "type": "function",
            "function": {
                "name": b["toolUse"].get("name"),
                "arguments": json.dumps(b["toolUse"].get("input") or {}),
            },
        }
        for b in blocks
        if "toolUse" in b
    ]
    usage = data.get("usage") or {}
    return completion(
        f"chatcmpl-bedrock-{int(time.time() * 1000)}",
        model_id,
        with_prefill(prefix, text),
        calls,
        FINISH.get(str(data.get("stopReason")), "stop"),
        int(usage.get("inputTokens") or 0),
        int(usage.get("outputTokens") or 0),
    )


def _provider_error(name: str, model: ModelSpec, exc: Exception) -> ProviderError:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        meta = exc.response.get("ResponseMetadata", {})
        code = exc.response.get("Error", {}).get("Code", "")
        status = 429 if code == "ThrottlingException" else int(meta.get("HTTPStatusCode") or 500)
        return ProviderError(f"{name} answered {status}: {code}", status=status, model=model.id)
    return ProviderError(f"{name}: {type(exc).__name__}", model=model.id)


class BedrockProvider:
    def __init__(self, name: str, client: BedrockRuntimeClient) -> None:
        self.name = name
        self.client = client

    def complete(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> ProviderResponse:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            data = self.client.converse(**to_converse(model, request))
        except (ClientError, BotoCoreError) as exc:
            raise _provider_error(self.name, model, exc) from exc
        body = from_converse(model.id, data, json_prefill(request))
        return ProviderResponse(body, body["usage"]["prompt_tokens"], body["usage"]["completion_tokens"])

    def stream(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> Iterator[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            resp = self.client.converse_stream(**to_converse(model, request))
            events = cast(Iterator[Mapping[str, Any]], resp["stream"])
            yield from translate_stream(model.id, events, json_prefill(request))
        except (ClientError, BotoCoreError) as exc:
            raise _provider_error(self.name, model, exc) from exc


def translate_stream(
    model_id: str, events: Iterator[Mapping[str, Any]], prefix: str = ""
) -> Iterator[dict[str, Any]]:
    """ConverseStream events → OpenAI chunks. ``prefix`` is the text the request prefilled,
    sent in front of the answer's text unless the upstream repeats it."""
    cid, created = f"chatcmpl-bedrock-{int(time.time() * 1000)}", int(time.time())
    tool_index: dict[int, int] = {}
    finish: str | None = None
    prefill = StreamPrefill(prefix)

    def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_id,
            "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
        }

    def text(piece: str) -> Iterator[dict[str, Any]]:
        if piece:
            yield chunk({"content": piece})

    stopped = False
    for ev in events:
        if "messageStart" in ev:
            yield chunk({"role": "assistant", "content": ""})
        elif "contentBlockStart" in ev:
            start = ev["contentBlockStart"].get("start", {}).get("toolUse")
            if start:
                yield from text(prefill.end())
                n = len(tool_index)
                tool_index[int(ev["contentBlockStart"].get("contentBlockIndex", 0))] = n
                yield chunk(
                    {
                        "tool_calls": [
                            {
                                "index": n,
                                "id": start.get("toolUseId"),
                                "type": "function",
                                "function": {"name": start.get("name"), "arguments": ""},
                            }
                        ]
                    }
                )
        elif "contentBlockDelta" in ev:
            delta = ev["contentBlockDelta"].get("delta", {})
            if "text" in delta:
                yield from text(prefill.feed(delta["text"]))
            elif "toolUse" in delta:
                n = tool_index.get(int(ev["contentBlockDelta"].get("contentBlockIndex", 0)), 0)
                yield chunk(
                    {
                        "tool_calls": [
                            {"index": n, "function": {"arguments": delta["toolUse"].get("input", "")}}
                        ]
                    }
                )
        elif "messageStop" in ev:
            finish = FINISH.get(str(ev["messageStop"].get("stopReason")), "stop")
            yield from text(prefill.end())
            yield chunk({}, finish)
            stopped = True
        elif "metadata" in ev:
            usage = ev["metadata"].get("usage") or {}
            pt, ct = int(usage.get("inputTokens") or 0), int(usage.get("outputTokens") or 0)
            yield {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model_id,
                "choices": [],
                "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
            }
        else:
            for key in (
                "internalServerException",
                "modelStreamErrorException",
                "throttlingException",
                "validationException",
                "serviceUnavailableException",
            ):
                if key in ev:
                    raise ProviderError(f"bedrock stream error: {key}", status=502, model=model_id)
    if not stopped:
        raise ProviderError("bedrock: stream ended without messageStop", status=502, model=model_id)
