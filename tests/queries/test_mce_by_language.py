"""mce_by_language on a tiny hand-computed database (the fixture of test_ece_by_language).

r1 en clean: [log 3, 0] gold 0 (0.75 right), [log 3, 0] gold 1 (0.75 wrong), [log 7, 0] gold 0 (0.875 right),
  [0, log 7] gold 1 (0.875 right)
  n_bins = 10: bin 7 |0.5 - 0.75| = 0.25, bin 8 |1 - 0.875| = 0.125 -> MCE 0.25 in bin 7 (ECE was 0.1875)
  n_bins = 2: one bin, |0.75 - 0.8125| = 0.0625
  T = 2: bin 6 |0.5 - s3| = 0.133975, bin 7 |1 - s7| = 0.274292 -> MCE 1 - s7 in bin 7
"""

from __future__ import annotations

from math import log, sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7
S7 = sqrt(7) / (sqrt(7) + 1)


@pytest.fixture
def filled(qdb):
    qdb.add_run("r1")
    qdb.add_predictions("r1", [[log(3), 0], [log(3), 0], [log(7), 0], [0, log(7)]], [0, 1, 0, 1])
    qdb.add_fit("r1", 2.0)
    return qdb


def test_largest_gap_and_its_bin(filled):
    got = by_key(filled.query("mce_by_language"), "calibration")
    assert got[("none",)]["mce"] == pytest.approx(0.25, abs=TOL) and got[("none",)]["worst_bin"] == 7
    assert got[("temperature",)]["mce"] == pytest.approx(1 - S7, abs=TOL)
    assert got[("temperature",)]["worst_bin"] == 7
    assert got[("none",)]["n"] == 4


def test_n_bins(filled):
    got = by_key(filled.query("mce_by_language", n_bins=2), "calibration")
    assert got[("none",)]["mce"] == pytest.approx(0.0625, abs=TOL) and got[("none",)]["worst_bin"] == 1


def test_mce_is_at_least_ece(filled):
    mce = filled.query("mce_by_language").set_index("calibration")["mce"]
    ece = filled.query("ece_by_language").set_index("calibration")["ece"]
    assert (mce >= ece - 1e-12).all()
