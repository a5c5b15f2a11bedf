"""The provider interface: an OpenAI-format chat request in, an OpenAI-format completion out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from switchyard.catalog import ModelSpec
from switchyard.errors import InputError, ProviderError

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


@dataclass(frozen=True)
class Timeouts:
    """Connect, first byte (the wait for the response to start) and, per call, the time left
    of the request's total budget."""

    connect: float = 3.0
    first_byte: float = 30.0

    def within(self, remaining: float | None) -> httpx.Timeout:
        cap = remaining if remaining is not None else float("inf")
        return httpx.Timeout(
            connect=min(self.connect, cap),
            read=min(self.first_byte, cap),
            write=min(10.0, cap),
            pool=min(5.0, cap),
        )


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
        except (TypeError, ValueError):
            return None


class ChatProvider(Protocol):
    def complete(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> ProviderResponse: ...

    def stream(
        self, model: ModelSpec, request: Mapping[str, Any], timeout: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """OpenAI ``chat.completion.chunk`` objects; the last ones carry finish_reason and usage.
        Raises ProviderError before the first chunk (failover) or while streaming."""
        ...


def retryable(status: int | None) -> bool:
    """Connect errors and timeouts (no status), 408, 409, 429 and 5xx go to the next model."""
    return status is None or status in (408, 409, 429) or status >= 500


JSON_INSTRUCTION = "Respond with one valid JSON object and nothing else: no prose, no code fences."
JSON_PREFILL = "{"  # the answer's start, prefilled by the adapters that emulate JSON mode
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


def json_mode(request: Mapping[str, Any]) -> str | None:
    """For providers without a native JSON mode: the instruction to add to the system prompt
    (with the schema, for json_schema), or None when the request did not ask for JSON."""
    fmt = request.get("response_format")
    if not isinstance(fmt, Mapping) or fmt.get("type") not in ("json_object", "json_schema"):
        return None
    schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
    return JSON_INSTRUCTION + (f" It must match this JSON schema: {json.dumps(schema)}" if schema else "")


def json_prefill(request: Mapping[str, Any]) -> str:
    """The text an emulated JSON mode prefills the answer with ("" when the request did not ask
    for JSON); the adapter puts it back in front of the answer."""
    return JSON_PREFILL if json_mode(request) else ""


def with_prefill(prefix: str, text: str) -> str:
    """The answer with the prefilled text in front, unless the upstream already repeated it
    (after leading whitespace): ``{"a": 1}`` stays as it is, never ``{{"a": 1}``."""
    return text if text.lstrip().startswith(prefix) else prefix + text


class StreamPrefill:
    """:func:`with_prefill` for a streamed answer: ``feed`` each text delta and send what it
    returns; ``end`` when the text is over (before a tool call or the finish). The deltas are
    held back only until the answer's first characters show whether the upstream repeated the
    prefix, so the streamed text is the text :func:`with_prefill` would give."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.pending: str | None = "" if prefix else None  # None once decided

    def feed(self, text: str) -> str:
        if self.pending is None:
            return text
        self.pending += text
        head = self.pending.lstrip()
        if len(head) < len(self.prefix) and self.prefix.startswith(head):
            return ""  # only whitespace (or the prefix's start) so far: undecided
        return self.end()

    def end(self) -> str:
        if self.pending is None:
            return ""
        text, self.pending = self.pending, None
        return with_prefill(self.prefix, text)


def data_url(url: str) -> tuple[str, str] | None:
    """(media type, base64 data) of a base64 data URL; None for any other URL."""
    if not url.startswith("data:") or ";base64," not in url:
        return None
    media, data = url[5:].split(";base64,", 1)
    return media.lower(), data


def stop_sequences(request: Mapping[str, Any]) -> list[str]:
    """The request's ``stop`` as a list, without empty strings (which stop nothing)."""
    stop = request.get("stop")
    return [s for s in ([stop] if isinstance(stop, str) else stop or []) if s]


def refuse_many_choices(model: ModelSpec, request: Mapping[str, Any]) -> None:
    """An InputError for ``n`` > 1 on a provider that answers with one choice."""
    n = request.get("n")
    if n is not None and n > 1:
        raise InputError(f"n={n}: {model.id} answers with one choice; use n=1", param="n")


def completion(
    completion_id: str,
    model_id: str,
    text: str,
    tool_calls: list[dict[str, Any]],
    finish_reason: str | None,
    prompt_tokens: int,
    completion_tokens: int,
) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` object (what every adapter returns)."""
    message: dict[str, Any] = {"role": "assistant", "content": text or (None if tool_calls else "")}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def error_message(resp: httpx.Response) -> str:
    """The upstream's own error text (OpenAI and Anthropic both answer ``{"error": {"message"}}``
    or ``{"error": "…"}``), at most 300 characters."""
    try:
        err = resp.json().get("error")
    except (ValueError, AttributeError):
        return resp.text[:300]
    if isinstance(err, dict):
        return str(err.get("message", ""))[:300]
    return str(err)[:300]


class HttpProvider:
    """Common state of the adapters that speak HTTP through the shared httpx client."""

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None,
        client: httpx.Client,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.client = client
        self.timeouts = timeouts or Timeouts()

    def _raise_for_status(self, resp: httpx.Response, model: ModelSpec) -> None:
        """A ProviderError for a 4xx/5xx answer (the body must have been read), with its
        status and Retry-After; nothing for a success."""
        if resp.status_code < 400:
            return
        raise ProviderError(
            f"{self.name} answered {resp.status_code}: {error_message(resp)}",
            status=resp.status_code,
            model=model.id,
            retry_after=retry_after_seconds(resp.headers.get("retry-after")),
        )


def add_turn(messages: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Append content blocks as a turn, merging with the previous turn of the same role
    (Anthropic and Bedrock want user and assistant turns to alternate)."""
    if not blocks:
        return
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(blocks)
    else:
        messages.append({"role": role, "content": blocks})


def tool_calls(message: Mapping[str, Any]) -> list[tuple[Any, Any, dict[str, Any]]]:
    """(id, function name, parsed arguments) of an OpenAI assistant message's tool calls."""
    out = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        try:
            args = json.loads(fn.get("arguments") or "{}")
        except json.JSONDecodeError:
            args = {}
        out.append((call.get("id"), fn.get("name"), args if isinstance(args, dict) else {}))
    return out


Blocks = list[dict[str, Any]]


def content_blocks(
    model: ModelSpec,
    content: Any,
    text: Callable[[str], Blocks],
    image: Callable[[ModelSpec, str], dict[str, Any]],
) -> Blocks:
    """A message's content (a string or OpenAI content parts) as a provider's blocks, built by
    its ``text`` and ``image`` functions; parts it cannot take are an InputError (400)."""
    if isinstance(content, str):
        return text(content)
    out: Blocks = []
    for part in content or []:
        kind = part["type"]
        if kind == "text":
            out += text(part["text"])
        elif kind == "refusal":  # an earlier answer that was a refusal: its text
            out += text(part["refusal"])
        elif kind == "image_url":
            out.append(image(model, part["image_url"]["url"]))
        else:  # input_audio, file
            raise InputError(f"{model.id} cannot take {kind} content parts", param="messages")
    return out
