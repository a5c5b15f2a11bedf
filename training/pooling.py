"""The numpy twin of the ONNX graph's pooling, used to compute training features.

``tests/unit/test_model_parity.py`` checks that the exported graph gives the same numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from switchyard.classifier.features import ModelInput

EPS = 1e-6


def _mean(e: NDArray[np.float32], mask: NDArray[np.float32]) -> NDArray[np.float32]:
    s = (e * mask[..., None]).sum(axis=1)
    return (s / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)).astype(np.float32)


def _unit(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + EPS)


def pooled(inp: ModelInput, table: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(embedding [B, D], pooled features [B, 3D]: whole prompt, first and last pieces)."""
    e = table[inp.token_ids].astype(np.float32)
    emb = _unit(_mean(e, inp.mask_all))
    feats = np.concatenate([emb, _unit(_mean(e, inp.mask_head)), _unit(_mean(e, inp.mask_tail))], axis=1)
    return emb, feats.astype(np.float32)
