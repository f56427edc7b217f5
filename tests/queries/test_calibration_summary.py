"""calibration_summary on a tiny hand-computed database: per-run metrics, then the mean over seeds.

Confidence of [log k, 0] is k / (k + 1); at T = 2 it is sk = sqrt(k) / (sqrt(k) + 1).
Target demo-nli, split test; runs r1 (seed 1) and r2 (seed 2) with intermediate "none",
r3 (seed 1) with intermediate "demo-sentiment"; r1 has a temperature fit, T = 2.

  r1 en clean: [log 3, 0] gold 0, [log 3, 0] gold 1
      acc 0.5, conf 0.75; ECE(10) = ECE(2) = |0.5 - 0.75| = 0.25
      T = 2: acc 0.5, conf s3 = 0.633975, ECE = s3 - 0.5
  r2 en clean: [log 3, 0] gold 0, [0, log 3] gold 1, [log 7, 0] gold 0, [log 7, 0] gold 1
      acc 0.75, conf (0.75 * 2 + 0.875 * 2) / 4 = 0.8125
      ECE(10): bin 7 acc 1 conf 0.75 (0.25), bin 8 acc 0.5 conf 0.875 (0.375) -> (2*0.25 + 2*0.375)/4 = 0.3125
      ECE(2): one bin, |0.75 - 0.8125| = 0.0625
  -> en clean, none: seeds 2, acc (0.5 + 0.75)/2 = 0.625 (pooled would be 4/6), conf (0.75 + 0.8125)/2
     = 0.78125 (pooled 0.7917), ECE(10) (0.25 + 0.3125)/2 = 0.28125, ECE(2) (0.25 + 0.0625)/2 = 0.15625,
     overconfidence ((0.75 - 0.5) + (0.8125 - 0.75))/2 = 0.15625
  -> en clean, temperature: seeds 1 (only r1 is fitted), acc 0.5, conf s3, ECE s3 - 0.5, over s3 - 0.5
  r1 en charnoise: [log 3, 0] gold 1 -> acc 0, conf 0.75, ECE 0.75; T = 2: acc 0, conf s3, ECE s3
  r2 en charnoise: [log 3, 0] gold 0 -> acc 1, conf 0.75, ECE 0.25
  -> en charnoise, none: seeds 2, acc 0.5, conf 0.75, ECE (0.75 + 0.25)/2 = 0.5 (pooled would be 0.25),
     overconfidence 0.25
  r1 de clean: [log 2, 0] gold 0 -> acc 1, conf 2/3, ECE 1/3; T = 2: acc 1, conf s2, ECE 1 - s2
  -> de clean, none: seeds 1 (r2 has no German rows)
  r3 en clean: [0, log 3] gold 0 -> acc 0, conf 0.75, ECE 0.75: its own row (other intermediate)
"""

from __future__ import annotations

from math import log, sqrt

import numpy as np
import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)


def s(k):
    return sqrt(k) / (sqrt(k) + 1)


ROUND = 1e-4  # the query rounds to 4 decimals (a half may go either way)


@pytest.fixture
def filled(qdb):
    qdb.add_run("r1", seed=1)
    qdb.add_run("r2", seed=2)
    qdb.add_run("r3", seed=1, intermediate="demo-sentiment")
    qdb.add_predictions("r1", [[log(3), 0], [log(3), 0]], [0, 1], language="en")
    qdb.add_predictions("r2", [[log(3), 0], [0, log(3)], [log(7), 0], [log(7), 0]], [0, 1, 0, 1], language="en")
    qdb.add_predictions("r1", [[log(3), 0]], [1], language="en", attack="charnoise")
    qdb.add_predictions("r2", [[log(3), 0]], [0], language="en", attack="charnoise")
    qdb.add_predictions("r1", [[log(2), 0]], [0], language="de")
    qdb.add_predictions("r3", [[0, log(3)]], [0], language="en")
    qdb.add_fit("r1", 2.0)
    return qdb


# (intermediate, attack, calibration, language): (seeds, accuracy, confidence, ece at 10 bins, overconfidence)
EXPECTED = {
    ("none", "none", "none", "en"): (2, 0.625, 0.78125, 0.28125, 0.15625),
    ("none", "none", "temperature", "en"): (1, 0.5, s(3), s(3) - 0.5, s(3) - 0.5),
    ("none", "charnoise", "none", "en"): (2, 0.5, 0.75, 0.5, 0.25),
    ("none", "charnoise", "temperature", "en"): (1, 0.0, s(3), s(3), s(3)),
    ("none", "none", "none", "de"): (1, 1.0, 2 / 3, 1 / 3, 2 / 3 - 1),
    ("none", "none", "temperature", "de"): (1, 1.0, s(2), 1 - s(2), s(2) - 1),
    ("demo-sentiment", "none", "none", "en"): (1, 0.0, 0.75, 0.75, 0.75),
}
KEY = ("intermediate", "attack", "calibration", "language")


