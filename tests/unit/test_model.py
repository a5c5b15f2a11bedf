"""The bundled model: documented outputs, and clearly typed prompts get their type."""

from __future__ import annotations

import numpy as np
import pytest

import switchyard
from switchyard import TASK_TYPES

CLEAR = {
    "coding": "Write a Python function that returns the n-th Fibonacci number using memoization.",
    "reasoning": "A train travels 120 km in 1.5 hours and then 80 km in 1 hour. What is its average speed for the whole trip?",
    "creative": "Write a short poem about the ocean at night.",
    "qa": "What is the capital of Australia?",
    "summarization": "Summarize the following article in two sentences:\n\nThe city council voted on Tuesday to approve a new budget that increases funding for public parks by 20 percent, while cutting administrative costs. The mayor said the plan would create jobs.",
    "extraction": "Extract all the email addresses and phone numbers from this text: Contact John at john@example.com or 555-1234, or Mary at mary@corp.org.",
    "classification": "Classify the sentiment of this review as positive, negative or neutral: 'The battery died after two days and support never answered.'",
    "rewrite": "Rewrite this sentence to sound more formal: 'hey, can u send me the report asap?'",
}


def test_outputs_have_documented_labels_ranges_and_shapes() -> None:
    c = switchyard.classify("How do I reverse a list in Python?")
    assert c.task_type in TASK_TYPES
    assert set(c.probabilities) == set(TASK_TYPES)
    assert abs(sum(c.probabilities.values()) - 1.0) < 1e-4
    assert c.task_type == max(c.probabilities, key=c.probabilities.__getitem__)
    assert 0.0 <= c.complexity <= 10.0
    assert c.embedding.dtype == np.float32 and c.embedding.ndim == 1
    assert abs(float(np.linalg.norm(c.embedding)) - 1.0) < 1e-4


@pytest.mark.parametrize("task_type", list(CLEAR))
def test_clearly_typed_prompts(task_type: str) -> None:
    assert switchyard.classify(CLEAR[task_type]).task_type == task_type


def test_batch_matches_single() -> None:
    texts = list(CLEAR.values())
    batch = switchyard.classify_batch(texts)
    for text, b in zip(texts, batch, strict=True):
        s = switchyard.classify(text)
        assert s.task_type == b.task_type
        assert abs(s.complexity - b.complexity) < 1e-4
        assert float(s.embedding @ b.embedding) > 0.9999


def test_complexity_is_continuous_and_ranks() -> None:
    values = [c.complexity for c in switchyard.classify_batch(list(CLEAR.values()))]
    assert len(set(round(v, 6) for v in values)) == len(values)  # not rounded to a few levels


def test_any_length_and_empty_prompt() -> None:
    huge = "lorem ipsum dolor sit amet " * 20_000  # ~540k characters
    assert switchyard.classify(huge).task_type in TASK_TYPES
    assert switchyard.classify("").task_type in TASK_TYPES


def test_chat_messages_entry_point() -> None:
    c = switchyard.classify_messages(
        [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": CLEAR["coding"]},
        ]
    )
    assert c.task_type == "coding"


def test_paraphrases_are_closer_than_unrelated_prompts() -> None:
    a, b, c = switchyard.classify_batch(
        [
            "How do I reset my password?",
            "What are the steps to reset my password?",
            "Write a sonnet about autumn leaves.",
        ]
    )
    assert float(a.embedding @ b.embedding) > float(a.embedding @ c.embedding)
