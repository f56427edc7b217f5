"""The oracle temperature ("temperature-oracle", one fit per language) applies only to its own language.

Run r: [log 3, 0] gold 0 in English and in German. Fits: "temperature" T = 2 (English dev, applies to
every language) and "temperature-oracle" T = 2 for English and T = 1/2 for German. At T = 1/2 the logits
become [log 9, 0]: confidence 0.9; at T = 2, s3 = sqrt3 / (sqrt3 + 1).
"""

from __future__ import annotations

from math import log, sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

S3 = sqrt(3) / (sqrt(3) + 1)
PER_RUN = ["confidence_by_language", "ece_by_language", "overconfidence_by_language", "brier_by_language",
           "nll_by_language", "mce_by_language", "ece_equal_mass_by_language", "classwise_ece_by_language",
           "auroc_by_language", "aurc_by_language"]


@pytest.fixture
def filled(qdb):
    qdb.add_run("r")
    for language in ("en", "de"):
        qdb.add_predictions("r", [[log(3), 0]], [0], language=language)
    qdb.add_fit("r", 2.0)
    qdb.add_fit("r", 2.0, method="temperature-oracle", language="en")
    qdb.add_fit("r", 0.5, method="temperature-oracle", language="de")
    return qdb


def test_each_language_gets_its_own_oracle_temperature(filled):
    got = by_key(filled.query("confidence_by_language"), "language", "calibration")  # fails on duplicates
    assert set(got) == {(lang, c) for lang in ("en", "de") for c in ("none", "temperature", "temperature-oracle")}
    assert got[("de", "temperature-oracle")]["temperature"] == 0.5
    assert got[("de", "temperature-oracle")]["confidence"] == pytest.approx(0.9, abs=1e-7)
    assert got[("de", "temperature")]["confidence"] == pytest.approx(S3, abs=1e-7)
    assert got[("en", "temperature-oracle")]["confidence"] == pytest.approx(S3, abs=1e-7)


@pytest.mark.parametrize("name", PER_RUN)
def test_one_row_per_language_and_method(filled, name):
    frame = filled.query(name)
    by_key(frame, "language", "calibration")
    assert len(frame) == 6


def test_summary_counts_one_seed(filled):
    got = by_key(filled.query("calibration_summary"), "language", "calibration")
    assert {row["seeds"] for row in got.values()} == {1}
    assert got[("de", "temperature-oracle")]["ece"] == pytest.approx(0.1, abs=1e-4)  # right at 0.9
