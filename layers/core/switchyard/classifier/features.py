"""Prompt preprocessing shared by training and inference.

Everything that turns a prompt into model input lives here, so the training pipeline and the
Lambda compute the same arrays for the same prompt (``tests/unit/test_features.py`` checks it).

Long prompts are *windowed*, not rejected: the text is cut to its first ``HEAD_CHARS`` and
last ``TAIL_CHARS`` characters before tokenising, and the model reads the first
``HEAD_TOKENS`` and last ``TAIL_TOKENS`` word pieces. Instructions usually sit at the start
or the end of a prompt ("Summarise the text below: …", "… Translate this to French"), so the
window keeps them while bounding the work for a prompt of any length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from tokenizers import Tokenizer

TASK_TYPES: tuple[str, ...] = (
    "coding",
    "reasoning",
    "creative",
    "qa",
    "summarization",
    "extraction",
    "classification",
    "rewrite",
)

HEAD_CHARS = 6000
TAIL_CHARS = 3000
HEAD_TOKENS = 256
TAIL_TOKENS = 128
EDGE_TOKENS = 32  # the instruction windows: first and last word pieces, pooled apart
VOCAB_SIZE = 30522  # the MiniLM WordPiece vocabulary
BIGRAM_BUCKETS = 1 << 16  # hashed word-piece bigrams, after the VOCAB_SIZE unigram slots
_BIGRAM_MULT = 1000003

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CODE_CHARS = frozenset("{}[]();=<>_#$\\|`")
_MATH_CHARS = frozenset("+-*/^=%")

DENSE_FEATURES: tuple[str, ...] = (
    "log_chars",
    "log_tokens",
    "log_lines",
    "digit_frac",
    "log_numbers",
    "code_char_frac",
    "code_fence",
    "upper_frac",
    "log_questions",
    "math_char_frac",
    "non_ascii_frac",
    "given_text",
)


@dataclass(frozen=True)
class ModelInput:
    """Arrays the ONNX graph reads, for a batch of prompts (B prompts, L positions)."""

    token_ids: NDArray[np.int64]  # [B, L], 0 where padded
    mask_all: NDArray[np.float32]  # [B, L]
    mask_head: NDArray[np.float32]  # [B, L] first EDGE_TOKENS pieces
    mask_tail: NDArray[np.float32]  # [B, L] last EDGE_TOKENS pieces
    dense: NDArray[np.float32]  # [B, len(DENSE_FEATURES)], not yet standardised
    ngram_ids: NDArray[np.int64]  # [B, N] unique unigram / hashed-bigram slots, 0-padded
    ngram_weight: NDArray[np.float32]  # [B, N] 1/sqrt(n unique) where present, else 0


def window_text(text: str) -> str:
    """Bound the characters handed to the tokenizer (head and tail of long prompts)."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n…\n" + text[-TAIL_CHARS:]


def window_ids(ids: Sequence[int]) -> list[int]:
    """The word pieces the model reads: the first HEAD_TOKENS and the last TAIL_TOKENS."""
    if len(ids) <= HEAD_TOKENS + TAIL_TOKENS:
        return list(ids)
    return list(ids[:HEAD_TOKENS]) + list(ids[-TAIL_TOKENS:])


def ngram_slots(ids: Sequence[int]) -> NDArray[np.int64]:
    """Sorted unique feature slots: each word piece, and each hashed pair of neighbours."""
    arr = np.asarray(ids, dtype=np.int64)
    bigrams = VOCAB_SIZE + (arr[:-1] * _BIGRAM_MULT + arr[1:]) % BIGRAM_BUCKETS
    return np.unique(np.concatenate([arr, bigrams]))


def dense_features(text: str, n_tokens: int) -> list[float]:
    """Surface statistics of the prompt, in the order of DENSE_FEATURES."""
    n = max(len(text), 1)
    digits = sum(c.isdigit() for c in text)
    upper = sum(c.isupper() for c in text)
    letters = max(sum(c.isalpha() for c in text), 1)
    code = sum(c in _CODE_CHARS for c in text)
    math = sum(c in _MATH_CHARS for c in text)
    non_ascii = sum(ord(c) > 127 for c in text)
    given = 1.0 if re.search(r'(:\s*\n|"""|:\s*"|\n\n)', text) else 0.0
    return [
        float(np.log1p(len(text))),
        float(np.log1p(n_tokens)),
        float(np.log1p(text.count("\n"))),
        digits / n,
        float(np.log1p(len(_NUMBER.findall(text)))),
        code / n,
        1.0 if "```" in text else 0.0,
        upper / letters,
        float(np.log1p(text.count("?"))),
        math / n,
        non_ascii / n,
        given,
    ]


def encode(tokenizer: Tokenizer, texts: Sequence[str]) -> ModelInput:
    """Tokenise and window a batch of prompts into the arrays the model reads."""
    windowed = [window_text(t) for t in texts]
    encodings = tokenizer.encode_batch(windowed, add_special_tokens=False)
    rows = [window_ids(e.ids) or [0] for e in encodings]
    width = max(len(r) for r in rows)
    b = len(rows)
    ids = np.zeros((b, width), dtype=np.int64)
    mask = np.zeros((b, width), dtype=np.float32)
    head = np.zeros((b, width), dtype=np.float32)
    tail = np.zeros((b, width), dtype=np.float32)
    dense = np.zeros((b, len(DENSE_FEATURES)), dtype=np.float32)
    slots = [ngram_slots(r) for r in rows]
    ng_ids = np.zeros((b, max(len(s) for s in slots)), dtype=np.int64)
    ng_w = np.zeros(ng_ids.shape, dtype=np.float32)
    for i, (row, text, enc) in enumerate(zip(rows, windowed, encodings, strict=True)):
        n = len(row)
        ids[i, :n] = row
        mask[i, :n] = 1.0
        head[i, : min(n, EDGE_TOKENS)] = 1.0
        tail[i, max(0, n - EDGE_TOKENS) : n] = 1.0
        dense[i] = dense_features(text, len(enc.ids))
        ng_ids[i, : len(slots[i])] = slots[i]
        ng_w[i, : len(slots[i])] = 1.0 / np.sqrt(len(slots[i]))
    return ModelInput(ids, mask, head, tail, dense, ng_ids, ng_w)
