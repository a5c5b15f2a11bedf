"""The Amazon Bedrock Converse wire format (``POST /model/<model id>/converse`` and
``/converse-stream``).

Pure builders of the Converse response (:func:`bedrock_message`: a forced tool call,
prefilled-JSON mode or text), of its ConverseStream events (:func:`bedrock_events`) and of
their AWS event-stream binary framing (:func:`eventstream_message`, with its CRCs), and
:func:`handle`, which answers a request with them.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any
from urllib.parse import unquote

from .exchange import Exchange
from .faults import Faults


def handle(h: Exchange, body: dict[str, Any], faults: Faults) -> None:
    _, _, model_id, action = h.path.split("/", 3)
    model = unquote(model_id)
    if h.fault(model):
        return
    message = bedrock_message(body)
    if action.rstrip("/") == "converse":
        return h.send_json(200, message)
    h.record_success()
    frames = (eventstream_message(kind, payload) for kind, payload in bedrock_events(message))
    h.send_stream("application/vnd.amazon.eventstream", frames, faults.drop_after.get(model))


def bedrock_message(body: dict[str, Any]) -> dict[str, Any]:
    """A Converse response: a tool call when a tool is forced, else text."""
    last = ""
    for m in reversed(body.get("messages", [])):
        if m.get("role") == "user":
            last = " ".join(b.get("text", "") for b in m.get("content", []) if "text" in b)
            break
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
    if "any" in choice or "tool" in choice:
        name = (choice.get("tool") or {}).get("name") or body["toolConfig"]["tools"][0]["toolSpec"]["name"]
        content: list[dict[str, Any]] = [
            {"toolUse": {"toolUseId": "tooluse_fake_1", "name": name, "input": {"q": "test"}}}
        ]
        stop = "tool_use"
    elif _prefilled(body.get("messages", [])):
        content = [{"text": json.dumps({"model": "bedrock", "ok": True})[1:]}]
        stop = "end_turn"
    else:
        content = [{"text": f"[bedrock] answer to: {last[:60]}"}]
        stop = "end_turn"
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {
            "inputTokens": len(json.dumps(body.get("messages", []))) // 4,
            "outputTokens": 10,
            "totalTokens": 0,
        },
        "metrics": {"latencyMs": 5},
    }


def bedrock_events(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The Converse response as ConverseStream events (event type, payload)."""
    out: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    for i, block in enumerate(message["output"]["message"]["content"]):
        if "text" in block:
            for j, word in enumerate(block["text"].split(" ")):
                out.append(
                    (
                        "contentBlockDelta",
                        {"contentBlockIndex": i, "delta": {"text": word if j == 0 else " " + word}},
                    )
                )
        else:
            tu = block["toolUse"]
            out.append(
                (
                    "contentBlockStart",
                    {
                        "contentBlockIndex": i,
                        "start": {"toolUse": {"toolUseId": tu["toolUseId"], "name": tu["name"]}},
                    },
                )
            )
            out.append(
                (
                    "contentBlockDelta",
                    {"contentBlockIndex": i, "delta": {"toolUse": {"input": json.dumps(tu["input"])}}},
                )
            )
        out.append(("contentBlockStop", {"contentBlockIndex": i}))
    out.append(("messageStop", {"stopReason": message["stopReason"]}))
    out.append(("metadata", {"usage": message["usage"], "metrics": message["metrics"]}))
    return out


def eventstream_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One message of the AWS event-stream binary format (as ConverseStream sends them)."""

    def header(name: str, value: str) -> bytes:
        n, v = name.encode(), value.encode()
        return struct.pack(">B", len(n)) + n + struct.pack(">BH", 7, len(v)) + v

    headers = (
        header(":event-type", event_type)
        + header(":content-type", "application/json")
        + header(":message-type", "event")
    )
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack(">I", zlib.crc32(message))


def _prefilled(messages: list[dict[str, Any]]) -> bool:
    """Does the request end with an assistant turn prefilled with "{" (JSON mode emulation)?"""
    if not messages or messages[-1].get("role") != "assistant":
        return False
    blocks: Any = messages[-1].get("content")
    return "".join(b.get("text", "") for b in blocks) == "{"
