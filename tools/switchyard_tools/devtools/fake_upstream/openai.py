"""The OpenAI chat-completions wire format (``POST /v1/chat/completions``).

Pure builders of the answer (:func:`completion`, shaped by :func:`reply` for forced tool
calls and JSON mode) and of its ``chat.completion.chunk`` stream (:func:`stream_chunks`), and
:func:`handle`, which answers a request with them (as JSON or as SSE ending in ``[DONE]``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from .exchange import Exchange
from .faults import Faults


def handle(h: Exchange, body: dict[str, Any], faults: Faults) -> None:
    model = str(body.get("model"))
    if h.fault(model):
        return
    answer = reply(model, body)
    if model in faults.finish:
        answer["choices"][0]["finish_reason"] = faults.finish[model]
    if not body.get("stream"):
        return h.send_json(200, answer)
    h.record_success()
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    gap, stall = faults.chunk_delay.get(model, 0.0), faults.stall_after_finish.get(model)
    frames = paced(stream_chunks(answer, include_usage), gap, stall, faults.first_chunk_at)
    if h.send_stream("text/event-stream", frames, faults.drop_after.get(model)):
        h.write(b"data: [DONE]\n\n")  # not when the stream was dropped: the connection closes mid-stream


def paced(
    chunks: list[dict[str, Any]], gap: float, stall: float | None, first_at: list[float] | None = None
) -> Iterator[bytes]:
    """The SSE frames, ``gap`` seconds apart (a slow upstream), and ``stall`` seconds of
    silence after the finish chunk (an upstream that finished but hangs before [DONE]); the
    time the first frame is handed to the socket is appended to ``first_at``."""
    for n, chunk in enumerate(chunks):
        if gap and n:
            time.sleep(gap)
        if n == 0 and first_at is not None:
            first_at.append(time.monotonic())
        yield f"data: {json.dumps(chunk)}\n\n".encode()
        if stall and any(c.get("finish_reason") for c in chunk.get("choices") or []):
            time.sleep(stall)


def reply(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The completion for a request: a tool call when a tool is forced, JSON in JSON mode."""
    answer = completion(model, body.get("messages", []))
    if body.get("tools") and body.get("tool_choice") not in (None, "auto", "none"):
        choice = body["tool_choice"]
        name = (
            choice["function"]["name"] if isinstance(choice, dict) else body["tools"][0]["function"]["name"]
        )
        answer["choices"][0]["message"] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_fake_1",
                    "type": "function",
                    "function": {"name": name, "arguments": '{"q": "test"}'},
                }
            ],
        }
        answer["choices"][0]["finish_reason"] = "tool_calls"
    elif (body.get("response_format") or {}).get("type") in ("json_object", "json_schema"):
        answer["choices"][0]["message"]["content"] = json.dumps({"model": model, "ok": True})
    return answer


def completion(model: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A deterministic answer that says which upstream model produced it."""
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    text = f"[{model}] answer to: {str(last)[:60]}"
    prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 4
    completion_tokens = len(text) // 4
    return {
        "id": f"chatcmpl-fake-{int(time.time() * 1000)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def stream_chunks(answer: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    """The completion as OpenAI ``chat.completion.chunk`` objects, a word at a time."""
    base = {
        "id": answer["id"],
        "object": "chat.completion.chunk",
        "created": answer["created"],
        "model": answer["model"],
    }
    choice = answer["choices"][0]
    delta0 = {"role": "assistant", "content": ""}
    chunks = [{**base, "choices": [{"index": 0, "delta": delta0, "finish_reason": None}]}]
    for n, call in enumerate(choice["message"].get("tool_calls") or []):
        fn = call["function"]
        head = {
            "index": n,
            "id": call["id"],
            "type": "function",
            "function": {"name": fn["name"], "arguments": ""},
        }
        tail = {"index": n, "function": {"arguments": fn["arguments"]}}
        for delta in (head, tail):
            chunks.append(
                {**base, "choices": [{"index": 0, "delta": {"tool_calls": [delta]}, "finish_reason": None}]}
            )
    text = choice["message"].get("content")
    for i, w in enumerate(str(text).split(" ") if text else []):
        piece = w if i == 0 else " " + w
        chunks.append({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
    if include_usage:
        chunks.append({**base, "choices": [], "usage": answer["usage"]})
    return chunks
