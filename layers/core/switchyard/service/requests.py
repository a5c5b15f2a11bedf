"""Chat request normalisation: the fields the router reads from an OpenAI-style request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from switchyard.classifier.text import content_text

CHARS_PER_TOKEN = 4


def estimate_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Rough input token count (4 characters a token, 4 tokens of overhead a message)."""
    chars = sum(len(content_text(m.get("content"))) for m in messages)
    return chars // CHARS_PER_TOKEN + 4 * len(messages)


def needs(request: Mapping[str, Any]) -> frozenset[str]:
    """Capabilities a model must have to serve the request."""
    out = set()
    if request.get("tools") or request.get("functions"):
        out.add("tools")
    fmt = request.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") in ("json_object", "json_schema"):
        out.add("json_mode")
    for m in request.get("messages", []):
        content = m.get("content")
        if isinstance(content, list) and any(
            isinstance(p, Mapping) and p.get("type") in ("image_url", "input_image") for p in content
        ):
            out.add("vision")
    return frozenset(out)
