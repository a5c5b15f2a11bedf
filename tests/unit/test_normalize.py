"""The normalised cache key: the same question in other casing, punctuation or filler,
never a question that differs in anything that changes the answer."""

from __future__ import annotations

import pytest

from switchyard.cache.normalize import normalized_key


def key(text: str, system: str | None = None, tenant: str = "t") -> str | None:
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    return normalized_key(tenant, "auto|", {"messages": msgs})


BASE = "What is the capital of Peru?"


@pytest.mark.parametrize(
    "same",
    [
        "what is the capital of peru",
        "What's the capital of Peru ?",
        "Hi, please: what is the capital of Peru!!",
    ],
)
def test_same_question(same: str) -> None:
    assert key(same) == key(BASE)


@pytest.mark.parametrize(
    "different",
    [
        "What is the capital of Chile?",
        "What was the capital of Peru?",
        "Where is the capital of Peru?",
        "Capital of Peru?",
        "What isn't the capital of Peru?",
    ],
)
def test_different_question(different: str) -> None:
    assert key(different) != key(BASE)


def test_order_numbers_context_and_tenant_matter() -> None:
    assert key("Translate from English to French: hello") != key("Translate from French to English: hello")
    assert key("Convert 5 km to miles") != key("Convert 50 km to miles")
    assert key(BASE, system="Answer in French.") != key(BASE)
    assert key(BASE, tenant="other") != key(BASE)
    assert key("?!") is None
    assert normalized_key("t", "auto|", {"messages": [{"role": "assistant", "content": BASE}]}) is None
