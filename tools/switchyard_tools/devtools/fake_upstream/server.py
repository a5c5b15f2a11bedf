"""The fake upstream's HTTP server: lifecycle, request dispatch and recording.

:class:`FakeUpstream` runs a ``ThreadingHTTPServer`` on loopback and records the requests
it gets (``requests``) and those answered with 200 (``successes``). :class:`Handler` reads a
request, records it and dispatches it by path to the wire-format module that answers it
(:mod:`.openai`, :mod:`.anthropic`, :mod:`.bedrock`), which answer through the means it
offers them (:class:`~.exchange.Exchange`: JSON, raw bytes, a stream of frames, hanging up).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast, overload

from . import anthropic, bedrock, openai
from .faults import Faults


class Handler(BaseHTTPRequestHandler):
    """One connection to the fake upstream (HTTP/1.1 keep-alive: possibly several requests);
    the :class:`~.exchange.Exchange` of the request being answered."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on keep-alive
    _body: Any = None  # of the request being answered
    _generation = 0  # of the upstream when the request came in

    @property
    def upstream(self) -> FakeUpstream:
        return cast(_Server, self.server).upstream

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        upstream = self.upstream
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return self.send_json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
        self._body = body
        self._generation = upstream._generation  # answers to requests from before a reset() are not recorded
        with upstream._lock:
            upstream.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.rstrip("/") == "/v1/messages":
            return anthropic.handle(self, body, upstream.faults)
        if self.path.startswith("/model/"):
            return bedrock.handle(self, body, upstream.faults)
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self.send_json(404, {"error": {"message": "not found"}})
        return openai.handle(self, body, upstream.faults)

    def fault(self, model: str) -> bool:
        """Apply the faults injected for this model; True when the request was answered."""
        upstream = self.upstream
        return upstream.faults.apply(model, upstream._rng, upstream._lock, self)

    def record_success(self) -> None:
        upstream = self.upstream
        with upstream._lock:
            if self._generation == upstream._generation:
                upstream.successes.append({"path": self.path, "body": self._body})

    def hang_up(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        self.connection.shutdown(2)

    def send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        if status == 200:
            self.record_success()
        self.send_raw(status, json.dumps(payload).encode(), headers)

    def send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_stream(self, content_type: str, frames: Iterable[bytes], drop_after: int | None) -> bool:
        """A 200 answer of frames, each flushed as it is written, on a connection that closes
        after it. With ``drop_after`` only that many frames are sent: False when cut short."""
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        for n, frame in enumerate(frames):
            if drop_after is not None and n >= drop_after:
                return False
            self.write(frame)
        return True

    def write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    def __init__(self, upstream: FakeUpstream) -> None:
        self.upstream = upstream
        super().__init__(("127.0.0.1", 0), Handler)


class _FaultsField[T]:
    """An attribute of FakeUpstream that is the field of the same name of its ``faults``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _FaultsField[T]: ...
    @overload
    def __get__(self, obj: FakeUpstream, objtype: type | None = None) -> T: ...
    def __get__(self, obj: FakeUpstream | None, objtype: type | None = None) -> T | _FaultsField[T]:
        if obj is None:
            return self
        return cast(T, getattr(obj.faults, self.name))

    def __set__(self, obj: FakeUpstream, value: T) -> None:
        setattr(obj.faults, self.name, value)


class FakeUpstream:
    """The fake upstream server (started by ``start()`` or ``with``), with the faults to inject
    (``faults``, or the same mappings as attributes: ``up.fail["gpt-4o-mini"] = 500``)."""

    fail = _FaultsField[dict[str, int]]()
    finish = _FaultsField[dict[str, str]]()
    drop_after = _FaultsField[dict[str, int]]()
    delay = _FaultsField[dict[str, float]]()
    retry_after = _FaultsField[dict[str, str]]()
    fail_times = _FaultsField[dict[str, int]]()
    fail_rate = _FaultsField[dict[str, float]]()
    malformed = _FaultsField[set[str]]()
    hang_up = _FaultsField[set[str]]()
    chunk_delay = _FaultsField[dict[str, float]]()
    stall_after_finish = _FaultsField[dict[str, float]]()
    first_chunk_at = _FaultsField[list[float]]()

    def __init__(self, seed: int = 0) -> None:
        self.faults = Faults()
        self.requests: list[dict[str, Any]] = []  # every request with a JSON body
        self.successes: list[dict[str, Any]] = []  # requests answered with 200
        self._rng = random.Random(seed)  # for fail_rate
        self._generation = 0
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer = _Server(self)
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
            self.faults.clear()
            self.requests.clear()
            self.successes.clear()

    def models_called(self) -> list[str]:
        with self._lock:
            return [str(r["body"].get("model")) for r in self.requests]
