"""OpenAI-compatible chat completions (OpenAI, Groq, Together, Fireworks, vLLM, Ollama …)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from switchyard.catalog import ModelSpec
from switchyard.errors import ProviderError
from switchyard.providers.base import PASSTHROUGH, ProviderResponse


class OpenAICompatProvider:
    def __init__(self, name: str, base_url: str, api_key: str | None, client: httpx.Client) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.client = client

    def complete(self, model: ModelSpec, request: Mapping[str, Any]) -> ProviderResponse:
        body = {k: request[k] for k in PASSTHROUGH if request.get(k) is not None}
        body["model"] = model.upstream
        body["stream"] = False
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            resp = self.client.post(f"{self.base_url}/chat/completions", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {type(exc).__name__}", model=model.id) from exc
        if resp.status_code >= 400:
            raise ProviderError(
                f"{self.name} answered {resp.status_code}: {_error_message(resp)}",
                status=resp.status_code,
                model=model.id,
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


def _error_message(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error")
        if isinstance(err, dict):
            return str(err.get("message", ""))[:300]
        return str(err)[:300]
    except ValueError:
        return resp.text[:300]
