"""Training and validation data for the router model, read from ../shared/data.

Task type: the academic labelled files (P3 templates, GSM8K, MMLU) subsampled per type,
plus the real chat prompts of ``task_type/unlabeled`` labelled by hand for this project
(``training/data/real_prompt_labels.jsonl``, guide in ``training/LABELLING_GUIDE.md``) and a
hand-written set (``training/data/handwritten_prompts.jsonl``). The real prompts are split
70/30 (stratified, fixed seed); the 30% are the validation set the model card reports on.

Complexity: per-prompt correctness of cheap models in the routing files.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20261130
ACADEMIC_PER_TYPE = 1500
REAL_VAL_SHARE = 0.3


@dataclass(frozen=True)
class TaskRow:
    prompt: str
    task_type: str
    source: str
    weight: float = 1.0


@dataclass(frozen=True)
class ComplexityRow:
    prompt: str
    target: float  # share of cheap-model answers that were wrong, in [0, 1]
    source: str
    group: str  # subject / sub-benchmark, for splitting by domain
    weak: float | None = None  # two-model files: the weak and strong model's score
    strong: float | None = None


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def real_prompts(data_dir: Path) -> tuple[list[TaskRow], list[TaskRow]]:
    """Hand-labelled real chat prompts, split into (train, validation)."""
    by_file: dict[str, dict[str, str]] = defaultdict(dict)
    labels = list(read_jsonl(HERE / "data" / "real_prompt_labels.jsonl"))
    for lab in labels:
        by_file[str(lab["file"])][str(lab["id"])] = str(lab["task_type"])
    seen: set[str] = set()
    rows: list[TaskRow] = []
    for file, ids in sorted(by_file.items()):
        for rec in read_jsonl(data_dir / file):
            prompt = str(rec["prompt"])
            key = prompt.strip()
            if rec["id"] in ids and key not in seen:
                seen.add(key)
                rows.append(TaskRow(prompt, ids[str(rec["id"])], str(rec["source"])))
    rng = random.Random(SEED)
    by_type: dict[str, list[TaskRow]] = defaultdict(list)
    for r in rows:
        by_type[r.task_type].append(r)
    train: list[TaskRow] = []
    val: list[TaskRow] = []
    for t in sorted(by_type):
        group = by_type[t]
        rng.shuffle(group)
        k = round(len(group) * REAL_VAL_SHARE)
        val.extend(group[:k])
        train.extend(group[k:])
    return train, val


def handwritten() -> list[TaskRow]:
    return [
        TaskRow(str(r["prompt"]), str(r["task_type"]), "handwritten")
        for r in read_jsonl(HERE / "data" / "handwritten_prompts.jsonl")
    ]


def academic(data_dir: Path) -> list[TaskRow]:
    """The labelled public files, at most ACADEMIC_PER_TYPE rows per type (seeded sample)."""
    rng = random.Random(SEED)
    by_type: dict[str, list[TaskRow]] = defaultdict(list)
    for path in sorted((data_dir / "task_type" / "train").glob("*.jsonl")):
        for rec in read_jsonl(path):
            if rec.get("task_type"):
                by_type[str(rec["task_type"])].append(
                    TaskRow(str(rec["prompt"]), str(rec["task_type"]), str(rec["source"]))
                )
    out: list[TaskRow] = []
    for t in sorted(by_type):
        group = by_type[t]
        rng.shuffle(group)
        out.extend(group[:ACADEMIC_PER_TYPE])
    return out


# Models treated as "cheap" in the multi-model routing files; the rest are the strong ones.
PREMIUM = {"gpt-4-1106-preview", "claude-v1", "claude-v2"}


def complexity_rows(data_dir: Path) -> list[ComplexityRow]:
    rows: list[ComplexityRow] = []
    routing = data_dir / "routing" / "train"
    for path in sorted(routing.glob("*.jsonl")):
        for rec in read_jsonl(path):
            scores = rec.get("scores")
            if not isinstance(scores, dict):
                continue
            cheap = [float(v) for m, v in scores.items() if m not in PREMIUM]
            strong = [float(v) for m, v in scores.items() if m in PREMIUM]
            if not cheap:
                continue
            source = str(rec["source"])
            group = f"{source}/{rec.get('category') or ''}"
            two = len(scores) == 2 and len(strong) == 1
            rows.append(
                ComplexityRow(
                    prompt=str(rec["prompt"]),
                    target=1.0 - sum(cheap) / len(cheap),
                    source=source,
                    group=group,
                    weak=cheap[0] if two else None,
                    strong=strong[0] if two else None,
                )
            )
    return rows


def split_complexity(
    rows: list[ComplexityRow],
) -> tuple[list[ComplexityRow], list[ComplexityRow]]:
    """Validation by domain: 25% of MMLU subjects and of RouterDC sub-benchmarks are held out
    whole (so the score says whether the head ranks prompts in domains it never saw), plus
    every third GSM8K / RouterBench row."""
    rng = random.Random(SEED)
    groups = sorted({r.group for r in rows if r.source == "mmlu" or r.source.startswith("routerdc")})
    rng.shuffle(groups)
    held = set(groups[: len(groups) // 4])
    train: list[ComplexityRow] = []
    val: list[ComplexityRow] = []
    for i, r in enumerate(rows):
        if r.group in held or (r.group not in groups and i % 3 == 0):
            val.append(r)
        else:
            train.append(r)
    return train, val


# AlpacaEval: judge preferences of many models against the GPT-4-turbo baseline. Style, not
# correctness, so only a light anchor for real chat prompts (which the benchmark files lack).
ALPACA_ANNOTATOR = "weighted_alpaca_eval_gpt4_turbo"
ALPACA_SPAN = 0.6


def alpaca_rows(data_dir: Path) -> list[ComplexityRow]:
    import csv

    routing = data_dir / "routing" / "train"
    prompts = {
        str(r["instruction_id"]): str(r["prompt"])
        for r in read_jsonl(routing / "alpaca_eval_instructions.jsonl")
    }
    lost: dict[str, list[float]] = defaultdict(list)
    with (routing / "alpaca_eval_preferences.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["annotator"] != ALPACA_ANNOTATOR or not rec["preference"]:
                continue
            # preference 1 = baseline better … 2 = model better
            lost[rec["instruction_id"]].append(min(max(2.0 - float(rec["preference"]), 0.0), 1.0))
    rows = [(prompts[i], sum(v) / len(v)) for i, v in sorted(lost.items()) if i in prompts and len(v) >= 5]
    # Most models lose to the GPT-4-turbo baseline on most prompts, so the raw loss rate says
    # "chat is hard" everywhere. Keep only the order: the target is the prompt's loss-rate
    # percentile scaled into [0, ALPACA_SPAN].
    order = sorted(range(len(rows)), key=lambda k: rows[k][1])
    pct = [0.0] * len(rows)
    for rank, k in enumerate(order):
        pct[k] = rank / max(len(rows) - 1, 1)
    return [
        ComplexityRow(p, ALPACA_SPAN * q, "alpaca_eval", "alpaca_eval")
        for (p, _), q in zip(rows, pct, strict=True)
    ]
