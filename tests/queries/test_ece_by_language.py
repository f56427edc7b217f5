"""ece_by_language on a tiny hand-computed database.

Run r1, English, clean: four predictions (confidence from softmax([log k, 0]) = k / (k + 1)):
    [log 3, 0] gold 0 -> conf 0.75,  correct
    [log 3, 0] gold 1 -> conf 0.75,  wrong
    [log 7, 0] gold 0 -> conf 0.875, correct
    [0, log 7] gold 1 -> conf 0.875, correct (predicts 1)
  n_bins = 10: bin 7 = [0.7, 0.8): n 2, acc 0.5, conf 0.75  -> |0.5 - 0.75| = 0.25
               bin 8 = [0.8, 0.9): n 2, acc 1.0, conf 0.875 -> |1 - 0.875|  = 0.125
               ECE = (2 * 0.25 + 2 * 0.125) / 4 = 0.1875
  n_bins = 2:  bin 1 = [0.5, 1]: n 4, acc 0.75, conf 0.8125 -> ECE = 0.0625
  n_bins = 1:  ECE = |mean accuracy - mean confidence| = 0.0625 as well
  T = 2 (fit on r1): [log k, 0] / 2 = [log sqrt(k), 0] -> conf sqrt(k) / (sqrt(k) + 1):
               s3 = 0.633975 (bin 6), s7 = 0.725708 (bin 7)
               ECE(10) = (2 |0.5 - s3| + 2 |1 - s7|) / 4; ECE(2) = |0.75 - (s3 + s7) / 2|
Run r1, English, charnoise: [log 3, 0] gold 1 -> one wrong prediction at 0.75: ECE = 0.75 (any n_bins)
Run r2, German, clean (no fit): [log 3, 0] gold 0 (0.75, correct) and [log 2, 0] gold 0 (2/3, correct):
  n_bins = 10: bin 7: |1 - 0.75| = 0.25; bin 6: |1 - 2/3| = 1/3 -> ECE = (0.25 + 1/3) / 2 = 0.291667
  n_bins = 2:  bin 1: acc 1, conf (0.75 + 2/3) / 2 = 0.708333 -> ECE = 0.291667 (the same: all correct)
"""

from __future__ import annotations

from math import log, sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

S3, S7 = sqrt(3) / (sqrt(3) + 1), sqrt(7) / (sqrt(7) + 1)
TOL = 1e-7  # logits are stored as float32


@pytest.fixture
def filled(qdb):
    qdb.add_run("r1", seed=1)
    qdb.add_run("r2", seed=2)
    qdb.add_predictions("r1", [[log(3), 0], [log(3), 0], [log(7), 0], [0, log(7)]], [0, 1, 0, 1], language="en")
    qdb.add_predictions("r1", [[log(3), 0]], [1], language="en", attack="charnoise")
    qdb.add_predictions("r2", [[log(3), 0], [log(2), 0]], [0, 0], language="de")
    qdb.add_fit("r1", 2.0)
    return qdb


def _ece(qdb, **params):
    return {k: (r["n"], r["temperature"], r["ece"])
            for k, r in by_key(qdb.query("ece_by_language", **params),
                                "seed", "language", "attack", "calibration").items()}


def test_default_ten_bins(filled):
    got = _ece(filled)
    expected = {
        (1, "en", "none", "none"): (4, 1.0, 0.1875),
        (1, "en", "none", "temperature"): (4, 2.0, (2 * abs(0.5 - S3) + 2 * abs(1 - S7)) / 4),
        (1, "en", "charnoise", "none"): (1, 1.0, 0.75),
        (1, "en", "charnoise", "temperature"): (1, 2.0, S3),  # wrong, so |0 - s3|
        (2, "de", "none", "none"): (2, 1.0, (0.25 + 1 / 3) / 2),
    }
    assert set(got) == set(expected)
    for key, (n, temperature, ece) in expected.items():
        assert got[key][:2] == (n, temperature), key
        assert got[key][2] == pytest.approx(ece, abs=TOL), key


def test_n_bins_parameter(filled):
    two = _ece(filled, n_bins=2)
    assert two[(1, "en", "none", "none")][2] == pytest.approx(0.0625, abs=TOL)
    assert two[(1, "en", "none", "temperature")][2] == pytest.approx(abs(0.75 - (S3 + S7) / 2), abs=TOL)
    assert two[(1, "en", "charnoise", "none")][2] == pytest.approx(0.75, abs=TOL)
    assert two[(2, "de", "none", "none")][2] == pytest.approx(1 - (0.75 + 2 / 3) / 2, abs=TOL)
    # a CLI-style string is cast to INTEGER by the loader
    assert _ece(filled, n_bins="2") == two


