"""The semantic cache level: paraphrases match, answer-changing edits and other contexts never do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from switchyard.cache import semantic
from switchyard.classifier import classify


def probe(text: str) -> semantic.Probe:
    p = semantic.probe(text, classify(text).embedding)
    assert p is not None, text
    return p


def served(stored: str, asked: str) -> bool:
    """Would the answer stored for ``stored`` be served for ``asked`` (same context)?"""
    entry = probe(stored)
    query = probe(asked)
    found = [semantic.entry_fields("ref-a", entry, expires_at=100)]
    shared = set(semantic.bucket_keys("t1", "ctx", entry)) & set(semantic.bucket_keys("t1", "ctx", query))
    if not shared:
        return False
    return semantic.match(query, semantic.live(found, now=0.0)) is not None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("How do I reset my password?", "How can I reset my password?"),
        ("What is a credit score?", "what's credit score"),
        (
            "What are some of the most beautiful houses in the world?",
            "Which are some of the most beautiful houses around the world?",
        ),
        ("Which is the best book on cosmology?", "What is the best book for cosmology?"),
    ],
)
def test_paraphrases_match(a: str, b: str) -> None:
    assert served(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Translate from English to French: good morning", "Translate from French to English: good morning"),
        ("Convert 30 °C to °F", "Convert 30 °F to °C"),
        ("Convert 5 km to miles", "Convert 50 km to miles"),
        ("Convert 5 km to miles", "Convert 5 miles to km"),
        ("Is coffee bad for you?", "Is coffee not bad for you?"),
        (
            "What are the most important things to teach an adult?",
            "What are the most important things to teach a kid?",
        ),
        (
            "After the death of her husband, Katharina married Tom",
            "After the death of her husband, Tom married Katharina",
        ),
        ("Who founded Apple?", "When was Apple founded?"),
        ("How old is he?", "How old is she?"),
        ("Can you help me?", "Can I help you?"),
        ("Flights from Paris to London", "Flights to Paris from London"),
        ("What percentage of 200 is 50?", "What percentage of 50 is 200?"),
        ("What is 2 to the power of 5?", "What is 5 to the power of 2?"),
        ("How much is £50 in US dollars?", "How much is €50 in US dollars?"),
        ("How do I redirect HTTP to HTTPS in nginx?", "How do I redirect HTTPS to HTTP in nginx?"),
        ("Where can I read the news?", "Where can I read the new?"),
        (
            "Anna has 12 apples and Ben has 4. Anna gives Ben 3. How many apples does Anna have?",
            "Anna has 12 apples and Ben has 4. Ben gives Anna 3. How many apples does Anna have?",
        ),
    ],
)
def test_answer_changing_edits_never_match(a: str, b: str) -> None:
    assert not served(a, b)


def request(*messages: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": r, "content": c} for r, c in messages], **extra}


def test_context_fingerprint_covers_everything_but_the_last_turn() -> None:
    fp = semantic.context_fingerprint
    base = request(
        ("system", "You are terse."), ("user", "Tell me about Marie Curie"), ("user", "how old was she?")
    )
    same_context = request(
        ("system", "You are terse."), ("user", "Tell me about Marie Curie"), ("user", "her age?")
    )
    assert fp("t1", "auto", base) == fp("t1", "auto", same_context)
    others = [
        request(
            ("system", "You are terse."), ("user", "Tell me about Ada Lovelace"), ("user", "how old was she?")
        ),
        request(
            ("system", "You are verbose."),
            ("user", "Tell me about Marie Curie"),
            ("user", "how old was she?"),
        ),
        {**base, "tools": [{"type": "function", "function": {"name": "f"}}]},
        {**base, "response_format": {"type": "json_object"}},
        {**base, "temperature": 0.2},
    ]
    for other in others:
        assert fp("t1", "auto", other) != fp("t1", "auto", base)
    assert fp("t2", "auto", base) != fp("t1", "auto", base)
    assert fp("t1", "router:cost", base) != fp("t1", "auto", base)


def test_bucket_keys_are_scoped_by_tenant_and_context() -> None:
    p = probe("How do I reset my password?")
    keys = semantic.bucket_keys("t1", "ctx1", p)
    assert len(keys) == semantic.BANDS + 1 and len(set(keys)) == len(keys)
    assert all(k.startswith("sem#t1#ctx1#") for k in keys)
    assert not set(keys) & set(semantic.bucket_keys("t2", "ctx1", p))
    assert not set(keys) & set(semantic.bucket_keys("t1", "ctx2", p))
    assert keys == semantic.bucket_keys("t1", "ctx1", probe("How do I reset my password?"))  # deterministic


def test_lsh_buckets_follow_the_angle() -> None:
    rng = np.random.default_rng(0)
    shared_near = shared_far = 0
    for _ in range(200):
        x = rng.standard_normal(semantic.DIM).astype(np.float32)
        x /= np.linalg.norm(x)
        noise = rng.standard_normal(semantic.DIM).astype(np.float32)
        noise -= (noise @ x) * x
        noise /= np.linalg.norm(noise)
        near = 0.98 * x + np.sqrt(1 - 0.98**2) * noise  # cosine 0.98
        far = noise  # cosine 0
        bx = semantic.lsh_buckets(x)
        shared_near += any(a == b for a, b in zip(bx, semantic.lsh_buckets(near), strict=True))
        shared_far += any(a == b for a, b in zip(bx, semantic.lsh_buckets(far), strict=True))
    assert shared_near >= 190  # theory: 99.9% share a band at cosine 0.98
    assert shared_far <= 16  # theory: 3.1% (6 of 200) at cosine 0


def test_match_picks_the_most_similar_passing_candidate_and_respects_the_threshold() -> None:
    q = probe("How do I reset my password?")
    good = semantic.Candidate("good", probe("How can I reset my password?"))
    other = semantic.Candidate("other", probe("How do I reset my router?"))
    m = semantic.match(q, [other, good])
    assert m is not None and m.ref == "good" and m.similarity >= semantic.THRESHOLD
    assert semantic.match(q, [other]) is None
    assert semantic.match(q, [good], threshold=1.01) is None
    assert semantic.match(q, []) is None


def test_entries_round_trip_and_bad_or_expired_entries_are_dropped() -> None:
    p = probe("What is the best book on cosmology?")
    fields = semantic.entry_fields("ref1", p, expires_at=50)
    assert isinstance(fields["emb"], bytes) and len(fields["emb"]) == 2 * semantic.DIM
    (c,) = semantic.live([fields, fields], now=10.0)  # deduplicated by ref
    assert c.ref == "ref1" and c.probe.digest == p.digest and semantic.guard(p, c.probe)
    # the stored entry holds no word of the prompt
    words = {k: v for k, v in fields.items() if k != "emb"}
    assert not any(t in repr(words) for t in p.terms) and "terms" not in fields
    assert float(c.probe.embedding @ p.embedding) > 0.999  # float16 storage
    assert semantic.live([fields], now=50.0) == []  # expired
    assert semantic.live([{**fields, "emb": b"\x00" * 10}, {"ref": "x"}], now=0.0) == []


def test_short_long_and_degenerate_prompts_are_not_probed() -> None:
    e = classify("hi").embedding
    assert semantic.probe("hi", e) is None
    assert semantic.probe("Python?", e) is None
    assert semantic.probe("word " * 1000, e) is None
    assert semantic.probe("What is Python?", np.zeros(semantic.DIM, dtype=np.float32)) is None
    with pytest.raises(ValueError):
        semantic.probe("What is Python?", np.ones(3, dtype=np.float32))
    assert semantic.last_user_text(request(("user", "hello there"))) == "hello there"
    assert semantic.last_user_text(request(("user", "hi"), ("assistant", "hello"))) is None
    assert semantic.last_user_text({"messages": []}) is None
