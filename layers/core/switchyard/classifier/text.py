"""What the classifier reads from a chat request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FOLLOW_UP_WORDS = 12  # a last turn this short is read with the previous user turn
CONTEXT_CHARS = 600


def content_text(content: Any) -> str:
    """Text of an OpenAI message ``content``: a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = [
            str(p.get("text", ""))
            for p in content
            if isinstance(p, Mapping) and p.get("type") in ("text", "input_text")
        ]
        return "\n".join(parts)
    return ""


def prompt_from_messages(messages: Sequence[Mapping[str, Any]]) -> str:
    """The last user turn; a short follow-up ("now make it shorter") is prefixed with the
    previous user turn so that its task type is read in context."""
    users = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    if not users:
        return ""
    last = users[-1]
    if len(users) > 1 and len(last.split()) < FOLLOW_UP_WORDS:
        return users[-2][-CONTEXT_CHARS:] + "\n\n" + last
    return last
