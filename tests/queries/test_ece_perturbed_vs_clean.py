"""ece_perturbed_vs_clean on the hand-computed pairs of adversarial_fixture (10 bins).

Clean side of the 4 pairs: 0.75 right, 0.75 wrong (bin 7: |0.5 - 0.75| x 2), 0.875 right (bin 8: 0.125),
  0.95 right (bin 9: 0.05) -> ECE (0.5 + 0.125 + 0.05) / 4 = 0.16875; accuracy 0.75;
  confidence (0.75 + 0.75 + 0.875 + 0.95) / 4 = 0.83125
Perturbed: 5/6 wrong (bin 8: 0.833333), 0.75 wrong and 0.75 right (bin 7: 0.25 x 2), 0.95 wrong (bin 9: 0.95)
  -> ECE (0.833333 + 0.5 + 0.95) / 4 = 0.570833; accuracy 0.25; confidence (5/6 + 0.75 + 0.75 + 0.95) / 4
e5 (clean only) is left out of the clean side: with it the clean ECE would differ.
"""

from __future__ import annotations

import pytest

from adversarial_fixture import fill
from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7


def test_values(qdb):
    fill(qdb)
    got = by_key(qdb.query("ece_perturbed_vs_clean"), "calibration")
    row = got[("none",)]
    assert row["n"] == 4
    assert row["clean_ece"] == pytest.approx(0.16875, abs=TOL)
    assert row["perturbed_ece"] == pytest.approx((5 / 6 + 0.5 + 0.95) / 4, abs=TOL)
    assert row["ece_shift"] == pytest.approx((5 / 6 + 0.5 + 0.95) / 4 - 0.16875, abs=TOL)
    assert (row["clean_accuracy"], row["perturbed_accuracy"]) == (0.75, 0.25)
    assert row["clean_confidence"] == pytest.approx(0.83125, abs=TOL)
    assert row["perturbed_confidence"] == pytest.approx((5 / 6 + 0.75 + 0.75 + 0.95) / 4, abs=TOL)
    assert row["confidence_shift"] == pytest.approx(row["perturbed_confidence"] - row["clean_confidence"], abs=1e-12)
    assert got[("temperature",)]["temperature"] == 2.0


def test_agrees_with_ece_by_language_on_the_sides(qdb):
    """Without unpaired inputs the two sides are ece_by_language's clean and attacked rows."""
    fill(qdb)
    with qdb.store.connect() as con:
        con.execute("DELETE FROM prediction WHERE example_id = 'e5'")
    pair = qdb.query("ece_perturbed_vs_clean", n_bins=15).set_index("calibration")
    ece = qdb.query("ece_by_language", n_bins=15).set_index(["calibration", "attack"])["ece"]
    for calibration in ("none", "temperature"):
        assert pair.loc[calibration, "clean_ece"] == pytest.approx(ece[(calibration, "none")], abs=1e-12)
        assert pair.loc[calibration, "perturbed_ece"] == pytest.approx(ece[(calibration, "charnoise")], abs=1e-12)


def test_changed_only(qdb):
    """e2 was left as it was: 3 of the 4 pairs changed. Without it the clean side is 0.75 right (bin 7: 0.25),
    0.875 right (0.125), 0.95 right (0.05) -> ECE 0.425 / 3; the perturbed side 5/6 wrong, 0.75 right,
    0.95 wrong -> (5/6 + 0.25 + 0.95) / 3."""
    fill(qdb)
    assert qdb.query("ece_perturbed_vs_clean").set_index("calibration").loc["none", "n_changed"] == 3
    row = qdb.query("ece_perturbed_vs_clean", changed_only=True).set_index("calibration").loc["none"]
    assert (row["n"], row["n_changed"]) == (3, 3)
    assert row["clean_ece"] == pytest.approx(0.425 / 3, abs=TOL)
    assert row["perturbed_ece"] == pytest.approx((5 / 6 + 0.25 + 0.95) / 3, abs=TOL)
