"""Anthropic Messages API adapter: OpenAI chat format in and out (httpx).

Request: system/developer messages → ``system``; tool results → user ``tool_result``
blocks; assistant ``tool_calls`` → ``tool_use`` blocks; tools → ``input_schema`` tools;
``tool_choice`` auto/required/none/named; images (data URLs or https URLs) → image blocks;
``stop`` → ``stop_sequences``; ``max_tokens`` (required by Anthropic; default 4096);
temperature is clamped to Anthropic's [0, 1]; JSON mode → an instruction and a "{" prefill.
The request is one the API's schema validated; what Anthropic cannot express (audio or file
parts, n > 1, whitespace-only stop sequences, the deprecated function role) is an InputError.
Response: text blocks → ``content`` (after the prefill, unless the model repeated it);
``tool_use`` → ``tool_calls``; stop reasons → ``finish_reason``; usage → prompt/completion
tokens. Streams are translated event by event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from switchyard.catalog import ModelSpec
from switchyard.classifier.text import content_text
from switchyard.errors import InputError, ProviderError
from switchyard.providers.base import (
    IMAGE_MEDIA_TYPES,
    JSON_PREFILL,
    HttpProvider,
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

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _image(model: ModelSpec, url: str) -> dict[str, Any]:
    inline = data_url(url)
    if inline is not None:
        media, data = inline
        if media not in IMAGE_MEDIA_TYPES:
            raise InputError(
                f"{model.id} takes JPEG, PNG, GIF or WebP images, not {media or 'an untyped data URL'}",
                param="messages",
            )
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    if url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise InputError(
        f"{model.id} takes images as http(s) URLs or base64 data URLs; image_url.url is neither",
        param="messages",
    )


def _text(text: str) -> list[dict[str, Any]]:
    # Anthropic refuses empty and whitespace-only text blocks; they say nothing
    return [{"type": "text", "text": text}] if text.strip() else []


def _blocks(model: ModelSpec, content: Any) -> list[dict[str, Any]]:
    """Content blocks of a user or assistant message's content (a string or content parts)."""
    return content_blocks(model, content, _text, _image)


