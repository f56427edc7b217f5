"""delta_vs_baseline on a tiny hand-computed database, and the pairing of its bootstrap.

Baseline b (none, seed 1) and x (demo-sentiment, seed 1) on English inputs e1..e4; confidence 0.75 each
([log 3, 0] predicts 0, [0, log 3] predicts 1):
    b: e1 right, e2 wrong, e3 right, e4 wrong -> accuracy 0.5, ECE 0.25
    x: e1 right, e2 right, e3 right, e4 wrong -> accuracy 0.75, ECE 0; delta accuracy +0.25, ECE -0.25
x also has e5, which b lacks: it is left out (n = 4). x2 (seed 2) has no baseline of its seed: no rows.
"""

from __future__ import annotations

from math import log

import numpy as np
import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

A, B = [log(3), 0], [0, log(3)]
METRICS = {"accuracy", "confidence", "overconfidence", "ece", "mce", "brier", "nll"}


def test_hand_computed(qdb):
    qdb.add_run("b", seed=1)
    qdb.add_run("x", seed=1, intermediate="demo-sentiment")
    qdb.add_run("x2", seed=2, intermediate="demo-sentiment")
    ids = ["e1", "e2", "e3", "e4"]
    qdb.add_predictions("b", [A, A, A, A], [0, 1, 0, 1], example_ids=ids)
    qdb.add_predictions("x", [A, B, A, A, A], [0, 1, 0, 1, 0], example_ids=ids + ["e5"])
    qdb.add_predictions("x2", [A, A, A, A], [0, 0, 0, 0], example_ids=ids)
    got = by_key(qdb.query("delta_vs_baseline", n_boot=50), "intermediate", "seed", "metric")
    assert {k[:2] for k in got} == {("demo-sentiment", 1)}
    assert {k[2] for k in got} == METRICS
    accuracy, ece = got[("demo-sentiment", 1, "accuracy")], got[("demo-sentiment", 1, "ece")]
    assert (accuracy["n"], accuracy["value"], accuracy["baseline"], accuracy["delta"]) == (4, 0.75, 0.5, 0.25)
    assert accuracy["baseline_key"] == "b" and accuracy["run_key"] == "x"
    assert ece["value"] == pytest.approx(0.0, abs=1e-7) and ece["baseline"] == pytest.approx(0.25, abs=1e-7)
    assert ece["delta"] == pytest.approx(-0.25, abs=1e-7)
    assert got[("demo-sentiment", 1, "confidence")]["delta"] == pytest.approx(0.0, abs=1e-12)
    for row in got.values():
        assert row["ci_low"] <= row["delta"] + 1e-12 or row["replicates"] == 0
        assert 0 <= row["p_value"] <= 1


def _pair(qdb, rng, n, baseline_right, run_right):
    logits = rng.normal(size=(n, 3)) * 2
    pred = logits.argmax(axis=1)
    ids = [f"e{i}" for i in range(n)]
    qdb.add_run("b")
    qdb.add_run("x", intermediate="demo-sentiment")
    qdb.add_predictions("b", logits, np.where(baseline_right, pred, (pred + 1) % 3), example_ids=ids)
    qdb.add_predictions("x", logits, np.where(run_right, pred, (pred + 1) % 3), example_ids=ids)


def test_identical_runs_differ_by_nothing(qdb):
    rng = np.random.default_rng(0)
    right = rng.random(100) < 0.6
    _pair(qdb, rng, 100, right, right)
    got = qdb.query("delta_vs_baseline", n_boot=100)
    assert len(got) == 7
    assert np.allclose(got[["delta", "ci_low", "ci_high"]].to_numpy(), 0.0, atol=1e-12)
    assert (got["p_value"] == 1.0).all()


def test_pairing_detects_a_small_consistent_gain(qdb):
    """Both runs share their errors except 10 of 200 inputs, which only x gets right: delta accuracy 0.05.
    Paired, its standard error is about sqrt(0.05 x 0.95 / 200) = 0.015, so the interval excludes 0; two
    independent resamples would give about 0.05 and could not tell."""
    rng = np.random.default_rng(1)
    baseline_right = np.arange(200) % 2 == 0
    run_right = baseline_right.copy()
    run_right[np.flatnonzero(~baseline_right)[:10]] = True
    _pair(qdb, rng, 200, baseline_right, run_right)
    got = qdb.query("delta_vs_baseline", n_boot=400).set_index("metric")
    assert got.loc["accuracy", "delta"] == pytest.approx(0.05)
    assert 0 < got.loc["accuracy", "ci_low"] < 0.05 < got.loc["accuracy", "ci_high"] < 0.1
    assert got.loc["accuracy", "p_value"] < 0.01
    assert got.loc["accuracy", "replicates"] == 400
