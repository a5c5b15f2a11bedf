"""Train the router model and write it into the core package.

    python training/train.py [--data-dir ../shared/data]   (or: make model)

Steps: distil static token vectors from all-MiniLM-L6-v2 (distill.py); compute features
with the run-time preprocessing (switchyard.classifier.features) and its numpy twin
(pooling.py); fit the task-type head (multinomial logistic regression on pooled vectors,
hashed word-piece n-grams and surface statistics) and the complexity head (a small MLP on
the same features and the task probabilities, fitted to cheap-model failure rates from the
routing files); export one ONNX graph; check that onnxruntime reproduces the fitted heads;
write metrics to router.json and the validation files to build/eval/.
Seeds are fixed; the run is deterministic on one machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from tokenizers import Tokenizer

import data
import distill
import export
import pooling
from minilm import model_dir as minilm_dir
from switchyard import metrics
from switchyard.classifier.features import (
    BIGRAM_BUCKETS,
    DENSE_FEATURES,
    TASK_TYPES,
    VOCAB_SIZE,
    ModelInput,
    encode,
)
from switchyard.classifier.model import META_FILE, MODEL_FILE, TOKENIZER_FILE, RouterModel

ROOT = Path(__file__).resolve().parent.parent
SEED = data.SEED
BATCH = 512
# Task head: weights per source and regularisation (chosen on the real validation split).
WEIGHT_REAL, WEIGHT_HANDWRITTEN, WEIGHT_ACADEMIC = 1.0, 1.0, 0.2
TASK_C = 16.0
NGRAM_SCALE = 2.0  # n-gram block scale relative to the pooled vectors
CX_HIDDEN = (64,)
CX_ALPHA = 1e-3
ALPACA_WEIGHT = 2.0  # AlpacaEval anchor rows (see data.alpaca_rows)


def log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def tokenizer() -> Tokenizer:
    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


class Featurizer:
    """Run-time preprocessing + numpy pooling, in batches."""

    def __init__(self, tok: Tokenizer, table: np.ndarray) -> None:
        self.tok = tok
        self.table = table

    def __call__(self, prompts: list[str]) -> tuple[np.ndarray, np.ndarray, csr_matrix]:
        feats, dense, ngrams = [], [], []
        for i in range(0, len(prompts), BATCH):
            inp = encode(self.tok, prompts[i : i + BATCH])
            _, f = pooling.pooled(inp, self.table)
            feats.append(f)
            dense.append(inp.dense)
            ngrams.append(ngram_matrix(inp))
        return np.concatenate(feats), np.concatenate(dense), vstack(ngrams).tocsr()


def ngram_matrix(inp: ModelInput) -> csr_matrix:
    rows = np.repeat(np.arange(inp.ngram_ids.shape[0]), inp.ngram_ids.shape[1])
    vals = inp.ngram_weight.ravel()
    keep = vals > 0
    return csr_matrix(
        (vals[keep], (rows[keep], inp.ngram_ids.ravel()[keep])),
        shape=(inp.ngram_ids.shape[0], VOCAB_SIZE + BIGRAM_BUCKETS),
    )


def static_table(tok: Tokenizer, corpus: list[str], build: Path) -> np.ndarray:
    key = hashlib.sha256(Path(distill.__file__).read_bytes() + "\n".join(corpus).encode()).hexdigest()[:16]
    cache = build / f"static_table_{key}.npy"
    if cache.exists():
        log(f"static table from cache {cache.name}")
        return np.load(cache)
    log("distilling static token vectors from MiniLM (a few minutes)")
    ids = [e.ids for e in tok.encode_batch(corpus, add_special_tokens=False)]
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    assert cls is not None and sep is not None, "the MiniLM vocabulary has [CLS] and [SEP]"
    table = distill.static_table(tok.get_vocab_size(), cls, sep, ids)
    np.save(cache, table)
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "layers" / "core" / "switchyard" / "model")
    ap.add_argument("--build", type=Path, default=ROOT / "build")
    args = ap.parse_args(argv)
    args.build.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    np.random.seed(SEED)

    tok = tokenizer()
    real_train, real_val = data.real_prompts(args.data_dir)
    hand = data.handwritten()
    acad = data.academic(args.data_dir)
    cx_rows = data.complexity_rows(args.data_dir)
    cx_train, cx_val = data.split_complexity(cx_rows)
    log(
        f"task rows: real {len(real_train)}+{len(real_val)} val, handwritten {len(hand)}, academic {len(acad)}"
    )
    log(f"complexity rows: {len(cx_train)} train, {len(cx_val)} val")

    task_train = real_train + hand + acad
    corpus = [r.prompt for r in task_train] + [r.prompt for r in cx_train]
    table = static_table(tok, corpus, args.build)
    table16 = table.astype(np.float16)
    featurize = Featurizer(tok, table16.astype(np.float32))

    # ---- task-type head
    f_tr, d_tr, n_tr = featurize([r.prompt for r in task_train])
    d_mean = d_tr.mean(axis=0).astype(np.float32)
    d_std = (d_tr.std(axis=0) + 1e-6).astype(np.float32)

    def design(f: np.ndarray, d: np.ndarray, n: csr_matrix) -> csr_matrix:
        return hstack([n * NGRAM_SCALE, csr_matrix(f), csr_matrix((d - d_mean) / d_std)]).tocsr()

    y_tr = [r.task_type for r in task_train]
    w_tr = np.array(
        [WEIGHT_REAL] * len(real_train) + [WEIGHT_HANDWRITTEN] * len(hand) + [WEIGHT_ACADEMIC] * len(acad)
    )
    log("fitting the task-type head")
    task = LogisticRegression(C=TASK_C, max_iter=5000)
    task.fit(design(f_tr, d_tr, n_tr), y_tr, sample_weight=w_tr)
    order = [list(task.classes_).index(t) for t in TASK_TYPES]
    coef = task.coef_[order].T.astype(np.float32)  # [V+B + 3D + F, 8]
    n_ng = VOCAB_SIZE + BIGRAM_BUCKETS
    task_ngram = coef[:n_ng] * NGRAM_SCALE
    task_w = coef[n_ng:]
    task_b = task.intercept_[order].astype(np.float32)

    def task_probs(f: np.ndarray, d: np.ndarray, n: csr_matrix) -> np.ndarray:
        p = task.predict_proba(design(f, d, n))
        return p[:, order].astype(np.float32)

    # ---- complexity head
    log("fitting the complexity head")
    f_c, d_c, n_c = featurize([r.prompt for r in cx_train])
    x_c = np.concatenate([f_c, (d_c - d_mean) / d_std, task_probs(f_c, d_c, n_c)], axis=1)
    t_c = np.array([r.target for r in cx_train])
    w_c = np.ones(len(t_c))
    if ALPACA_WEIGHT > 0:
        alp = data.alpaca_rows(args.data_dir)
        f_a, d_a, n_a = featurize([r.prompt for r in alp])
        x_c = np.concatenate(
            [x_c, np.concatenate([f_a, (d_a - d_mean) / d_std, task_probs(f_a, d_a, n_a)], axis=1)]
        )
        t_c = np.concatenate([t_c, [r.target for r in alp]])
        w_c = np.concatenate([w_c, np.full(len(alp), ALPACA_WEIGHT)])
        log(f"alpaca anchor rows: {len(alp)} at weight {ALPACA_WEIGHT}")
    cx = MLPClassifier(hidden_layer_sizes=CX_HIDDEN, alpha=CX_ALPHA, max_iter=60, random_state=SEED)
    cx.fit(
        np.concatenate([x_c, x_c]),
        np.array([1] * len(x_c) + [0] * len(x_c)),
        sample_weight=np.concatenate([t_c * w_c, (1.0 - t_c) * w_c]),
    )
    cx_layers = [
        (w.astype(np.float32), b.astype(np.float32)) for w, b in zip(cx.coefs_, cx.intercepts_, strict=True)
    ]

    # ---- export and check that onnxruntime gives what the fitted heads give
    weights = export.Weights(table16, d_mean, d_std, task_w, task_ngram, task_b, cx_layers)
    export.save(weights, args.out / MODEL_FILE)
    tok.save(str(args.out / TOKENIZER_FILE))
    (args.out / META_FILE).write_text(json.dumps({"labels": list(TASK_TYPES)}))
    runtime = RouterModel(args.out)
    check = [r.prompt for r in real_val[:64]]
    f_k, d_k, n_k = featurize(check)
    _, p_onnx, c_onnx = runtime.run(encode(runtime.tokenizer, check))
    p_ref = task_probs(f_k, d_k, n_k)
    x_k = np.concatenate([f_k, (d_k - d_mean) / d_std, p_ref], axis=1)
    c_ref = 10.0 * cx.predict_proba(x_k)[:, 1]
    parity = {
        "max_prob_diff": float(np.abs(p_onnx - p_ref).max()),
        "max_complexity_diff": float(np.abs(c_onnx - c_ref).max()),
    }
    log(f"onnx parity {parity}")
    if parity["max_prob_diff"] > 1e-3 or parity["max_complexity_diff"] > 1e-2:
        log("ONNX graph does not reproduce the fitted heads")
        return 1

    # ---- metrics, with the shipped ONNX model
    log("evaluating")
    report = evaluate(runtime, real_val, cx_val, args.build / "eval")
    report["parity"] = parity
    report["training_rows"] = {
        "real": len(real_train),
        "handwritten": len(hand),
        "academic": len(acad),
        "complexity": len(cx_train),
    }
    report["label_counts_train"] = dict(Counter(y_tr))
    meta = {
        "labels": list(TASK_TYPES),
        "dense_features": list(DENSE_FEATURES),
        "embedding_dim": int(table.shape[1]),
        "trained": time.strftime("%Y-%m-%d"),
        "metrics": report,
    }
    (args.out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


def evaluate(
    model: RouterModel, real_val: list[data.TaskRow], cx_val: list[data.ComplexityRow], out: Path
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    # the validation sets in the task_type format, for `switchyard bench classify`
    with (out / "real_val.jsonl").open("w") as fh:
        for i, r in enumerate(real_val):
            fh.write(
                json.dumps(
                    {
                        "id": f"real_val_{i}",
                        "source": r.source,
                        "prompt": r.prompt,
                        "label_raw": r.task_type,
                        "task_type": r.task_type,
                    }
                )
                + "\n"
            )
    with (out / "complexity_val.jsonl").open("w") as fh:
        for i, c in enumerate(cx_val):
            fh.write(
                json.dumps(
                    {
                        "id": f"cx_val_{i}",
                        "source": c.source,
                        "prompt": c.prompt,
                        "label_raw": c.group,
                        "task_type": None,
                        "complexity": round(10 * c.target, 4),
                    }
                )
                + "\n"
            )
    with (out / "two_model_val.jsonl").open("w") as fh:
        for i, c in enumerate(cx_val):
            if c.weak is not None:
                fh.write(
                    json.dumps(
                        {
                            "id": f"two_val_{i}",
                            "source": c.source,
                            "prompt": c.prompt,
                            "scores": {"weak": c.weak, "strong": c.strong},
                        }
                    )
                    + "\n"
                )

    preds = model.classify_batch([r.prompt for r in real_val])
    y = [r.task_type for r in real_val]
    p = [c.task_type for c in preds]
    by_source = {
        s: metrics.accuracy(
            [a for a, r in zip(y, real_val, strict=True) if r.source == s],
            [b for b, r in zip(p, real_val, strict=True) if r.source == s],
        )
        for s in sorted({r.source for r in real_val})
    }

    cx_pred = np.array([c.complexity for c in model.classify_batch([r.prompt for r in cx_val])])
    target = np.array([r.target for r in cx_val])
    groups = Counter(r.group for r in cx_val)
    within = [
        metrics.spearman(cx_pred[idx], target[idx])
        for g, n in groups.items()
        if n >= 50
        for idx in [np.array([r.group == g for r in cx_val])]
    ]
    two = [i for i, r in enumerate(cx_val) if r.weak is not None and r.strong is not None]
    weak = [float(cx_val[i].weak or 0.0) for i in two]
    strong = [float(cx_val[i].strong or 0.0) for i in two]
    summary = metrics.two_model_summary(cx_pred[two], weak, strong)
    rng = np.random.default_rng(SEED)
    rand = metrics.two_model_summary(rng.random(len(two)), weak, strong)
    return {
        "task_real_val": {
            "n": len(y),
            "accuracy": metrics.accuracy(y, p),
            "macro_f1": metrics.macro_f1(y, p, TASK_TYPES),
            "accuracy_by_source": by_source,
            "confusion": {"labels": list(TASK_TYPES), "matrix": metrics.confusion(y, p, TASK_TYPES)},
        },
        "complexity_val": {
            "n": len(cx_val),
            "spearman": metrics.spearman(cx_pred, target),
            "mean_within_domain_spearman": float(np.mean([s for s in within if s is not None])),
            "domains": len(within),
        },
        "two_model_val": {"n": len(two), **summary, "random": rand},
    }


if __name__ == "__main__":
    sys.exit(main())
