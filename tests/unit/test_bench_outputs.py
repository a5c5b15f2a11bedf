"""The benchmark commands' JSON has the documented keys and honest values on small files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchyard_tools.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"

TWO_MODEL = (
    "bench",
    "routing",
    str(DATA / "routing_sample.jsonl"),
    "--strong",
    "strong-model",
    "--weak",
    "weak-model",
)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_bench_classify_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "bench", "classify", str(DATA / "task_type_sample.jsonl"), "--json")
    assert {"accuracy", "macro_f1", "n", "spearman_complexity"} <= set(out)
    assert out["n"] == 8 and 0.0 <= float(out["accuracy"]) <= 1.0  # type: ignore[arg-type]
    assert out["spearman_complexity"] is not None


def test_bench_cache_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "bench", "cache", str(DATA / "paraphrase_sample.jsonl"), "--json")
    assert {"precision", "recall", "wrong_hits", "n"} <= set(out)
    assert out["n"] == 6 and out["wrong_hits"] == 0 and out["precision"] == 1.0
    assert out["recall"] == 1.0  # "do I" / "can I" is served by the semantic level
    assert out["hits_by_level"] == {"normalized": 2, "semantic": 1}


def test_bench_routing_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, *TWO_MODEL, "--json")
    assert {"strong_call_pct_at_95", "cpt50", "cpt80", "apgr", "n"} <= set(out)
    assert out["n"] == 6 and out["strong_quality"] == 5 / 6 and out["weak_quality"] == 3 / 6
    assert (
        main(
            [
                "bench",
                "routing",
                str(DATA / "routing_sample.jsonl"),
                "--strong",
                "nope",
                "--weak",
                "weak-model",
            ]
        )
        == 2
    )


def test_bench_routing_pool_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "bench", "routing", str(DATA / "routing_sample.jsonl"), "--json")
    assert {
        "quality",
        "cost_usd",
        "best_single_model",
        "best_single_quality",
        "best_single_cost_usd",
        "n",
    } <= set(out)
    assert out["best_single_model"] == "strong-model" and out["n"] == 6
    modes = out["modes"]
    assert isinstance(modes, dict) and set(modes) == {"auto", "cost", "speed", "quality"}
    assert out["oracle_quality"] >= out["best_single_quality"]  # type: ignore[operator]
    assert out["cheapest_cost_usd"] <= out["cost_usd"] <= out["best_single_cost_usd"]  # type: ignore[operator]


def test_bad_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": "x"}\nnot json\n')
    assert main(["bench", "cache", str(bad)]) == 2
    assert "switchyard:" in capsys.readouterr().err
    assert main(["bench", "classify", str(tmp_path / "missing.jsonl")]) == 2


def test_bench_routing_plot(tmp_path: Path) -> None:
    png = tmp_path / "curve.png"
    argv = list(TWO_MODEL)
    assert main([*argv, "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
