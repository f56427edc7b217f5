"""metrics_bootstrap: the estimate is the metric itself, and the Poisson bootstrap behaves like a bootstrap.

For a share p over n inputs the bootstrap standard error is about sqrt(p (1 - p) / n): with n = 400 and
p = 0.7 that is 0.0229; the test allows 20% for 400 replicates.
"""

from __future__ import annotations

from math import log, sqrt

import numpy as np
import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

METRICS = {"accuracy", "confidence", "overconfidence", "ece", "mce", "brier", "nll"}


@pytest.fixture
def filled(qdb):
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(400, 3)) * 2
    pred = logits.argmax(axis=1)
    right = np.arange(400) < 280  # exactly 70% right
    labels = np.where(right, pred, (pred + 1) % 3)
    qdb.add_run("r")
    qdb.add_predictions("r", logits, labels)
    qdb.add_fit("r", 1.5)
    return qdb


def test_estimates_are_the_metrics(filled):
    got = by_key(filled.query("metrics_bootstrap", n_boot=20), "calibration", "metric")
    assert {m for _, m in got} == METRICS
    reference = by_key(filled.query("metrics_over_seeds"), "calibration", "metric")
    for key, row in got.items():
        assert row["estimate"] == pytest.approx(reference[key]["mean"], abs=1e-12), key
        assert row["n"] == 400 and row["replicates"] == 20
    assert got[("none", "accuracy")]["estimate"] == 0.7


def test_standard_error_and_interval(filled):
    got = by_key(filled.query("metrics_bootstrap", n_boot=400), "calibration", "metric")
    accuracy = got[("none", "accuracy")]
    assert accuracy["se"] == pytest.approx(sqrt(0.7 * 0.3 / 400), rel=0.2)
    assert accuracy["ci_low"] < 0.7 < accuracy["ci_high"]
    assert accuracy["ci_high"] - accuracy["ci_low"] == pytest.approx(2 * 1.96 * sqrt(0.21 / 400), rel=0.25)
    for row in got.values():
        assert row["ci_low"] <= row["ci_high"]
    narrow = by_key(filled.query("metrics_bootstrap", n_boot=400, level=0.5), "calibration", "metric")
    width = narrow[("none", "ece")]["ci_high"] - narrow[("none", "ece")]["ci_low"]
    assert 0 < width < got[("none", "ece")]["ci_high"] - got[("none", "ece")]["ci_low"]


def test_seeded(filled):
    first = filled.query("metrics_bootstrap", n_boot=50, seed=3)
    again = filled.query("metrics_bootstrap", n_boot=50, seed=3)
    other = filled.query("metrics_bootstrap", n_boot=50, seed=4)
    numeric = ["estimate", "ci_low", "ci_high", "se"]
    # the same draws; parallel sums may differ in the last bits, never more
    assert np.allclose(first[numeric], again[numeric], rtol=1e-12, atol=1e-15)
    assert first.drop(columns=numeric).equals(again.drop(columns=numeric))
    assert not np.allclose(first["ci_low"], other["ci_low"])
    assert np.allclose(first["estimate"], other["estimate"])


def test_constant_inputs_give_a_point_interval(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0]] * 30, [0] * 30)
    got = by_key(qdb.query("metrics_bootstrap", n_boot=30), "metric")
    for metric in ("accuracy", "confidence", "brier", "nll"):
        row = got[(metric,)]
        assert row["ci_low"] == pytest.approx(row["estimate"]) and row["ci_high"] == pytest.approx(row["estimate"])
