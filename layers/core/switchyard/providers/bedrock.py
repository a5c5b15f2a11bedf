"""Amazon Bedrock Converse / ConverseStream adapter (boto3 ``bedrock-runtime``): OpenAI chat
format in and out. System → ``system``; tools → ``toolConfig``; tool calls ↔ ``toolUse``;
tool results → ``toolResult``; max_tokens/temperature/top_p/stop → ``inferenceConfig``;
data-URL images → image bytes; usage → tokens. Errors become ProviderError with the HTTP
status (throttling is 429), so failover treats them like any provider's."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from switchyard.catalog import ModelSpec
from switchyard.classifier.text import content_text
from switchyard.errors import ProviderError
from switchyard.providers.base import ProviderResponse, add_turn, completion, json_mode, tool_calls

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


def _content(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    out: list[dict[str, Any]] = []
    for part in content or []:
        if part.get("type") == "text":
            out.append({"text": str(part.get("text", ""))})
        elif part.get("type") == "image_url":
            url = str((part.get("image_url") or {}).get("url", ""))
            if url.startswith("data:image/") and ";base64," in url:
                media, data = url[5:].split(";base64,", 1)
                out.append(
                    {"image": {"format": media.split("/")[1], "source": {"bytes": base64.b64decode(data)}}}
                )
    return out


def to_converse(model: ModelSpec, request: Mapping[str, Any]) -> dict[str, Any]:
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []

    for m in request.get("messages", []):
        role = m.get("role")
        if role in ("system", "developer"):
            text = content_text(m.get("content"))
            if text:
                system.append({"text": text})
        elif role in ("tool", "function"):
            add_turn(
                messages,
                "user",
                [
                    {
                        "toolResult": {
                            "toolUseId": str(m.get("tool_call_id", "")),
                            "content": [{"text": content_text(m.get("content"))}],
                        }
                    }
                ],
            )
        elif role == "assistant":
            blocks = _content(m.get("content"))
            blocks += [
                {"toolUse": {"toolUseId": call_id, "name": name, "input": args}}
                for call_id, name, args in tool_calls(m)
            ]
            add_turn(messages, "assistant", blocks)
        else:
            add_turn(messages, "user", _content(m.get("content")))

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
    stop = request.get("stop")
    if stop:
        inference["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if inference:
        body["inferenceConfig"] = inference
    instruction = json_mode(request)
    if instruction:
        # no native JSON mode: instruct, and prefill the answer with "{" (the adapter adds it back)
        body.setdefault("system", []).append({"text": instruction})
        messages.append({"role": "assistant", "content": [{"text": "{"}]})
    tools = [t for t in request.get("tools") or [] if t.get("type") == "function"]
    if tools:
        config: dict[str, Any] = {
            "tools": [
                {
                    "toolSpec": {
                        "name": t["function"]["name"],
                        "description": t["function"].get("description") or t["function"]["name"],
                        "inputSchema": {
                            "json": t["function"].get("parameters") or {"type": "object", "properties": {}}
                        },
                    }
                }
                for t in tools
            ]
        }
        choice = request.get("tool_choice")
        if choice == "required":
            config["toolChoice"] = {"any": {}}
        elif isinstance(choice, Mapping) and choice.get("type") == "function":
            config["toolChoice"] = {"tool": {"name": choice["function"]["name"]}}
        elif choice != "none":
            config["toolChoice"] = {"auto": {}}
        if choice != "none":
            body["toolConfig"] = config
    return body


def from_converse(model_id: str, data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    blocks = ((data.get("output") or {}).get("message") or {}).get("content") or []
    text = prefix + "".join(b.get("text", "") for b in blocks if "text" in b)
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
        text,
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
        body = from_converse(model.id, data, "{" if json_mode(request) else "")
        return ProviderResponse(body, body["usage"]["prompt_tokens"], body["usage"]["completion_tokens"])

    def stream(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> Iterator[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            resp = self.client.converse_stream(**to_converse(model, request))
            events = cast(Iterator[Mapping[str, Any]], resp["stream"])
            yield from translate_stream(model.id, events, "{" if json_mode(request) else "")
        except (ClientError, BotoCoreError) as exc:
            raise _provider_error(self.name, model, exc) from exc


def translate_stream(
    model_id: str, events: Iterator[Mapping[str, Any]], prefix: str = ""
) -> Iterator[dict[str, Any]]:
    """ConverseStream events → OpenAI chunks."""
    cid, created = f"chatcmpl-bedrock-{int(time.time() * 1000)}", int(time.time())
    tool_index: dict[int, int] = {}
    finish: str | None = None

    def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_id,
            "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
        }

    stopped = False
    for ev in events:
        if "messageStart" in ev:
            yield chunk({"role": "assistant", "content": prefix})
        elif "contentBlockStart" in ev:
            start = ev["contentBlockStart"].get("start", {}).get("toolUse")
            if start:
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
                yield chunk({"content": delta["text"]})
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
