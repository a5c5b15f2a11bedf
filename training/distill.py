"""Distil all-MiniLM-L6-v2 into static token vectors (the model2vec recipe, in numpy).

Each word piece of the vocabulary is run through MiniLM on its own ([CLS] piece [SEP]) and
its mean-pooled output kept; PCA reduces 384 → DIM dimensions; each vector is then scaled
by a smooth inverse frequency weight a / (a + p(piece)), p estimated on the training
prompts, so that frequent pieces ("the", "?") count less in a mean than rare ones.
A prompt's embedding is then the mean of its pieces' vectors: microseconds instead of the
milliseconds a transformer pass costs (see docs/MODEL_CARD.md for the numbers).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from minilm import MiniLM

DIM = 256
SIF_A = 1e-3
BATCH = 2048


def token_vectors(vocab_size: int, cls_id: int, sep_id: int) -> NDArray[np.float32]:
    model = MiniLM()
    out = np.zeros((vocab_size, 384), dtype=np.float32)
    mask = np.ones((1, 3), dtype=np.float32)
    for start in range(0, vocab_size, BATCH):
        ids = np.arange(start, min(start + BATCH, vocab_size), dtype=np.int64)
        batch = np.stack([np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1)
        h = model.hidden(batch, np.repeat(mask, len(ids), axis=0))
        out[ids] = h.mean(axis=1)
    return out


def pca(x: NDArray[np.float32], dim: int) -> NDArray[np.float32]:
    centred = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (centred @ vt[:dim].T).astype(np.float32)


def sif_weights(vocab_size: int, corpus_ids: Iterable[list[int]]) -> NDArray[np.float32]:
    counts = np.ones(vocab_size, dtype=np.float64)  # add-one smoothing
    for ids in corpus_ids:
        np.add.at(counts, ids, 1.0)
    p = counts / counts.sum()
    return (SIF_A / (SIF_A + p)).astype(np.float32)


def static_table(
    vocab_size: int, cls_id: int, sep_id: int, corpus_ids: Iterable[list[int]]
) -> NDArray[np.float32]:
    vec = pca(token_vectors(vocab_size, cls_id, sep_id), DIM)
    return vec * sif_weights(vocab_size, corpus_ids)[:, None]
