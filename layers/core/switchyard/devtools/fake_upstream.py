"""A real HTTP server on loopback that speaks the OpenAI chat-completions wire format, for
tests and benchmarks. Per upstream model it can be told to fail with a status code.

    with FakeUpstream() as up:            # http://127.0.0.1:<port>/v1
        up.fail["gpt-4o-mini"] = 500
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeUpstream:
    def __init__(self) -> None:
        self.fail: dict[str, int] = {}
        self.finish: dict[str, str] = {}  # per model: finish_reason to answer with (e.g. "length")
        self.drop_after: dict[str, int] = {}  # per model: close a stream after this many chunks
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

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
                with upstream._lock:
                    upstream.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                model = str(body.get("model"))
                status = upstream.fail.get(model)
                if status:
                    return self._send(
                        status, {"error": {"message": f"injected {status}", "type": "server_error"}}
                    )
                answer = completion(model, body.get("messages", []))
                if model in upstream.finish:
                    answer["choices"][0]["finish_reason"] = upstream.finish[model]
                if body.get("stream"):
                    return self._stream(answer, body, upstream.drop_after.get(model))
                self._send(200, answer)

            def _stream(self, answer: dict[str, Any], body: dict[str, Any], drop_after: int | None) -> None:
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

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

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
    words = str(choice["message"]["content"]).split(" ")
    chunks = [
        {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    ]
    for i, w in enumerate(words):
        piece = w if i == 0 else " " + w
        chunks.append({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
    if include_usage:
        chunks.append({**base, "choices": [], "usage": answer["usage"]})
    return chunks
