"""confidence_on_successful_attacks on the hand-computed pairs of adversarial_fixture.

Successful: e1 (wrong at 5/6 = 0.8333, clean 0.75) and e4 (wrong at 0.95, clean 0.95):
  mean confidence (5/6 + 0.95) / 2 = 0.891667; mean clean confidence (0.75 + 0.95) / 2 = 0.85;
  confidently wrong at threshold 0.9: only e4 -> 0.5; at 0.8: both -> 1.0; at 0.96: none -> 0.0
T = 2: (s5 + s19) / 2 with sk = sqrt(k) / (sqrt(k) + 1).
"""

from __future__ import annotations

from math import sqrt

import pytest

from adversarial_fixture import fill
from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7


def s(k):
    return sqrt(k) / (sqrt(k) + 1)


def test_values(qdb):
    fill(qdb)
    got = by_key(qdb.query("confidence_on_successful_attacks"), "calibration")
    none = got[("none",)]
    assert (none["n"], none["n_succeeded"]) == (4, 2)
    assert none["mean_confidence"] == pytest.approx((5 / 6 + 0.95) / 2, abs=TOL)
    assert none["mean_clean_confidence"] == pytest.approx(0.85, abs=TOL)
    assert none["confidently_wrong_share"] == 0.5
    assert got[("temperature",)]["mean_confidence"] == pytest.approx((s(5) + s(19)) / 2, abs=TOL)


@pytest.mark.parametrize("threshold, share", [(0.8, 1.0), (0.96, 0.0)])
def test_threshold(qdb, threshold, share):
    fill(qdb)
    got = qdb.query("confidence_on_successful_attacks", threshold=threshold).set_index("calibration")
    assert got.loc["none", "confidently_wrong_share"] == share


def test_no_success_gives_null_means(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[1.0, 0.0]], [0], example_ids=["x"])
    qdb.add_predictions("r", [[1.0, 0.0]], [0], attack="charnoise", example_ids=["x"])
    row = qdb.query("confidence_on_successful_attacks").iloc[0]
    assert row["n"] == 1 and row["n_succeeded"] == 0
    assert row["mean_confidence"] != row["mean_confidence"] or row["mean_confidence"] is None


def test_changed_inputs_are_counted_and_can_be_kept_alone(qdb):
    """e2 (unchanged) was never a success, so keeping only changed inputs keeps both successes."""
    fill(qdb)
    row = qdb.query("confidence_on_successful_attacks").set_index("calibration").loc["none"]
    assert (row["n"], row["n_changed"]) == (4, 3)
    row = qdb.query("confidence_on_successful_attacks", changed_only=True).set_index("calibration").loc["none"]
    assert (row["n"], row["n_changed"], row["n_succeeded"]) == (3, 3, 2)
    assert row["mean_confidence"] == pytest.approx((5 / 6 + 0.95) / 2, abs=TOL)