def test_one_bin_is_gap_between_mean_accuracy_and_mean_confidence(filled):
    one = _ece(filled, n_bins=1)
    assert one[(1, "en", "none", "none")][2] == pytest.approx(abs(0.75 - 0.8125), abs=TOL)
    assert one[(1, "en", "none", "temperature")][2] == pytest.approx(abs(0.75 - (S3 + S7) / 2), abs=TOL)


def test_confidence_of_one_falls_in_last_bin(qdb):
    """Bins are [b/B, (b+1)/B) with 1.0 in the last bin, not in a bin of its own.

    [log 19, 0] gold 0: confidence 0.95, correct -> gap acc - conf = +0.05
    [200, 0]    gold 1: confidence exactly 1.0 (e^-200 vanishes next to 1), wrong -> gap -1
    Shared last bin: acc 0.5, conf 0.975 -> ECE 0.475. A separate bin for 1.0 would give
    (0.05 + 1) / 2 = 0.525.
    """
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(19), 0.0], [200.0, 0.0]], [0, 1])
    got = qdb.query("ece_by_language", n_bins=10)
    assert len(got) == 1 and got["n"][0] == 2
    assert got["ece"][0] == pytest.approx(0.475, abs=TOL)


def test_ece_zero_when_perfectly_calibrated(qdb):
    """Four predictions at 0.75 (bin 7), 3 of 4 correct: accuracy equals confidence -> ECE 0."""
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0]] * 4, [0, 0, 0, 1])
    got = qdb.query("ece_by_language")
    assert got["ece"][0] == pytest.approx(0.0, abs=TOL)


def test_a_fit_at_its_search_limit_is_flagged_in_every_row_it_calibrates(qdb):
    qdb.add_run("a")
    qdb.add_run("b", seed=2)
    for run in ("a", "b"):
        qdb.add_predictions(run, [[1.0, 0.0], [0.0, 2.0]], [0, 0])
    qdb.add_fit("a", 1e-4, at_bound=True)
    qdb.add_fit("b", 1.5)
    for name in ("ece_by_language", "nll_by_language", "reliability_bins", "metrics_bootstrap"):
        params = {"n_boot": 5} if name == "metrics_bootstrap" else {}
        frame = qdb.query(name, **params)
        flags = frame.groupby(["run_key", "calibration"])["temperature_at_bound"].agg(set).to_dict()
        assert flags == {("a", "none"): {False}, ("a", "temperature"): {True}, ("b", "none"): {False},
                         ("b", "temperature"): {False}}, name


def test_roll_ups_count_the_fits_at_their_search_limit(qdb):
    """Two seeds of none and demo-sentiment; only demo-sentiment seed 1 has its T at the limit. The roll-ups over
    seeds count it, and delta_vs_baseline flags the rows where either side's T is."""
    for seed in (1, 2):
        for intermediate in ("none", "demo-sentiment"):
            run = f"{intermediate}{seed}"
            qdb.add_run(run, seed=seed, intermediate=intermediate)
            qdb.add_predictions(run, [[1.0, 0.0], [0.0, 2.0], [0.5, 0.0]], [0, 0, 1], example_ids=["a", "b", "c"])
            qdb.add_fit(run, 1e-4 if run == "demo-sentiment1" else 1.5, at_bound=run == "demo-sentiment1")
    expected = {("none", "none"): 0, ("none", "temperature"): 0, ("demo-sentiment", "none"): 0,
                ("demo-sentiment", "temperature"): 1}
    for name in ("calibration_summary", "metrics_over_seeds"):
        frame = qdb.query(name)
        assert (frame["seeds"] == 2).all(), name
        assert frame.groupby(["intermediate", "calibration"])["seeds_at_bound"].agg(set).to_dict() == \
            {key: {count} for key, count in expected.items()}, name
    delta = qdb.query("delta_vs_baseline", n_boot=5)
    assert delta.groupby(["seed", "calibration"])["temperature_at_bound"].agg(set).to_dict() == \
        {(1, "none"): {False}, (1, "temperature"): {True}, (2, "none"): {False}, (2, "temperature"): {False}}
