"""OpenAI-compatible chat completions (OpenAI, Groq, Together, Fireworks, vLLM, Ollama …)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from switchyard.catalog import ModelSpec
from switchyard.errors import ProviderError
from switchyard.providers.base import PASSTHROUGH, HttpProvider, ProviderResponse


class OpenAICompatProvider(HttpProvider):
    def complete(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> ProviderResponse:
        body = {k: request[k] for k in PASSTHROUGH if request.get(k) is not None}
        body["model"] = model.upstream
        body["stream"] = False
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
        body = {k: request[k] for k in PASSTHROUGH if request.get(k) is not None}
        body.update(model=model.upstream, stream=True, stream_options={"include_usage": True})
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
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
                if not done:
                    raise ProviderError(
                        f"{self.name}: stream ended without [DONE]", status=502, model=model.id
                    )
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {type(exc).__name__} while streaming", model=model.id) from exc
