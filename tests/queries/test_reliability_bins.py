"""reliability_bins on a tiny hand-computed database (the fixture of test_ece_by_language).

r1 en clean: [log 3, 0] gold 0 (0.75 right), [log 3, 0] gold 1 (0.75 wrong), [log 7, 0] gold 0
  (0.875 right), [0, log 7] gold 1 (0.875 right)
  bin 7 [0.7, 0.8): n 2, 1 right, accuracy 0.5, confidence 0.75, gap 0.25, share 0.5
  bin 8 [0.8, 0.9): n 2, 2 right, accuracy 1.0, confidence 0.875, gap -0.125, share 0.5
  sum of share * |gap| = 0.1875 = ECE
"""

from __future__ import annotations

from math import log

import pytest

from querydb import qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7


def test_bins(qdb):
    qdb.add_run("r1")
    qdb.add_predictions("r1", [[log(3), 0], [log(3), 0], [log(7), 0], [0, log(7)]], [0, 1, 0, 1])
    got = qdb.query("reliability_bins")
    assert got["bin"].tolist() == [7, 8]  # empty bins have no row, bins in order
    assert got["n"].tolist() == [2, 2] and got["n_correct"].tolist() == [1, 2]
    assert got["lower"].tolist() == pytest.approx([0.7, 0.8]) and got["upper"].tolist() == pytest.approx([0.8, 0.9])
    assert got["accuracy"].tolist() == pytest.approx([0.5, 1.0])
    assert got["confidence"].tolist() == pytest.approx([0.75, 0.875], abs=TOL)
    assert got["gap"].tolist() == pytest.approx([0.25, -0.125], abs=TOL)
    assert got["share"].tolist() == pytest.approx([0.5, 0.5])
    ece = qdb.query("ece_by_language")["ece"][0]
    assert (got["share"] * got["gap"].abs()).sum() == pytest.approx(ece, abs=1e-12)


def test_n_bins_and_confidence_one(qdb):
    """With 4 bins, 0.75 and 0.875 fall in bin 3 with 1.0 ([200, 0] gold 1, wrong)."""
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0], [log(7), 0], [200.0, 0.0]], [0, 0, 1])
    got = qdb.query("reliability_bins", n_bins=4)
    assert got["bin"].tolist() == [3] and got["n"].tolist() == [3]
    assert got["lower"][0] == 0.75 and got["upper"][0] == 1.0
    assert got["accuracy"][0] == pytest.approx(2 / 3)
