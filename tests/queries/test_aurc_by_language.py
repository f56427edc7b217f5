"""aurc_by_language on a tiny hand-computed database.

Confidence of [log k, 0] is k / (k + 1); gold 0 is right, gold 1 wrong. Most confident first:
  0.95 wrong, 0.8 right, 0.75 wrong, 0.6 right: risks 1/1, 1/2, 2/3, 2/4 -> AURC = 2.6667 / 4 = 0.666667
  ties: 0.95 right, then 0.75 wrong and 0.75 right tied: first 0/1; the tie (m = 2, e = 1, after b = 1
      input with d = 0 errors): j = 1 -> (0 + 1/2) / 2 = 0.25, j = 2 -> (0 + 1) / 3 = 1/3
      -> AURC = (0 + 0.25 + 1/3) / 3 = 0.194444, the mean of the two orders (0, 1/2, 1/3) and (0, 0, 1/3)
  all right -> 0; all wrong -> 1
"""

from __future__ import annotations

from math import log

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)


def test_values_and_ties(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(19), 0], [log(4), 0], [log(3), 0], [log(1.5), 0]], [1, 0, 1, 0], language="en")
    qdb.add_predictions("r", [[log(19), 0], [log(3), 0], [log(3), 0]], [0, 1, 0], language="de")
    qdb.add_predictions("r", [[log(19), 0], [log(3), 0]], [0, 0], language="fr")
    qdb.add_predictions("r", [[log(19), 0], [log(3), 0]], [1, 1], language="ru")
    got = by_key(qdb.query("aurc_by_language"), "language")
    assert got[("en",)]["aurc"] == pytest.approx((1 + 1 / 2 + 2 / 3 + 2 / 4) / 4, abs=1e-12)
    assert got[("en",)]["n"] == 4
    assert got[("de",)]["aurc"] == pytest.approx((0 + 0.25 + 1 / 3) / 3, abs=1e-12)
    assert got[("fr",)]["aurc"] == 0.0
    assert got[("ru",)]["aurc"] == 1.0


def test_uninformative_confidence_gives_the_error_rate(qdb):
    """Every input tied: each coverage's expected risk is the error rate."""
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0]] * 5, [0, 1, 0, 0, 1])
    assert qdb.query("aurc_by_language")["aurc"][0] == pytest.approx(0.4, abs=1e-12)
