"""confidence_by_language on a tiny hand-computed database.

Hand computation: softmax([log k, 0]) has max probability k / (k + 1), and at temperature T the logits
become [log(k) / T, 0], i.e. [log k^(1/T), 0], so the max probability is k^(1/T) / (k^(1/T) + 1).
    [log 3, 0]: T = 1 -> 3/4 = 0.75        T = 2 -> sqrt3 / (sqrt3 + 1) = 0.633975
    [0, 0]:     T = 1 -> 1/2                T = 2 -> 1/2
    [log 9, 0]: T = 1 -> 9/10 = 0.9         T = 2 -> 3/4 = 0.75
    [0, log 7]: T = 1 -> 7/8 = 0.875        T = 2 -> sqrt7 / (sqrt7 + 1) = 0.725708
    [log 6, log 3, 0]: T = 1 -> 6/10 = 0.6  T = 2 -> sqrt6 / (sqrt6 + sqrt3 + 1)
"""

from __future__ import annotations

from math import log, sqrt

import numpy as np
import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)


def s(k: float) -> float:
    """Max probability of [log k, 0] at T = 2."""
    return sqrt(k) / (sqrt(k) + 1)


@pytest.fixture
def filled(qdb):
    qdb.add_run("r1", seed=1)
    qdb.add_run("r2", seed=2)
    qdb.add_predictions("r1", [[log(3), 0], [0, 0]], [0, 1], language="en")
    qdb.add_predictions("r1", [[log(9), 0]], [0], language="en", attack="charnoise")
    qdb.add_predictions("r1", [[0, log(7)]], [1], language="de")
    qdb.add_predictions("r2", [[log(3), 0], [log(3), 0], [log(9), 0]], [0, 0, 1], language="en")
    qdb.add_predictions("r2", [[log(6), log(3), 0]], [0], language="de")
    qdb.add_fit("r1", 2.0)  # only r1 is calibrated
    return qdb


EXPECTED = {  # (seed, language, attack, calibration): (n, temperature, mean confidence)
    (1, "en", "none", "none"): (2, 1.0, (0.75 + 0.5) / 2),
    (1, "en", "none", "temperature"): (2, 2.0, (s(3) + 0.5) / 2),
    (1, "en", "charnoise", "none"): (1, 1.0, 0.9),
    (1, "en", "charnoise", "temperature"): (1, 2.0, 0.75),
    (1, "de", "none", "none"): (1, 1.0, 0.875),
    (1, "de", "none", "temperature"): (1, 2.0, s(7)),
    (2, "en", "none", "none"): (3, 1.0, (0.75 + 0.75 + 0.9) / 3),  # = 0.8
    (2, "de", "none", "none"): (1, 1.0, 0.6),
}


def test_grain_and_values(filled):
    got = by_key(filled.query("confidence_by_language"), "seed", "language", "attack", "calibration")
    assert set(got) == set(EXPECTED)  # r2 has no fit, so no "temperature" rows for it
    for key, (n, temperature, confidence) in EXPECTED.items():
        row = got[key]
        assert row["n"] == n, key
        assert row["temperature"] == temperature, key
        # logits are stored as float32, so log 3 etc. are exact only to ~1e-7
        assert row["confidence"] == pytest.approx(confidence, abs=1e-7), key
        assert row["split"] == "test" and row["target"] == "demo-nli"
        assert row["run_key"] == ("r1" if key[0] == 1 else "r2")


def test_three_classes_at_temperature(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(6), log(3), 0]], [0])
    qdb.add_fit("r", 2.0)
    got = qdb.query("confidence_by_language").set_index("calibration")["confidence"]
    assert got["none"] == pytest.approx(0.6, abs=1e-7)
    assert got["temperature"] == pytest.approx(sqrt(6) / (sqrt(6) + sqrt(3) + 1), abs=1e-7)


def test_sharpening_temperature_raises_confidence(qdb):
    """T < 1 sharpens: [log 3, 0] at T = 1/2 is [log 9, 0], max probability 0.9."""
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0]], [0])
    qdb.add_fit("r", 0.5)
    got = qdb.query("confidence_by_language").set_index("calibration")["confidence"]
    assert got["none"] == pytest.approx(0.75, abs=1e-7)
    assert got["temperature"] == pytest.approx(0.9, abs=1e-7)


def test_uncalibrated_confidence_matches_stored_column(qdb):
    """At T = 1 the query must give the stored `prediction.confidence` (float64 softmax of the float32
    logits, as runners/predict.py computes it), not a value degraded by float32 arithmetic.

    One prediction per language, so each row's mean is a single prediction's confidence. Random
    logits of mixed sign make z - max(z) inexact in float32 for most rows: computing that difference
    in FLOAT (as the query once did) is off by up to ~2e-8. ece_by_language shares the expression:
    with every prediction correct, a one-row group's ECE is 1 - confidence.
    """
    rng = np.random.default_rng(7)
    qdb.add_run("r")
    logits = (rng.normal(size=(200, 3)) * 3).astype(np.float32)
    languages = [f"l{i:03d}" for i in range(200)]
    qdb.add_predictions("r", logits, logits.argmax(axis=1), language=languages)
    z = logits.astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    expected = e.max(axis=1) / e.sum(axis=1)
    got = qdb.query("confidence_by_language").set_index("language")["confidence"].loc[languages].to_numpy()
    assert np.abs(got - expected).max() < 1e-12
    with qdb.store.connect(read_only=True) as con:
        stored = con.execute("SELECT confidence FROM prediction ORDER BY language").fetchnumpy()["confidence"]
    assert np.abs(got - stored).max() < 1e-12
    ece = qdb.query("ece_by_language").set_index("language")["ece"].loc[languages].to_numpy()
    assert np.abs(ece - (1 - expected)).max() < 1e-12


def test_no_rows_for_runs_without_predictions(qdb):
    qdb.add_run("r")
    qdb.add_fit("r", 1.5)
    assert len(qdb.query("confidence_by_language")) == 0
