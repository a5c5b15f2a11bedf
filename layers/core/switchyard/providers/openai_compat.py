"""OpenAI-compatible chat completions (OpenAI, Groq, Together, Fireworks, vLLM, Ollama …)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from switchyard import telemetry
from switchyard.catalog import ModelSpec
from switchyard.errors import ProviderError
from switchyard.providers.base import PASSTHROUGH, HttpProvider, ProviderResponse


def chat_body(model: ModelSpec, request: Mapping[str, Any], *, stream: bool) -> dict[str, Any]:
    """The upstream body: the request's OpenAI fields as they are (the schema validated
    them), the upstream's model name, and for a stream the usage at its end."""
    body = {k: request[k] for k in PASSTHROUGH if request.get(k) is not None}
    body.update(model=model.upstream, stream=stream)
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


log = logging.getLogger(__name__)


class OpenAICompatProvider(HttpProvider):
    def complete(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> ProviderResponse:
        body = chat_body(model, request, stream=False)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            resp = self.client.post(
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeouts.within(timeout),
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {type(exc).__name__}", model=model.id) from exc
        self._raise_for_status(resp, model)
        try:
            data = resp.json()
            choices = data["choices"]
            if not isinstance(choices, list) or not choices:
                raise ValueError("no choices")
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(
                f"{self.name}: malformed completion ({exc})", status=502, model=model.id
            ) from exc
        usage = data.get("usage") or {}
        return ProviderResponse(
            body=data,
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        )

    def stream(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> Iterator[dict[str, Any]]:
        body = chat_body(model, request, stream=True)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        finished = False  # a chunk with a finish_reason arrived: the answer is complete
        try:
            with self.client.stream(
                "POST",
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeouts.within(timeout),
            ) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._raise_for_status(resp, model)
                done = False
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        done = True
                        break
                    try:
                        chunk = json.loads(data)
                    except json.JSONDecodeError as exc:
                        raise ProviderError(
                            f"{self.name}: malformed stream chunk", status=502, model=model.id
                        ) from exc
                    if isinstance(chunk, dict) and "error" in chunk:
                        raise ProviderError(f"{self.name}: {chunk['error']}", status=502, model=model.id)
                    yield chunk
                    finished = finished or _finished(chunk)
                if not done and not finished:
                    raise ProviderError(
                        f"{self.name}: stream ended without [DONE]", status=502, model=model.id
                    )
        except httpx.HTTPError as exc:
            if finished:  # the answer is complete; only the [DONE] (and maybe usage) never came
                telemetry.count("stream_tail_timeouts")
                log.warning("stream finished but its tail stalled", extra={"model": model.id})
                return
            raise ProviderError(f"{self.name}: {type(exc).__name__} while streaming", model=model.id) from exc


def _finished(chunk: object) -> bool:
    """Whether a chunk carries a finish_reason: the answer is complete after it."""
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    return isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices)
