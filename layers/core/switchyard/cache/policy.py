"""What may be cached, under which key, and for how long. Pure functions.

The exact key is a hash of the tenant and everything in the request that changes the
answer: messages (role + content), tools, tool choice, response format, sampling
parameters, stop sequences, and the requested model field (``auto``, ``router:cost`` or a
pinned id). Two tenants never share a key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

KEY_FIELDS = (
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "response_format",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
)
DEFAULT_TEMPERATURE = 1.0  # what providers use when the request sets none


def _message(m: Mapping[str, Any]) -> dict[str, Any]:
    content = m.get("content")
    if isinstance(content, str):
        content = content.strip()
    out = {"role": m.get("role"), "content": content}
    for k in ("name", "tool_calls", "tool_call_id"):
        if m.get(k) is not None:
            out[k] = m[k]
    return out


def exact_key(tenant_id: str, model_field: str, request: Mapping[str, Any]) -> str:
    canonical = {
        "model": model_field,
        "messages": [_message(m) for m in request.get("messages", [])],
        **{k: request[k] for k in KEY_FIELDS if request.get(k) is not None},
    }
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{tenant_id}#{digest}"


def context_key(tenant_id: str, model_field: str, request: Mapping[str, Any]) -> str:
    """The exact key of everything but the last message: what the normalised and semantic
    levels require to be identical (system prompt, earlier turns, tools, sampling …)."""
    return exact_key(tenant_id, model_field, {**request, "messages": list(request.get("messages", []))[:-1]})


def readable(request: Mapping[str, Any], cache_control: str | None, max_temperature: float) -> bool:
    """May this request be answered from the cache?"""
    directives = {d.strip().lower() for d in (cache_control or "").split(",")}
    if directives & {"no-cache", "no-store"}:
        return False
    temperature = request.get("temperature")
    return float(DEFAULT_TEMPERATURE if temperature is None else temperature) <= max_temperature


def writable(
    request: Mapping[str, Any], body: Mapping[str, Any], cache_control: str | None, max_temperature: float
) -> bool:
    """May this answer be stored? Never errors, tool calls, truncated or multi-choice answers."""
    directives = {d.strip().lower() for d in (cache_control or "").split(",")}
    if "no-store" in directives:
        return False
    temperature = request.get("temperature")
    if float(DEFAULT_TEMPERATURE if temperature is None else temperature) > max_temperature:
        return False
    choices = body.get("choices")
    if not isinstance(choices, list) or len(choices) != 1:
        return False
    choice = choices[0]
    message = choice.get("message") or {}
    return (
        choice.get("finish_reason") == "stop"
        and not message.get("tool_calls")
        and not message.get("function_call")
        and isinstance(message.get("content"), str)
        and bool(message["content"].strip())
    )


def ttl_seconds(task_type: str, default: int, by_task: Mapping[str, int]) -> int:
    return int(by_task.get(task_type, default))
