"""The normalised cache key: the same question in other casing, punctuation or filler words.

Measured on ``paraphrase/train/pairs.jsonl`` (``switchyard bench cache``, docs/CACHE.md):
our static embeddings cannot tell a swapped-order sentence from its original (PAWS
non-duplicates score 0.982, duplicates 0.981), and no similarity threshold with a guard
reached the 99% precision a cache needs. What *is* safe is matching prompts whose content
words are the same, in the same order, with the same numbers and negation; everything
else must match exactly. That match needs no embedding: it is a key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from switchyard.cache.policy import context_key
from switchyard.classifier.text import content_text

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,:/]\d+)*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
# Symbols that change the answer: currencies, units, operators ("£50" / "€50", "x^2" / "x*2").
SYMBOLS = "$€£¥₹%°+*/^=<>→←&|~"
_MARK = re.compile(r"\d+(?:[.,:/]\d+)*|[" + re.escape(SYMBOLS) + "]")
NEGATIONS = frozenset(
    ["not", "no", "never", "without", "cannot", "nor", "none", "nothing", "nobody", "neither"]
)
# Only words that never change the answer are dropped: question words, pronouns, modals,
# tense and prepositions all stay (they decide "who" vs "where", "he" vs "she", "is" vs "was").
STOP = frozenset(
    ["a", "an", "the", "please", "pls", "plz", "kindly", "hey", "hi", "hello", "thanks", "thank", "just"]
)
CONTRACTIONS = {"s": "is", "re": "are", "ve": "have", "ll": "will", "d": "would", "m": "am"}


@dataclass(frozen=True)
class Signature:
    """What must match: content words in order, numbers and answer-changing symbols in
    order ("200 is 50" / "50 is 200", "£50" / "€50"), negation parity."""

    terms: tuple[str, ...]
    numbers: tuple[str, ...]
    negated: bool


def signature(text: str) -> Signature:
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    negated = sum(w in NEGATIONS or w.endswith("n't") for w in words) % 2 == 1
    numbers = tuple(m.replace(",", "") for m in _MARK.findall(text))
    terms: list[str] = []
    for w in words:
        if _NUMBER.fullmatch(w) or w in NEGATIONS or w.endswith("n't"):
            continue
        head, *tails = w.split("'")
        for part in [head, *(CONTRACTIONS.get(t, t) for t in tails)]:
            if part and part not in STOP:
                terms.append(part)
    return Signature(tuple(terms), numbers, negated)


def normalized_key(tenant_id: str, model_field: str, request: Mapping[str, Any]) -> str | None:
    """Key shared by requests whose context is identical and whose last user turn has the
    same signature; None when the last message is not a user turn or has no content words."""
    return normalized_key_in(tenant_id, request, context_key(tenant_id, model_field, request))


def normalized_key_in(tenant_id: str, request: Mapping[str, Any], context: str) -> str | None:
    """``normalized_key`` with the context key (``policy.context_key``) already computed."""
    messages = list(request.get("messages", []))
    if not messages or messages[-1].get("role") != "user":
        return None
    sig = signature(content_text(messages[-1].get("content")))
    if not sig.terms:
        return None
    canonical = json.dumps([context, sig.terms, sig.numbers, sig.negated], separators=(",", ":"))
    return f"{tenant_id}#n#{hashlib.sha256(canonical.encode()).hexdigest()}"