def test_means_over_seeds(filled):
    got = by_key(filled.query("calibration_summary"), *KEY)
    assert set(got) == set(EXPECTED)
    for key, (seeds, accuracy, confidence, ece, over) in EXPECTED.items():
        row = got[key]
        assert row["seeds"] == seeds, key
        assert row["accuracy"] == pytest.approx(accuracy, abs=ROUND), key
        assert row["confidence"] == pytest.approx(confidence, abs=ROUND), key
        assert row["ece"] == pytest.approx(ece, abs=ROUND), key
        assert row["overconfidence"] == pytest.approx(over, abs=ROUND), key
        assert (row["base_model"], row["target"], row["split"]) == ("builtin:tiny-xlmr", "demo-nli", "test")
        for column in ("accuracy", "confidence", "ece", "overconfidence"):
            assert round(row[column], 4) == pytest.approx(row[column], abs=1e-12), column


def test_n_bins_parameter(filled):
    got = by_key(filled.query("calibration_summary", n_bins=2), *KEY)
    assert got[("none", "none", "none", "en")]["ece"] == pytest.approx(0.15625, abs=ROUND)
    # accuracy and confidence do not depend on the binning
    assert got[("none", "none", "none", "en")]["accuracy"] == pytest.approx(0.625, abs=ROUND)
    assert got[("none", "none", "none", "en")]["confidence"] == pytest.approx(0.78125, abs=ROUND)
    # single-prediction groups have the same ECE for any binning
    assert got[("none", "charnoise", "none", "en")]["ece"] == pytest.approx(0.5, abs=ROUND)


def test_documented_order(filled):
    frame = filled.query("calibration_summary")
    keys = list(zip(*(frame[c] for c in KEY)))
    assert keys == sorted(EXPECTED)  # by intermediate, attack, calibration, language here


def test_agrees_with_per_run_queries_on_random_data(qdb):
    """The summary is the seed mean of accuracy_by_language, confidence_by_language and ece_by_language."""
    rng = np.random.default_rng(11)
    for seed in (1, 2, 3):
        for intermediate in ("none", "demo-sentiment"):
            key = qdb.add_run(f"{intermediate}-{seed}", seed=seed, intermediate=intermediate)
            for language in ("en", "de"):
                for attack in ("none", "charnoise"):
                    n = int(rng.integers(5, 40))
                    qdb.add_predictions(key, rng.normal(size=(n, 3)) * 2, rng.integers(0, 3, n),
                                        language=language, attack=attack)
            if seed != 2:
                qdb.add_fit(key, float(rng.uniform(0.5, 3.0)))
    group = ["base_model", "intermediate", "target", "split", "language", "attack"]
    accuracy = qdb.query("accuracy_by_language")
    confidence = qdb.query("confidence_by_language")
    ece = qdb.query("ece_by_language", n_bins=7)
    per_run = confidence.merge(ece, on=[*group, "seed", "run_key", "calibration"]).merge(
        accuracy, on=[*group, "seed", "run_key"])
    per_run["over"] = per_run["confidence"] - per_run["accuracy"]
    expected = per_run.groupby([*group, "calibration"]).agg(
        seeds=("seed", "size"), accuracy=("accuracy", "mean"), confidence=("confidence", "mean"),
        ece=("ece", "mean"), over=("over", "mean")).reset_index()
    got = qdb.query("calibration_summary", n_bins=7)
    assert len(got) == len(expected) == 2 * 2 * 2 * 2  # intermediate x language x attack x calibration
    both = got.merge(expected, on=[*group, "calibration"], suffixes=("", "_ref"), validate="one_to_one")
    assert len(both) == len(expected)
    assert (both["seeds"] == both["seeds_ref"]).all()
    assert set(both.loc[both["calibration"] == "none", "seeds"]) == {3}
    assert set(both.loc[both["calibration"] == "temperature", "seeds"]) == {2}
    for column, ref in (("accuracy", "accuracy_ref"), ("confidence", "confidence_ref"), ("ece", "ece_ref"),
                        ("overconfidence", "over")):
        assert np.abs(both[column] - both[ref]).max() <= 5e-5 + 1e-12, column
