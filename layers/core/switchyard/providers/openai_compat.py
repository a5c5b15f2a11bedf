"""OpenAI-compatible chat completions (OpenAI, Groq, Together, Fireworks, vLLM, Ollama …)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from switchyard.catalog import ModelSpec
from switchyard.errors import ProviderError
from switchyard.providers.base import PASSTHROUGH, HttpProvider, ProviderResponse, retry_after_seconds


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
        if resp.status_code >= 400:
            raise ProviderError(
                f"{self.name} answered {resp.status_code}: {_error_message(resp)}",
                status=resp.status_code,
                model=model.id,
                retry_after=retry_after_seconds(resp.headers.get("retry-after")),
            )
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
                    raise ProviderError(
                        f"{self.name} answered {resp.status_code}: {_error_message(resp)}",
                        status=resp.status_code,
                        model=model.id,
                        retry_after=retry_after_seconds(resp.headers.get("retry-after")),
                    )
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


def _error_message(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error")
        if isinstance(err, dict):
            return str(err.get("message", ""))[:300]
        return str(err)[:300]
    except ValueError:
        return resp.text[:300]
