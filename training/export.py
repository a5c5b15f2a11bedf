"""Build the router's ONNX graph from trained numpy weights (opset 17, no torch needed).

Inputs (see ``switchyard.classifier.features.ModelInput``): token_ids, mask_all, mask_head,
mask_tail [B, L]; dense [B, F]; ngram_ids, ngram_weight [B, N].
Outputs: embedding [B, D], probabilities [B, 8], complexity [B] in [0, 10].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from pooling import EPS

F32 = NDArray[np.float32]


@dataclass
class Weights:
    table: NDArray[np.float16]  # [V, D] static token vectors
    dense_mean: F32  # [F]
    dense_std: F32  # [F]
    task_w: F32  # [3D + F, 8]
    task_ngram: F32  # [V + buckets, 8]
    task_b: F32  # [8]
    cx_layers: list[tuple[F32, F32]]  # MLP (W, b) pairs; ReLU between, sigmoid after


def build(w: Weights) -> onnx.ModelProto:
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(op: str, ins: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    const("table", w.table)
    axis1 = const("axis1", np.array([1], dtype=np.int64))
    axis2 = const("axis2", np.array([2], dtype=np.int64))
    one = const("one", np.array(1.0, dtype=np.float32))
    eps = const("eps", np.array(EPS, dtype=np.float32))
    node("Gather", ["table", "token_ids"], "e16")
    node("Cast", ["e16"], "e", to=TensorProto.FLOAT)

    def unit_mean(mask: str) -> str:
        m3 = node("Unsqueeze", [mask, axis2], f"{mask}_3")
        s = node("ReduceSum", [node("Mul", ["e", m3], f"{mask}_em"), axis1], f"{mask}_sum", keepdims=0)
        c = node("ReduceSum", [mask, axis1], f"{mask}_cnt", keepdims=1)
        mean = node("Div", [s, node("Max", [c, one], f"{mask}_cnt1")], f"{mask}_mean")
        norm = node("ReduceL2", [mean], f"{mask}_norm", axes=[1], keepdims=1)
        return node("Div", [mean, node("Add", [norm, eps], f"{mask}_norm_e")], f"{mask}_unit")

    emb = unit_mean("mask_all")
    nodes.append(helper.make_node("Identity", [emb], ["embedding"]))
    head = unit_mean("mask_head")
    tail = unit_mean("mask_tail")
    dstd = node(
        "Div",
        [
            node("Sub", ["dense", const("dense_mean", w.dense_mean)], "dense_c"),
            const("dense_std", w.dense_std),
        ],
        "dense_s",
    )
    feat = node("Concat", [emb, head, tail, dstd], "feat", axis=1)
    dense_logits = node("MatMul", [feat, const("task_w", w.task_w)], "task_dense")
    ng = node("Gather", [const("task_ngram", w.task_ngram), "ngram_ids"], "ng")
    ngw = node("Mul", [ng, node("Unsqueeze", ["ngram_weight", axis2], "ngw3")], "ng_w")
    ng_logits = node("ReduceSum", [ngw, axis1], "task_ng", keepdims=0)
    logits = node(
        "Add", [node("Add", [dense_logits, ng_logits], "task_sum"), const("task_b", w.task_b)], "logits"
    )
    nodes.append(helper.make_node("Softmax", [logits], ["probabilities"], axis=1))
    h = node("Concat", [feat, "probabilities"], "cx_in", axis=1)
    for i, (wi, bi) in enumerate(w.cx_layers):
        h = node(
            "Add",
            [node("MatMul", [h, const(f"cx_w{i}", wi)], f"cx_mm{i}"), const(f"cx_b{i}", bi)],
            f"cx_z{i}",
        )
        if i < len(w.cx_layers) - 1:
            h = node("Relu", [h], f"cx_h{i}")
    sig = node("Sigmoid", [node("Squeeze", [h, axis1], "cx_logit")], "cx_p")
    nodes.append(
        helper.make_node("Mul", [sig, const("ten", np.array(10.0, dtype=np.float32))], ["complexity"])
    )

    def inp(name: str, elem: int, dims: list[str | int]) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, elem, dims)

    nf = int(w.dense_mean.shape[0])
    graph = helper.make_graph(
        nodes,
        "switchyard_router",
        [
            inp("token_ids", TensorProto.INT64, ["B", "L"]),
            inp("mask_all", TensorProto.FLOAT, ["B", "L"]),
            inp("mask_head", TensorProto.FLOAT, ["B", "L"]),
            inp("mask_tail", TensorProto.FLOAT, ["B", "L"]),
            inp("dense", TensorProto.FLOAT, ["B", nf]),
            inp("ngram_ids", TensorProto.INT64, ["B", "N"]),
            inp("ngram_weight", TensorProto.FLOAT, ["B", "N"]),
        ],
        [
            inp("embedding", TensorProto.FLOAT, ["B", int(w.table.shape[1])]),
            inp("probabilities", TensorProto.FLOAT, ["B", 8]),
            inp("complexity", TensorProto.FLOAT, ["B"]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="switchyard")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def save(w: Weights, path: Path) -> None:
    onnx.save_model(build(w), str(path))
