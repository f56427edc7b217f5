"""nll_by_language on a tiny hand-computed database.

NLL = mean of -ln p_label.
  [log 3, 0]: gold 0 -> -ln 0.75; gold 1 -> -ln 0.25 = ln 4
  [log 4, log 3, log 2, 0, 0] (5 classes): p = (4, 3, 2, 1, 1) / 11; gold 4 -> ln 11
  T = 2 on [log 3, 0], gold 0 -> -ln s3, s3 = sqrt3 / (sqrt3 + 1)
  [200, 0] gold 1: p_1 = e^-200 / (1 + e^-200), so NLL = 200 + ln(1 + e^-200) = 200: finite, no ln(0)
"""

from __future__ import annotations

from math import log, sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7


def test_values(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0], [log(3), 0]], [0, 1], language="en")
    qdb.add_predictions("r", [[log(4), log(3), log(2), 0, 0]], [4], language="xx")
    qdb.add_predictions("r", [[200.0, 0.0]], [1], language="far")
    qdb.add_fit("r", 2.0)
    got = by_key(qdb.query("nll_by_language"), "language", "calibration")
    assert got[("en", "none")]["nll"] == pytest.approx((-log(0.75) + log(4)) / 2, abs=TOL)
    assert got[("xx", "none")]["nll"] == pytest.approx(log(11), abs=TOL)
    assert got[("far", "none")]["nll"] == pytest.approx(200.0, abs=1e-9)
    s3, s3_wrong = sqrt(3) / (sqrt(3) + 1), 1 / (sqrt(3) + 1)
    assert got[("en", "temperature")]["nll"] == pytest.approx((-log(s3) - log(s3_wrong)) / 2, abs=TOL)
    assert got[("far", "temperature")]["nll"] == pytest.approx(100.0, abs=1e-9)
