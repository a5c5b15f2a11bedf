"""Prompt classification: task type, complexity and embedding from the bundled model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from switchyard.classifier.features import TASK_TYPES
from switchyard.classifier.model import Classification, get_model
from switchyard.classifier.text import prompt_from_messages

__all__ = ["TASK_TYPES", "Classification", "classify", "classify_batch", "classify_messages"]


def classify(text: str) -> Classification:
    """Classify one prompt."""
    return get_model().classify_batch([text])[0]


def classify_batch(texts: Sequence[str]) -> list[Classification]:
    """Classify many prompts in one model call."""
    return get_model().classify_batch(list(texts))


def classify_messages(messages: Sequence[Mapping[str, Any]]) -> Classification:
    """Classify an OpenAI-style chat: the last user turn, with context for short follow-ups."""
    return classify(prompt_from_messages(messages))
