"""classwise_ece_by_language on a tiny hand-computed database.

Two classes, two inputs, both gold 0: [log 3, 0] -> p = (0.75, 0.25); [0, log 3] -> p = (0.25, 0.75).
  class 0: p0 = 0.75 (bin 7, gold freq 1) -> 0.25; p0 = 0.25 (bin 2, freq 1) -> 0.75: ECE_0 = 0.5
  class 1: p1 = 0.25 (freq 0) -> 0.25; p1 = 0.75 (freq 0) -> 0.75: ECE_1 = 0.5 -> classwise 0.5
  (top-label ECE of the same inputs is 0.25: both at 0.75, one right)
Three classes, one input [log 6, log 3, 0] gold 0 -> p = (0.6, 0.3, 0.1):
  |1 - 0.6| + |0 - 0.3| + |0 - 0.1| = 0.8, over 3 classes -> 0.266667
"""

from __future__ import annotations

from math import log

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7


def test_values(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0], [0, log(3)]], [0, 0], language="en")
    qdb.add_predictions("r", [[log(6), log(3), 0]], [0], language="de")
    got = by_key(qdb.query("classwise_ece_by_language"), "language")
    assert (got[("en",)]["n"], got[("en",)]["classes"]) == (2, 2)
    assert got[("en",)]["classwise_ece"] == pytest.approx(0.5, abs=TOL)
    assert (got[("de",)]["n"], got[("de",)]["classes"]) == (1, 3)
    assert got[("de",)]["classwise_ece"] == pytest.approx(0.8 / 3, abs=TOL)
    assert qdb.query("ece_by_language").set_index("language")["ece"]["en"] == pytest.approx(0.25, abs=TOL)


def test_temperature_and_bins(qdb):
    """T = 2 on [log 6, log 3, 0]: p ~ (sqrt6, sqrt3, 1); one bin pools each class's single value anyway."""
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(6), log(3), 0]], [0])
    qdb.add_fit("r", 2.0)
    z = 6 ** 0.5 + 3 ** 0.5 + 1
    p = (6 ** 0.5 / z, 3 ** 0.5 / z, 1 / z)
    expected = ((1 - p[0]) + p[1] + p[2]) / 3
    for n_bins in (1, 10):
        got = qdb.query("classwise_ece_by_language", n_bins=n_bins).set_index("calibration")["classwise_ece"]
        assert got["temperature"] == pytest.approx(expected, abs=TOL)
        assert got["none"] == pytest.approx(0.8 / 3, abs=TOL)
