"""brier_by_language on a tiny hand-computed database.

Brier score = sum_k (p_k - [label = k])^2, averaged over inputs (Brier 1950: summed over classes, in [0, 2]).
  [log 3, 0] -> p = (0.75, 0.25): gold 0 -> 0.25^2 + 0.25^2 = 0.125; gold 1 -> 0.75^2 + 0.75^2 = 1.125
  [log 6, log 3, 0] -> p = (0.6, 0.3, 0.1): gold 0 -> 0.16 + 0.09 + 0.01 = 0.26; gold 2 -> 0.36 + 0.09 + 0.81 = 1.26
  [log 4, log 3, log 2, 0, 0] (5 classes; the last two past the fast path) -> p = (4, 3, 2, 1, 1) / 11:
      gold 4 -> (16 + 9 + 4 + 1 + 1) / 121 - 2 / 11 + 1 = 130 / 121
  T = 2 on [log 3, 0]: p = (s3, 1 - s3) with s3 = sqrt3 / (sqrt3 + 1): gold 0 -> 2 (1 - s3)^2
"""

from __future__ import annotations

from math import log, sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7
S3 = sqrt(3) / (sqrt(3) + 1)


def test_two_three_and_five_classes(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0], [log(3), 0]], [0, 1], language="en")
    qdb.add_predictions("r", [[log(6), log(3), 0], [log(6), log(3), 0]], [0, 2], language="de")
    qdb.add_predictions("r", [[log(4), log(3), log(2), 0, 0]], [4], language="xx")
    got = by_key(qdb.query("brier_by_language"), "language")
    assert got[("en",)]["brier"] == pytest.approx((0.125 + 1.125) / 2, abs=TOL)
    assert got[("de",)]["brier"] == pytest.approx((0.26 + 1.26) / 2, abs=TOL)
    assert got[("xx",)]["brier"] == pytest.approx(130 / 121, abs=TOL)
    assert [got[(x,)]["n"] for x in ("en", "de", "xx")] == [2, 2, 1]


def test_temperature(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0]], [0])
    qdb.add_fit("r", 2.0)
    got = qdb.query("brier_by_language").set_index("calibration")["brier"]
    assert got["none"] == pytest.approx(0.125, abs=TOL)
    assert got["temperature"] == pytest.approx(2 * (1 - S3) ** 2, abs=TOL)


def test_certain_and_wrong_is_two(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[200.0, 0.0], [200.0, 0.0]], [1, 0])
    assert qdb.query("brier_by_language")["brier"][0] == pytest.approx((2 + 0) / 2, abs=1e-12)
