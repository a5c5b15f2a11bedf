"""Training and run time compute the same thing: the shipped ONNX graph equals the numpy
pooling the heads were fitted on, for the arrays the shared preprocessing produces."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

import pooling  # training/pooling.py: the numpy twin used for training features
from switchyard.classifier.features import encode
from switchyard.classifier.model import MODEL_FILE, get_model, model_dir

PROMPTS = [
    "Write a Python function that merges two sorted lists.",
    "Summarise this: the meeting moved to Friday.",
    "what's 15% of 240",
    "x " * 2000,
]


def _initializer(name: str) -> np.ndarray:
    model = onnx.load(str(model_dir() / MODEL_FILE))
    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init)
    raise KeyError(name)


def test_onnx_embedding_equals_training_pooling() -> None:
    m = get_model()
    inp = encode(m.tokenizer, PROMPTS)
    emb_onnx, probs, cx = m.run(inp)
    emb_np, feats = pooling.pooled(inp, _initializer("table").astype(np.float32))
    assert np.allclose(emb_onnx, emb_np, atol=1e-5)
    assert feats.shape == (len(PROMPTS), 3 * emb_np.shape[1])
    assert probs.shape == (len(PROMPTS), 8) and cx.shape == (len(PROMPTS),)


def test_same_prompt_same_model_input() -> None:
    m = get_model()
    a = encode(m.tokenizer, PROMPTS)
    b = encode(m.tokenizer, list(reversed(PROMPTS)))
    n = int(a.mask_all[0].sum())
    nb = int(b.mask_all[-1].sum())
    assert n == nb
    assert np.array_equal(a.token_ids[0, :n], b.token_ids[-1, :nb])
    assert np.array_equal(a.dense[0], b.dense[-1])
    k = int((a.ngram_weight[0] > 0).sum())
    assert np.array_equal(a.ngram_ids[0, :k], b.ngram_ids[-1, :k])


def test_shipped_tokenizer_has_no_padding_or_truncation() -> None:
    tok = get_model().tokenizer
    assert tok.padding is None and tok.truncation is None
    assert len(tok.encode("word " * 600, add_special_tokens=False).ids) == 600
