"""overconfidence_by_language on a tiny hand-computed database.

Confidence of [log k, 0] is k / (k + 1); at T = 2 it is sk = sqrt(k) / (sqrt(k) + 1).
  r1 en clean: [log 3, 0] gold 0 (0.75, right), [log 3, 0] gold 1 (0.75, wrong), [0, log 7] gold 1 (0.875,
      right): accuracy 2/3, confidence (0.75 + 0.75 + 0.875) / 3 = 0.791667, over-confidence 0.125
      T = 2: confidence (2 s3 + s7) / 3, accuracy 2/3 (the arg-max does not move)
  r1 de clean: [log 9, 0] gold 1 (0.9, wrong): over-confidence 0.9
  r1 de clean, 5 classes: probabilities (4, 3, 2, 1, 1) / 11, gold 0 (right): 4/11 - 1 < 0, under-confident
"""

from __future__ import annotations

from math import log, sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7  # logits are stored as float32


def s(k):
    return sqrt(k) / (sqrt(k) + 1)


def test_grain_and_values(qdb):
    qdb.add_run("r1")
    qdb.add_predictions("r1", [[log(3), 0], [log(3), 0], [0, log(7)]], [0, 1, 1], language="en")
    qdb.add_predictions("r1", [[log(9), 0]], [1], language="de")
    qdb.add_predictions("r1", [[log(4), log(3), log(2), 0, 0]], [0], language="xx")
    qdb.add_fit("r1", 2.0)
    got = by_key(qdb.query("overconfidence_by_language"), "language", "calibration")
    assert set(got) == {(lang, c) for lang in ("en", "de", "xx") for c in ("none", "temperature")}
    en = got[("en", "none")]
    assert (en["n"], en["temperature"]) == (3, 1.0)
    assert en["accuracy"] == pytest.approx(2 / 3, abs=1e-12)
    assert en["confidence"] == pytest.approx(0.791667, abs=1e-6)
    assert en["overconfidence"] == pytest.approx(0.125, abs=TOL)
    hot = got[("en", "temperature")]
    assert hot["temperature"] == 2.0 and hot["accuracy"] == pytest.approx(2 / 3)
    assert hot["overconfidence"] == pytest.approx((2 * s(3) + s(7)) / 3 - 2 / 3, abs=TOL)
    assert got[("de", "none")]["overconfidence"] == pytest.approx(0.9, abs=TOL)
    assert got[("xx", "none")]["overconfidence"] == pytest.approx(4 / 11 - 1, abs=TOL)
    for row in got.values():
        assert row["overconfidence"] == pytest.approx(row["confidence"] - row["accuracy"], abs=1e-12)
