"""metrics_over_seeds on a tiny hand-computed database.

English clean test inputs, confidence of [log k, 0] is k / (k + 1), gold 0 right and gold 1 wrong:
  b1 (none, seed 1): 0.75 right, 0.75 wrong              -> accuracy 0.5, ECE(10) 0.25
  b2 (none, seed 2): 0.75 right, 0.875 right             -> accuracy 1.0, ECE 0.25 x 1/2 + 0.125 x 1/2 = 0.1875
  x1 (demo-sentiment, seed 1): 0.75 right, 0.75 right, 0.75 right, 0.75 wrong -> accuracy 0.75, ECE 0
  x2 (demo-sentiment, seed 2): 0.75 right, 0.75 wrong    -> accuracy 0.5, ECE 0.25
  none:            accuracy mean 0.75, sample std sqrt(2 x 0.25^2) = 0.353553; ECE mean 0.21875
  demo-sentiment:  accuracy mean 0.625, std 0.176777; deltas vs the same seed's baseline:
                   seed 1 +0.25, seed 2 -0.5 -> mean -0.125, std 0.75 / sqrt2 = 0.530330
                   ECE deltas: seed 1 -0.25, seed 2 +0.0625 -> mean -0.09375
"""

from __future__ import annotations

from math import log, sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7
L3, L7 = [log(3), 0], [log(7), 0]


@pytest.fixture
def filled(qdb):
    for key, seed, intermediate, logits, labels in [
        ("b1", 1, "none", [L3, L3], [0, 1]),
        ("b2", 2, "none", [L3, L7], [0, 0]),
        ("x1", 1, "demo-sentiment", [L3, L3, L3, L3], [0, 0, 0, 1]),
        ("x2", 2, "demo-sentiment", [L3, L3], [0, 1]),
    ]:
        qdb.add_run(key, seed=seed, intermediate=intermediate)
        qdb.add_predictions(key, logits, labels)
    return qdb


def test_mean_std_and_deltas(filled):
    got = by_key(filled.query("metrics_over_seeds"), "intermediate", "metric")
    assert {m for _, m in got} == {"accuracy", "confidence", "overconfidence", "ece", "mce", "brier", "nll"}
    none, sent = got[("none", "accuracy")], got[("demo-sentiment", "accuracy")]
    assert (none["seeds"], none["mean"], none["min"], none["max"]) == (2, 0.75, 0.5, 1.0)
    assert none["std"] == pytest.approx(sqrt(2) * 0.25, abs=1e-12)
    assert list(none["seed_list"]) == [1, 2]
    assert (none["paired_seeds"], none["delta_mean"], none["delta_std"]) == (2, 0.0, 0.0)
    assert sent["mean"] == pytest.approx(0.625) and sent["std"] == pytest.approx(0.25 / sqrt(2))
    assert sent["delta_mean"] == pytest.approx(-0.125) and sent["delta_std"] == pytest.approx(0.75 / sqrt(2))
    assert got[("none", "ece")]["mean"] == pytest.approx((0.25 + 0.1875) / 2, abs=TOL)
    assert got[("demo-sentiment", "ece")]["delta_mean"] == pytest.approx((-0.25 + 0.0625) / 2, abs=TOL)


def test_agrees_with_the_per_run_queries(filled):
    """Every metric's mean over seeds is the mean of its own query's per-run values."""
    filled.add_fit("x1", 1.7)
    got = by_key(filled.query("metrics_over_seeds", n_bins=7), "intermediate", "calibration", "metric")
    sources = {"accuracy": ("accuracy_by_language", {}), "confidence": ("confidence_by_language", {}),
               "overconfidence": ("overconfidence_by_language", {}), "ece": ("ece_by_language", {"n_bins": 7}),
               "mce": ("mce_by_language", {"n_bins": 7}), "brier": ("brier_by_language", {}),
               "nll": ("nll_by_language", {})}
    for metric, (name, params) in sources.items():
        frame = filled.query(name, **params)
        if "calibration" not in frame:
            frame["calibration"] = "none"
        for (intermediate, calibration), values in frame.groupby(["intermediate", "calibration"])[metric]:
            row = got[(intermediate, calibration, metric)]
            assert row["seeds"] == len(values), (metric, intermediate, calibration)
            assert row["mean"] == pytest.approx(values.mean(), abs=1e-12), (metric, intermediate, calibration)


def test_one_seed_has_no_std(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [L3], [0])
    got = qdb.query("metrics_over_seeds")
    assert got["std"].isna().all() and (got["seeds"] == 1).all()


def test_no_baseline_means_no_delta(qdb):
    qdb.add_run("x", intermediate="demo-sentiment")
    qdb.add_predictions("x", [L3], [0])
    got = qdb.query("metrics_over_seeds")
    assert (got["paired_seeds"] == 0).all() and got["delta_mean"].isna().all()
