"""auroc_by_language on a tiny hand-computed database.

Confidence of [log k, 0] is k / (k + 1); gold 0 is right, gold 1 wrong.
  0.95 right, 0.8 wrong, 0.75 right, 0.6 wrong: pairs (right, wrong) ordered correctly:
      (0.95, 0.8) yes, (0.95, 0.6) yes, (0.75, 0.8) no, (0.75, 0.6) yes -> AUROC 3/4
  ties: 0.75 right, 0.75 wrong, 0.95 right: (0.75, 0.75) counts 1/2, (0.95, 0.75) 1 -> 1.5 / 2 = 0.75
  all right: no negatives -> NULL
"""

from __future__ import annotations

from math import log

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)


def test_values_ties_and_undefined(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(19), 0], [log(4), 0], [log(3), 0], [log(1.5), 0]], [0, 1, 0, 1], language="en")
    qdb.add_predictions("r", [[log(3), 0], [log(3), 0], [log(19), 0]], [0, 1, 0], language="de")
    qdb.add_predictions("r", [[log(3), 0], [log(19), 0]], [0, 0], language="fr")
    got = by_key(qdb.query("auroc_by_language"), "language")
    assert got[("en",)]["auroc"] == pytest.approx(0.75, abs=1e-12)
    assert (got[("en",)]["n"], got[("en",)]["n_correct"], got[("en",)]["n_wrong"]) == (4, 2, 2)
    assert got[("de",)]["auroc"] == pytest.approx(0.75, abs=1e-12)
    assert got[("fr",)]["n_wrong"] == 0
    assert got[("fr",)]["auroc"] is None or got[("fr",)]["auroc"] != got[("fr",)]["auroc"]  # NULL -> None/NaN


def test_perfect_and_inverted_separation(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(9), 0], [log(19), 0], [log(2), 0], [log(3), 0]], [0, 0, 1, 1], language="en")
    qdb.add_predictions("r", [[log(9), 0], [log(19), 0], [log(2), 0], [log(3), 0]], [1, 1, 0, 0], language="de")
    qdb.add_fit("r", 3.0)
    got = by_key(qdb.query("auroc_by_language"), "language", "calibration")
    for calibration in ("none", "temperature"):  # temperature keeps the order of confidences
        assert got[("en", calibration)]["auroc"] == 1.0
        assert got[("de", calibration)]["auroc"] == 0.0
