"""Streaming answers as OpenAI server-sent events.

Failover is transparent until the first chunk: `open_stream` tries the decision's models in
order and returns once one has produced a chunk. After that, a failure ends the stream with
an explicit error event (the OpenAI SDK raises it), never a silent truncation, and nothing
is retried, so no answer is sent twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from switchyard import telemetry
from switchyard.errors import ProviderError
from switchyard.providers.base import ProviderResponse
from switchyard.service.budgets import Reservation
from switchyard.service.requests import ChatRequest, estimate_tokens
from switchyard.service.results import CompletionResult, RouteResult, priced
from switchyard.service.router import RouterService

log = logging.getLogger(__name__)


@dataclass
class OpenStream:
    routed: RouteResult
    model: str
    first: dict[str, Any]
    rest: Iterator[dict[str, Any]]
    tried: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    reservation: Reservation | None = None  # under the tenant's hard cap, settled at the end


def open_stream(service: RouterService, req: ChatRequest, routed: RouteResult) -> OpenStream:
    """Fail over until a model has produced its first chunk."""
    start = time.perf_counter()

    def first_chunk(
        spec: Any, provider: Any, remaining: float
    ) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
        chunks = provider.stream(spec, req.body, remaining)
        try:
            return next(chunks), chunks
        except StopIteration as exc:
            raise ProviderError(f"{spec.id}: empty stream", status=502, model=spec.id) from exc

    d = routed.decision
    reservation = service.reserve(req, routed)
    try:
        model_id, (first, rest), tried = service.failover.run((d.model, *d.fallbacks), first_chunk)
    except BaseException:
        service.settle(reservation, 0.0)
        raise
    return OpenStream(routed, model_id, first, rest, tried, start, reservation)


def _event(payload: Mapping[str, Any]) -> str:
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n"


def sse(service: RouterService, stream: OpenStream, req: ChatRequest) -> Iterator[str]:
    """The client's event stream; records the request and caches a complete answer at the end."""
    request = req.body
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    content: list[str] = []
    finish: str | None = None
    usage: dict[str, Any] | None = None
    meta: dict[str, Any] = {}
    pending_finish: dict[str, Any] | None = None
    chunks = iter([stream.first])
    try:
        for source in (chunks, stream.rest):
            for chunk in source:
                chunk = {**chunk, "model": stream.model}
                meta = meta or {k: chunk.get(k) for k in ("id", "created")}
                if chunk.get("usage"):
                    usage = chunk["usage"]
                choices = chunk.get("choices") or []
                for c in choices:
                    piece = (c.get("delta") or {}).get("content")
                    if piece:
                        content.append(piece)
                    if c.get("finish_reason"):
                        finish = c["finish_reason"]
                if choices and any(c.get("finish_reason") for c in choices):
                    pending_finish = chunk  # sent last, with the router's numbers
                    continue
                if not choices and not include_usage:
                    continue  # a usage-only chunk the client did not ask for
                if choices:
                    yield _event(chunk)
    except ProviderError as exc:
        telemetry.count("stream_interruptions")
        log.warning(
            "stream interrupted after its first chunk", extra={"model": stream.model, "status": exc.status}
        )
        yield _event(
            {
                "error": {
                    "message": f"the upstream stream from {stream.model} was interrupted; the answer is incomplete",
                    "type": "upstream_error",
                    "code": "stream_interrupted",
                }
            }
        )
        return
    text = "".join(content)
    in_tokens = int((usage or {}).get("prompt_tokens") or estimate_tokens(request.get("messages", [])))
    out_tokens = int((usage or {}).get("completion_tokens") or max(len(text) // 4, 1))
    body = {
        "id": meta.get("id"),
        "object": "chat.completion",
        "created": meta.get("created"),
        "model": stream.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": in_tokens,
            "completion_tokens": out_tokens,
            "total_tokens": in_tokens + out_tokens,
        },
    }
    resp = ProviderResponse(body, in_tokens, out_tokens)
    latency = (time.perf_counter() - stream.started) * 1000
    result = priced(
        service.catalog, stream.routed, stream.model, resp, stream.tried, latency, service.cache.state(req)
    )
    service.settle(stream.reservation, result.cost_usd)
    service.recorder.record(req, result)
    final = pending_finish or {
        "id": meta.get("id"),
        "object": "chat.completion.chunk",
        "created": meta.get("created"),
        "model": stream.model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
    }
    yield _event({**final, "router": result.router_info()})
    if include_usage:
        yield _event(
            {
                "id": meta.get("id"),
                "object": "chat.completion.chunk",
                "created": meta.get("created"),
                "model": stream.model,
                "choices": [],
                "usage": body["usage"],
            }
        )
    service.cache.write(req, result)
    yield "data: [DONE]\n\n"


def replay(result: CompletionResult, request: Mapping[str, Any]) -> Iterator[str]:
    """A cached answer as a stream: role, content, finish (with the router's numbers), [DONE]."""
    body = result.body
    message = body["choices"][0]["message"]
    base = {
        "id": body.get("id"),
        "object": "chat.completion.chunk",
        "created": body.get("created"),
        "model": result.model,
    }
    yield _event(
        {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    )
    yield _event(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"content": message.get("content", "")}, "finish_reason": None}
            ],
        }
    )
    yield _event(
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "router": result.router_info(),
        }
    )
    if (request.get("stream_options") or {}).get("include_usage") and body.get("usage"):
        yield _event({**base, "choices": [], "usage": body["usage"]})
    yield "data: [DONE]\n\n"