def _tool(fn: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(fn.get("parameters") or {"properties": {}})
    schema.setdefault("type", "object")  # Anthropic requires it; OpenAI implies it
    tool: dict[str, Any] = {"name": fn["name"], "input_schema": schema}
    if fn.get("description"):
        tool["description"] = fn["description"]
    return tool


def to_anthropic(model: ModelSpec, request: Mapping[str, Any]) -> dict[str, Any]:
    """The Messages API body of a validated OpenAI request (``switchyard_api.schemas``); an
    InputError for what Anthropic cannot express (audio or file parts, n > 1, whitespace-only
    stop sequences, the deprecated function role)."""
    refuse_many_choices(model, request)
    system: list[str] = []
    messages: list[dict[str, Any]] = []

    for m in request.get("messages", []):
        role = m.get("role")
        if role in ("system", "developer"):
            system.append(content_text(m.get("content")))
        elif role == "tool":
            result: dict[str, Any] = {"type": "tool_result", "tool_use_id": m["tool_call_id"]}
            text = content_text(m.get("content"))
            if text:
                result["content"] = text
            add_turn(messages, "user", [result])
        elif role == "function":
            raise InputError(
                f"{model.id} does not take the deprecated function role; use tools and tool messages",
                param="messages",
            )
        elif role == "assistant":
            blocks = _blocks(model, m.get("content"))
            blocks += [
                {"type": "tool_use", "id": call_id, "name": name, "input": args}
                for call_id, name, args in tool_calls(m)
            ]
            add_turn(messages, "assistant", blocks)
        else:
            add_turn(messages, "user", _blocks(model, m.get("content")))
    if not messages:
        raise InputError(f"the messages have no content to send to {model.id}", param="messages")

    body: dict[str, Any] = {
        "model": model.upstream,
        "messages": messages,
        "max_tokens": int(
            request.get("max_tokens") or request.get("max_completion_tokens") or DEFAULT_MAX_TOKENS
        ),
    }
    if any(s.strip() for s in system):
        body["system"] = "\n\n".join(s for s in system if s.strip())
    if request.get("temperature") is not None:
        body["temperature"] = min(float(request["temperature"]), 1.0)
    if request.get("top_p") is not None:
        body["top_p"] = request["top_p"]
    stop = stop_sequences(request)
    if any(not s.strip() for s in stop):
        raise InputError(f"{model.id} takes no whitespace-only stop sequences", param="stop")
    if stop:
        body["stop_sequences"] = stop
    tools = request.get("tools") or []
    if tools:
        body["tools"] = [_tool(t["function"]) for t in tools]
        choice = request.get("tool_choice")
        if choice == "required":
            body["tool_choice"] = {"type": "any"}
        elif choice == "none":
            body["tool_choice"] = {"type": "none"}
        elif isinstance(choice, Mapping):
            body["tool_choice"] = {"type": "tool", "name": choice["function"]["name"]}
    if request.get("user"):
        body["metadata"] = {"user_id": str(request["user"])[:256]}
    instruction = json_mode(request)
    if instruction:
        # no native JSON mode: instruct, and prefill the answer (the adapter adds it back)
        body["system"] = f"{body['system']}\n\n{instruction}" if body.get("system") else instruction
        add_turn(messages, "assistant", [{"type": "text", "text": JSON_PREFILL}])
    return body


def from_anthropic(model_id: str, data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The OpenAI completion of a Messages API answer; ``prefix`` is the text the request
    prefilled, put in front of the answer unless the answer already starts with it."""
    text = "".join(b.get("text", "") for b in data.get("content", []) if b.get("type") == "text")
    calls = [
        {
            "id": b.get("id"),
            "type": "function",
            "function": {"name": b.get("name"), "arguments": json.dumps(b.get("input") or {})},
        }
        for b in data.get("content", [])
        if b.get("type") == "tool_use"
    ]
    usage = data.get("usage") or {}
    return completion(
        f"chatcmpl-{data.get('id', '')}",
        model_id,
        with_prefill(prefix, text),
        calls,
        FINISH.get(str(data.get("stop_reason")), "stop"),
        int(usage.get("input_tokens") or 0),
        int(usage.get("output_tokens") or 0),
    )


class AnthropicProvider(HttpProvider):
    def _headers(self) -> dict[str, str]:
        h = {"anthropic-version": API_VERSION}
        if self.api_key:
            h["x-api-key"] = self.api_key
        return h

    def complete(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> ProviderResponse:
        try:
            resp = self.client.post(
                f"{self.base_url}/v1/messages",
                json=to_anthropic(model, request),
                headers=self._headers(),
                timeout=self.timeouts.within(timeout),
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {type(exc).__name__}", model=model.id) from exc
        self._raise_for_status(resp, model)
        try:
            body = from_anthropic(model.id, resp.json(), json_prefill(request))
        except (ValueError, AttributeError, TypeError) as exc:
            raise ProviderError(f"{self.name}: malformed response", status=502, model=model.id) from exc
        return ProviderResponse(body, body["usage"]["prompt_tokens"], body["usage"]["completion_tokens"])

    def stream(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> Iterator[dict[str, Any]]:
        body = {**to_anthropic(model, request), "stream": True}
        try:
            with self.client.stream(
                "POST",
                f"{self.base_url}/v1/messages",
                json=body,
                headers=self._headers(),
                timeout=self.timeouts.within(timeout),
            ) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._raise_for_status(resp, model)
                yield from StreamTranslator(model.id, json_prefill(request)).events(resp.iter_lines())
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {type(exc).__name__} while streaming", model=model.id) from exc


class StreamTranslator:
    """Anthropic stream events → OpenAI chunks. ``prefix`` is the text the request prefilled,
    sent in front of the answer's text unless the upstream repeats it."""

    def __init__(self, model_id: str, prefix: str = "") -> None:
        self.model_id = model_id
        self.prefill = StreamPrefill(prefix)
        self.id = "chatcmpl-anthropic"
        self.created = int(time.time())
        self.input_tokens = 0
        self.tool_index: dict[int, int] = {}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model_id,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def _text(self, text: str) -> Iterator[dict[str, Any]]:
        if text:
            yield self._chunk({"content": text})

    def events(self, lines: Iterator[str]) -> Iterator[dict[str, Any]]:
        stopped = False
        for line in lines:
            if not line.startswith("data:"):
                continue
            try:
                ev = json.loads(line[5:].strip())
            except json.JSONDecodeError as exc:
                raise ProviderError(
                    "anthropic: malformed stream event", status=502, model=self.model_id
                ) from exc
            kind = ev.get("type")
            if kind == "message_start":
                msg = ev.get("message", {})
                self.id = f"chatcmpl-{msg.get('id', '')}"
                self.input_tokens = int((msg.get("usage") or {}).get("input_tokens") or 0)
                yield self._chunk({"role": "assistant", "content": ""})
            elif kind == "content_block_start":
                block = ev.get("content_block", {})
                if block.get("type") == "tool_use":
                    yield from self._text(self.prefill.end())
                    n = len(self.tool_index)
                    self.tool_index[int(ev.get("index", 0))] = n
                    yield self._chunk(
                        {
                            "tool_calls": [
                                {
                                    "index": n,
                                    "id": block.get("id"),
                                    "type": "function",
                                    "function": {"name": block.get("name"), "arguments": ""},
                                }
                            ]
                        }
                    )
            elif kind == "content_block_delta":
                delta = ev.get("delta", {})
                if delta.get("type") == "text_delta":
                    yield from self._text(self.prefill.feed(delta.get("text", "")))
                elif delta.get("type") == "input_json_delta":
                    n = self.tool_index.get(int(ev.get("index", 0)), 0)
                    yield self._chunk(
                        {
                            "tool_calls": [
                                {"index": n, "function": {"arguments": delta.get("partial_json", "")}}
                            ]
                        }
                    )
            elif kind == "message_delta":
                out = int((ev.get("usage") or {}).get("output_tokens") or 0)
                yield from self._text(self.prefill.end())
                yield self._chunk({}, FINISH.get(str((ev.get("delta") or {}).get("stop_reason")), "stop"))
                yield {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model_id,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": self.input_tokens,
                        "completion_tokens": out,
                        "total_tokens": self.input_tokens + out,
                    },
                }
            elif kind == "message_stop":
                stopped = True
                break
            elif kind == "error":
                raise ProviderError(
                    f"anthropic stream error: {ev.get('error')}", status=502, model=self.model_id
                )
        if not stopped:
            raise ProviderError(
                "anthropic: stream ended without message_stop", status=502, model=self.model_id
            )
