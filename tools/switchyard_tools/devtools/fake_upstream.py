"""A real HTTP server on loopback that speaks the OpenAI chat-completions wire format, for
tests and benchmarks. Per upstream model it can be told to fail with a status code.

    with FakeUpstream() as up:            # http://127.0.0.1:<port>/v1
        up.fail["gpt-4o-mini"] = 500
"""

from __future__ import annotations

import json
import random
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


class FakeUpstream:
    def __init__(self, seed: int = 0) -> None:
        self.fail: dict[str, int] = {}
        self.finish: dict[str, str] = {}  # per model: finish_reason to answer with (e.g. "length")
        self.drop_after: dict[str, int] = {}  # per model: close a stream after this many chunks
        self.delay: dict[str, float] = {}  # per model: seconds to wait before answering
        self.retry_after: dict[str, str] = {}  # per model: Retry-After header sent with injected failures
        self.fail_times: dict[str, int] = {}  # per model: fail only this many more calls
        self.fail_rate: dict[str, float] = {}  # per model: share of calls that fail with 500 (seeded)
        self.malformed: set[str] = set()  # models that answer 200 with a body that is not JSON
        self.hang_up: set[str] = set()  # models that close the connection without answering
        self.successes: list[dict[str, Any]] = []  # requests answered with 200
        self._rng = random.Random(seed)
        self._generation = 0
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on keep-alive

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    return self._send(
                        400, {"error": {"message": "bad json", "type": "invalid_request_error"}}
                    )
                self._body = body
                self._generation = (
                    upstream._generation
                )  # answers to requests from before a reset() are not recorded
                with upstream._lock:
                    upstream.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if self.path.rstrip("/") == "/v1/messages":
                    return self._anthropic(body)
                if self.path.startswith("/model/"):
                    return self._bedrock(body)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                model = str(body.get("model"))
                if self._fault(model):
                    return None
                answer = completion(model, body.get("messages", []))
                if body.get("tools") and body.get("tool_choice") not in (None, "auto", "none"):
                    choice = body["tool_choice"]
                    name = (
                        choice["function"]["name"]
                        if isinstance(choice, dict)
                        else body["tools"][0]["function"]["name"]
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
                if model in upstream.finish:
                    answer["choices"][0]["finish_reason"] = upstream.finish[model]
                if body.get("stream"):
                    return self._stream(answer, body, upstream.drop_after.get(model))
                self._send(200, answer)

            def _fault(self, model: str) -> bool:
                """Apply the faults injected for this model; True when the request was answered."""
                if model in upstream.delay:
                    time.sleep(upstream.delay[model])
                if model in upstream.hang_up:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return True
                status = upstream.fail.get(model)
                with upstream._lock:
                    if status and model in upstream.fail_times:
                        if upstream.fail_times[model] <= 0:
                            status = None
                        else:
                            upstream.fail_times[model] -= 1
                    rate = upstream.fail_rate.get(model, 0.0)
                    if not status and rate and upstream._rng.random() < rate:
                        status = 500
                if status:
                    headers = (
                        {"retry-after": upstream.retry_after[model]} if model in upstream.retry_after else {}
                    )
                    self._send(
                        status, {"error": {"message": f"injected {status}", "type": "server_error"}}, headers
                    )
                    return True
                if model in upstream.malformed:
                    self._raw(200, b'{"choices": [ this is not json')
                    return True
                return False

            def _bedrock(self, body: dict[str, Any]) -> None:
                _, _, model_id, action = self.path.split("/", 3)
                model = unquote(model_id)
                if self._fault(model):
                    return None
                message = bedrock_message(body)
                if action.rstrip("/") == "converse":
                    return self._send(200, message)
                with upstream._lock:
                    if self._generation == upstream._generation:
                        upstream.successes.append({"path": self.path, "body": self._body})
                self.send_response(200)
                self.send_header("content-type", "application/vnd.amazon.eventstream")
                self.send_header("connection", "close")
                self.end_headers()
                self.close_connection = True
                drop = upstream.drop_after.get(model)
                for n, (kind, payload) in enumerate(bedrock_events(message)):
                    if drop is not None and n >= drop:
                        return
                    self.wfile.write(eventstream_message(kind, payload))
                    self.wfile.flush()

            def _anthropic(self, body: dict[str, Any]) -> None:
                model = str(body.get("model"))
                if self._fault(model):
                    return None
                if not body.get("max_tokens") or not isinstance(body.get("messages"), list):
                    return self._send(
                        400,
                        {
                            "type": "error",
                            "error": {
                                "type": "invalid_request_error",
                                "message": "max_tokens and messages are required",
                            },
                        },
                    )
                message = anthropic_message(model, body)
                if not body.get("stream"):
                    return self._send(200, message)
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                self.close_connection = True
                drop = upstream.drop_after.get(model)
                for n, (kind, ev) in enumerate(anthropic_events(message)):
                    if drop is not None and n >= drop:
                        return
                    self.wfile.write(f"event: {kind}\ndata: {json.dumps(ev)}\n\n".encode())
                    self.wfile.flush()

            def _stream(self, answer: dict[str, Any], body: dict[str, Any], drop_after: int | None) -> None:
                with upstream._lock:
                    if self._generation == upstream._generation:
                        upstream.successes.append({"path": self.path, "body": self._body})
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                self.close_connection = True
                for n, chunk in enumerate(
                    stream_chunks(answer, bool((body.get("stream_options") or {}).get("include_usage")))
                ):
                    if drop_after is not None and n >= drop_after:
                        return  # the connection closes mid-stream, no [DONE]
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                if status == 200:
                    with upstream._lock:
                        if self._generation == upstream._generation:
                            upstream.successes.append({"path": self.path, "body": self._body})
                self._raw(status, json.dumps(payload).encode(), headers)

            def _raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """For OpenAI-compatible clients (ends in /v1)."""
        return f"{self.root_url}/v1"

    @property
    def root_url(self) -> str:
        """For the Anthropic client (which adds /v1/messages itself)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeUpstream:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget injected faults and recorded requests."""
        with self._lock:
            self._generation += 1
            for faults in (
                self.fail,
                self.finish,
                self.drop_after,
                self.delay,
                self.retry_after,
                self.fail_times,
                self.fail_rate,
            ):
                faults.clear()
            self.malformed.clear()
            self.hang_up.clear()
            self.requests.clear()
            self.successes.clear()

    def models_called(self) -> list[str]:
        with self._lock:
            return [str(r["body"].get("model")) for r in self.requests]


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
    elif _prefilled(
        body.get("messages", []), lambda c: c if isinstance(c, str) else "".join(b.get("text", "") for b in c)
    ):
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
    elif _prefilled(body.get("messages", []), lambda c: "".join(b.get("text", "") for b in c)):
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


def _prefilled(messages: list[dict[str, Any]], text: Any) -> bool:
    """Does the request end with an assistant turn prefilled with "{" (JSON mode emulation)?"""
    return (
        bool(messages)
        and messages[-1].get("role") == "assistant"
        and text(messages[-1].get("content")) == "{"
    )
