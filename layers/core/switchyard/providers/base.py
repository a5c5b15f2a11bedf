"""The provider interface: an OpenAI-format chat request in, an OpenAI-format completion out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from switchyard.catalog import ModelSpec

# Request fields passed through to OpenAI-compatible upstreams.
PASSTHROUGH = (
    "messages",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "tools",
    "tool_choice",
    "response_format",
    "logit_bias",
    "user",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
)


@dataclass(frozen=True)
class ProviderResponse:
    body: dict[str, Any]  # OpenAI chat.completion object
    input_tokens: int
    output_tokens: int


class ChatProvider(Protocol):
    def complete(self, model: ModelSpec, request: Mapping[str, Any]) -> ProviderResponse: ...

    def stream(self, model: ModelSpec, request: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """OpenAI ``chat.completion.chunk`` objects; the last ones carry finish_reason and usage.
        Raises ProviderError before the first chunk (failover) or while streaming."""
        ...


def retryable(status: int | None) -> bool:
    """Connect errors and timeouts (no status), 408, 409, 429 and 5xx go to the next model."""
    return status is None or status in (408, 409, 429) or status >= 500
