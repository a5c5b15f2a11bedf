"""Reading the data files the benchmarks, the training and the tools share (the
``../shared/data`` JSONL formats), and the one deterministic train/test split they agree on.

Pure apart from :func:`read_jsonl`'s file read; nothing here is on the request path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from switchyard.errors import InputError


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file (blank lines skipped); a clear InputError otherwise."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            if not isinstance(rec, dict):
                raise InputError(f"{path}:{n}: expected a JSON object")
            yield rec


def split_share(row: dict[str, Any]) -> float:
    """Where a row falls in [0, 1]: a hash of its id (or its prompt), stable across runs."""
    ident = str(row.get("id") or row["prompt"])
    return int(hashlib.sha256(ident.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def split_by_id(
    rows: Sequence[dict[str, Any]], test_share: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Deterministic (train, test) split: a row is test when its :func:`split_share` is below
    ``test_share``. ``bench routing --train FILE`` and ``prior fit`` use it, so the prior
    never sees the rows the routing benchmark tests on."""
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for r in rows:
        (test if split_share(r) < test_share else train).append(r)
    return train, test
