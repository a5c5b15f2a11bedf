"""`switchyard report` on a small file of prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchyard_tools.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"


def test_report_writes_markdown_charts_and_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    assert (
        main(
            ["report", str(DATA / "task_type_sample.jsonl"), "--out", str(out), "--monthly-requests", "1000"]
        )
        == 0
    )
    result = json.loads((out / "report.json").read_text())
    assert result["n"] == 8 and abs(sum(result["share_by_model"].values()) - 1.0) < 1e-9
    assert result["monthly_cost_usd"] == pytest.approx(result["cost_per_request_usd"] * 1000)
    assert result["monthly_cost_usd"] <= result["monthly_baseline_cost_usd"]
    md = (out / "report.md").read_text()
    assert "Projected saving" in md and "## Where the router escalated" in md
    for png in ("share_by_model.png", "model_by_task.png", "monthly_cost.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({png})" in md


def test_report_reads_csv_and_rejects_empty(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text('prompt\n"What is the capital of Peru?"\n"Write a haiku about rain"\n')
    assert main(["report", str(csv), "--out", str(tmp_path / "r")]) == 0
    assert json.loads((tmp_path / "r" / "report.json").read_text())["n"] == 2
    empty = tmp_path / "e.jsonl"
    empty.write_text('{"x": 1}\n')
    assert main(["report", str(empty), "--out", str(tmp_path / "r2")]) == 2
