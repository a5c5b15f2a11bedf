"""Reading benchmark files (the ../shared/data JSONL formats)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from switchyard.errors import InputError


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
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
