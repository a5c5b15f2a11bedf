"""Preprocessing: windowing, n-gram slots, surface features and the arrays the model reads."""

from __future__ import annotations

import numpy as np
import pytest

from switchyard.classifier import features as F
from switchyard.classifier.model import get_model
from switchyard.classifier.text import prompt_from_messages


@pytest.fixture(scope="module")
def tok():
    return get_model().tokenizer


def test_window_text_bounds_long_prompts() -> None:
    text = "a" * 50_000 + "TAIL"
    out = F.window_text(text)
    assert len(out) <= F.HEAD_CHARS + F.TAIL_CHARS + 3
    assert out.startswith("a" * 100) and out.endswith("TAIL")
    assert F.window_text("short") == "short"


def test_window_ids_keeps_head_and_tail() -> None:
    ids = list(range(1000))
    out = F.window_ids(ids)
    assert len(out) == F.HEAD_TOKENS + F.TAIL_TOKENS
    assert out[: F.HEAD_TOKENS] == ids[: F.HEAD_TOKENS]
    assert out[-F.TAIL_TOKENS :] == ids[-F.TAIL_TOKENS :]


def test_ngram_slots_are_unique_and_in_range() -> None:
    slots = F.ngram_slots([5, 7, 5, 7])
    assert list(slots) == sorted(set(slots.tolist()))
    assert set(slots[slots < F.VOCAB_SIZE].tolist()) == {5, 7}
    assert np.all(slots < F.VOCAB_SIZE + F.BIGRAM_BUCKETS)
    assert len(slots[slots >= F.VOCAB_SIZE]) == 2  # (5,7) and (7,5)


def test_encode_shapes_and_masks(tok) -> None:
    inp = F.encode(tok, ["hello world", "a much longer prompt " * 40, ""])
    b, width = inp.token_ids.shape
    assert b == 3
    assert inp.mask_all.shape == inp.mask_head.shape == inp.mask_tail.shape == (3, width)
    assert inp.dense.shape == (3, len(F.DENSE_FEATURES))
    assert inp.mask_head[1].sum() == F.EDGE_TOKENS and inp.mask_tail[1].sum() == F.EDGE_TOKENS
    n0 = int(inp.mask_all[0].sum())
    assert np.all(inp.token_ids[0, n0:] == 0)
    # weights of present n-grams give a unit-norm bag
    w = inp.ngram_weight[1]
    assert abs(float((w**2).sum()) - 1.0) < 1e-5


def test_dense_features_read_the_surface() -> None:
    names = F.DENSE_FEATURES
    code = dict(zip(names, F.dense_features("```py\ndef f(x): return {x: 1}\n```", 12), strict=True))
    plain = dict(zip(names, F.dense_features("what is the capital of peru?", 8), strict=True))
    assert code["code_fence"] == 1.0 and plain["code_fence"] == 0.0
    assert code["code_char_frac"] > plain["code_char_frac"]
    assert plain["log_questions"] > 0


def test_follow_up_reads_previous_turn() -> None:
    msgs = [
        {"role": "user", "content": "Write a Python function that parses ISO dates."},
        {"role": "assistant", "content": "def parse(...): ..."},
        {"role": "user", "content": "now add tests"},
    ]
    text = prompt_from_messages(msgs)
    assert "Python function" in text and text.endswith("now add tests")
    long_last = [{"role": "user", "content": "old"}, {"role": "user", "content": "word " * 30}]
    assert prompt_from_messages(long_last) == "word " * 30
    parts = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "describe"}, {"type": "image_url", "image_url": {}}],
        }
    ]
    assert prompt_from_messages(parts) == "describe"
