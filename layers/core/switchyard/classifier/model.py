"""The bundled router model at run time: tokenizer + one ONNX graph, onnxruntime + numpy.

The graph (built by ``training/export.py``) reads the arrays of ``features.encode`` and
returns, per prompt, a unit-norm embedding, the eight task-type probabilities and a
complexity in [0, 10]. It is loaded once per process (``get_model``), lazily.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from switchyard.classifier.features import TASK_TYPES, ModelInput, encode
from switchyard.errors import ModelError

MODEL_FILE = "router.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "router.json"


@dataclass(frozen=True)
class Classification:
    """What the router knows about a prompt."""

    task_type: str
    probabilities: dict[str, float]
    complexity: float  # [0, 10]: higher = a cheap model more likely falls short
    embedding: NDArray[np.float32] = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type,
            "probabilities": self.probabilities,
            "complexity": self.complexity,
        }


def model_dir() -> Path:
    return Path(str(resources.files("switchyard") / "model"))


class RouterModel:
    def __init__(self, directory: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        d = directory or model_dir()
        try:
            self.meta: dict[str, Any] = json.loads((d / META_FILE).read_text())
            self.tokenizer = Tokenizer.from_file(str(d / TOKENIZER_FILE))
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self.session = ort.InferenceSession(
                str(d / MODEL_FILE), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load the router model from {d}: {exc}") from exc
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.labels: tuple[str, ...] = tuple(self.meta["labels"])
        if self.labels != TASK_TYPES:
            raise ModelError(f"model labels {self.labels} differ from {TASK_TYPES}")

    def run(self, inp: ModelInput) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
        """(embedding [B, D], probabilities [B, 8], complexity [B]) for encoded prompts."""
        feeds = {
            "token_ids": inp.token_ids,
            "mask_all": inp.mask_all,
            "mask_head": inp.mask_head,
            "mask_tail": inp.mask_tail,
            "dense": inp.dense,
            "ngram_ids": inp.ngram_ids,
            "ngram_weight": inp.ngram_weight,
        }
        emb, probs, cx = self.session.run(["embedding", "probabilities", "complexity"], feeds)
        return emb, probs, cx

    def classify_batch(self, texts: list[str]) -> list[Classification]:
        if not texts:
            return []
        emb, probs, cx = self.run(encode(self.tokenizer, texts))
        out = []
        for e, p, c in zip(emb, probs, cx, strict=True):
            i = int(np.argmax(p))
            out.append(
                Classification(
                    task_type=self.labels[i],
                    probabilities={lab: float(v) for lab, v in zip(self.labels, p, strict=True)},
                    complexity=float(np.clip(c, 0.0, 10.0)),
                    embedding=np.ascontiguousarray(e, dtype=np.float32),
                )
            )
        return out


@lru_cache(maxsize=1)
def get_model() -> RouterModel:
    """The process-wide model, loaded on first use and reused (warm Lambda invocations)."""
    return RouterModel()
