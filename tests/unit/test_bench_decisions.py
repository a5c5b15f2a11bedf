"""`switchyard bench decisions`: the committed table routes through the product's policy, and
the bands are checked as written (a decision outside them is reported, never hidden)."""

from __future__ import annotations

import json
from pathlib import Path

from switchyard_tools.bench import decisions
from tests_support import ROOT


def test_the_committed_table_is_routed_and_scored() -> None:
    r = decisions.run(ROOT / "benchmarks" / "decisions.jsonl")
    assert r["n"] == 60 and len(r["by_lang"]) >= 8
    within = [d for d in r["decisions"] if d["within"]]
    assert r["within_band"] == round(len(within) / 60, 4)
    for d in r["decisions"]:
        assert d["within"] == (d["band"][0] <= d["tier"] <= d["band"][1])


def test_out_of_band_decisions_are_flagged(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "lang": "en", "prompt": "What are your business hours?", "min_tier": 3, "max_tier": 3},
        {"id": "b", "lang": "en", "prompt": "What are your business hours?", "min_tier": 1, "max_tier": 3},
    ]
    f = tmp_path / "d.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in rows))
    r = decisions.run(f)
    a, b = r["decisions"]
    assert a["tier"] == 1 and not a["within"] and a["hard_to_economy"] and r["hard_to_economy"] == 1
    assert b["within"] and r["within_band"] == 0.5
    assert "✗" in decisions.render(r)
