"""The posterior update behind the confidence matrix."""

from __future__ import annotations

from switchyard.learning.scoring import PRIOR_STRENGTH, Observation, update
from switchyard.routing.matrix import PRIOR, Cell, ConfidenceMatrix

TIERS = {"cheap": 1, "mid": 2}


def test_votes_move_a_prior_cell_by_their_share_of_the_evidence() -> None:
    obs = [Observation("mid", "coding", 0.0)] * 10
    new, changes = update(PRIOR, obs, TIERS, "v1")
    q0 = PRIOR.quality("mid", 2, "coding")
    expected = q0 * PRIOR_STRENGTH / (PRIOR_STRENGTH + 10)
    assert abs(new.cells["mid"]["coding"].quality - expected) < 1e-6
    assert new.cells["mid"]["coding"].n == 10
    assert [(c.model, c.task_type, c.votes) for c in changes] == [("mid", "coding", 10.0)]
    assert new.version == "v1"


def test_a_handful_of_votes_cannot_swing_an_established_cell() -> None:
    established = ConfidenceMatrix({"mid": {"qa": Cell(0.9, 1000)}}, "v0")
    new, _ = update(established, [Observation("mid", "qa", 0.0)] * 5, TIERS, "v1")
    assert new.cells["mid"]["qa"].quality > 0.89


def test_other_cells_and_unknown_models_are_untouched() -> None:
    start = ConfidenceMatrix({"cheap": {"qa": Cell(0.8, 50)}}, "v0")
    new, changes = update(
        start, [Observation("mid", "coding", 1.0), Observation("ghost", "qa", 0.0)], TIERS, "v1"
    )
    assert new.cells["cheap"]["qa"] == Cell(0.8, 50)
    assert "ghost" not in new.cells and len(changes) == 1


def test_scores_are_clamped_and_incremental_updates_compose() -> None:
    a, _ = update(PRIOR, [Observation("cheap", "qa", 5.0)], TIERS, "v1")
    assert a.cells["cheap"]["qa"].quality <= 1.0
    one, _ = update(PRIOR, [Observation("cheap", "qa", 1.0), Observation("cheap", "qa", 0.0)], TIERS, "v1")
    step, _ = update(PRIOR, [Observation("cheap", "qa", 1.0)], TIERS, "v1")
    two, _ = update(step, [Observation("cheap", "qa", 0.0)], TIERS, "v2")
    assert abs(one.cells["cheap"]["qa"].quality - two.cells["cheap"]["qa"].quality) < 1e-6
