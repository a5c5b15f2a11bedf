"""The Anthropic Messages wire format (``POST /v1/messages``).

Pure builders of the message (:func:`anthropic_message`: a forced tool call, prefilled-JSON
mode or text) and of its stream events (:func:`anthropic_events`), and :func:`handle`, which
answers a request with them (as JSON or as SSE ``event:``/``data:`` pairs).
"""

from __future__ import annotations

import json
import time
from typing import Any

from .exchange import Exchange
from .faults import Faults


def handle(h: Exchange, body: dict[str, Any], faults: Faults) -> None:
    model = str(body.get("model"))
    if h.fault(model):
        return
    if not body.get("max_tokens") or not isinstance(body.get("messages"), list):
        return h.send_json(400, invalid_request("max_tokens and messages are required"))
    message = anthropic_message(model, body)
    if not body.get("stream"):
        return h.send_json(200, message)
    # (a streamed answer is not recorded in successes)
    frames = (f"event: {kind}\ndata: {json.dumps(ev)}\n\n".encode() for kind, ev in anthropic_events(message))
    h.send_stream("text/event-stream", frames, faults.drop_after.get(model))


def invalid_request(message: str) -> dict[str, Any]:
    """An Anthropic error body."""
    return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


def anthropic_message(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic Messages response: a tool call when a tool is forced, else text."""
    last = ""
    for m in reversed(body.get("messages", [])):
        if m.get("role") == "user":
            c = m.get("content")
            last = (
                c if isinstance(c, str) else " ".join(b.get("text", "") for b in c if b.get("type") == "text")
            )
            break
    choice = body.get("tool_choice") or {}
    if body.get("tools") and choice.get("type") in ("any", "tool"):
        name = choice.get("name") or body["tools"][0]["name"]
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": "toolu_fake_1", "name": name, "input": {"q": "test"}}
        ]
        stop = "tool_use"
    elif _prefilled(body.get("messages", [])):
        content = [{"type": "text", "text": json.dumps({"model": model, "ok": True})[1:]}]
        stop = "end_turn"
    else:
        content = [{"type": "text", "text": f"[{model}] answer to: {last[:60]}"}]
        stop = "end_turn"
    in_tokens = len(json.dumps(body.get("messages", []))) // 4 + len(str(body.get("system", ""))) // 4
    return {
        "id": f"msg_fake_{int(time.time() * 1000)}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": in_tokens, "output_tokens": 12},
    }


def anthropic_events(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The message as Anthropic stream events."""
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": message["usage"]["input_tokens"], "output_tokens": 0},
    }
    out: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            out.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            for j, word in enumerate(block["text"].split(" ")):
                out.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": i,
                            "delta": {"type": "text_delta", "text": word if j == 0 else " " + word},
                        },
                    )
                )
        else:
            out.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {
                            "type": "tool_use",
                            "id": block["id"],
                            "name": block["name"],
                            "input": {},
                        },
                    },
                )
            )
            out.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                    },
                )
            )
        out.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
    )
    out.append(("message_stop", {"type": "message_stop"}))
    return out


def _prefilled(messages: list[dict[str, Any]]) -> bool:
    """Does the request end with an assistant turn prefilled with "{" (JSON mode emulation)?"""
    if not messages or messages[-1].get("role") != "assistant":
        return False
    c: Any = messages[-1].get("content")
    return (c if isinstance(c, str) else "".join(b.get("text", "") for b in c)) == "{"
