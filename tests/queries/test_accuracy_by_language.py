"""accuracy_by_language on a tiny hand-computed database."""

from __future__ import annotations

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

# A logit vector that predicts class 0 or class 1 (the values themselves do not matter for accuracy).
PRED = {0: [1.0, 0.0], 1: [0.0, 1.0]}


def _add(qdb, run, preds, labels, **where):
    qdb.add_predictions(run, [PRED[p] for p in preds], labels, **where)


@pytest.fixture
def filled(qdb):
    qdb.add_run("r1", seed=1)
    qdb.add_run("r2", seed=2)
    qdb.add_run("i1", seed=1, phase="intermediate", task="demo-sentiment")  # no predictions: no rows
    # run, language, attack:            predictions        gold labels     -> accuracy
    _add(qdb, "r1", [0, 1, 0, 0], [0, 1, 1, 0], language="en")                   # 3 of 4 = 0.75
    _add(qdb, "r1", [1, 1], [0, 1], language="en", attack="charnoise")           # 1 of 2 = 0.5
    _add(qdb, "r1", [1, 1, 1], [1, 1, 1], language="de")                         # 3 of 3 = 1.0
    _add(qdb, "r1", [1], [0], language="de", attack="charnoise")                 # 0 of 1 = 0.0
    _add(qdb, "r1", [1, 0], [0, 1], language="en", split="dev")                  # 0 of 2 = 0.0 (own split)
    _add(qdb, "r2", [0, 1], [0, 0], language="en")                               # 1 of 2 = 0.5
    _add(qdb, "r2", [1], [1], language="de")                                     # 1 of 1 = 1.0
    return qdb


EXPECTED = {  # (seed, split, language, attack): (n, accuracy)
    (1, "dev", "en", "none"): (2, 0.0),
    (1, "test", "de", "charnoise"): (1, 0.0),
    (1, "test", "de", "none"): (3, 1.0),
    (1, "test", "en", "charnoise"): (2, 0.5),
    (1, "test", "en", "none"): (4, 0.75),
    (2, "test", "de", "none"): (1, 1.0),
    (2, "test", "en", "none"): (2, 0.5),
}


def test_one_row_per_run_split_language_attack(filled):
    got = by_key(filled.query("accuracy_by_language"), "seed", "split", "language", "attack")
    assert set(got) == set(EXPECTED)  # r2 has no charnoise rows; the intermediate run has none at all
    for key, (n, accuracy) in EXPECTED.items():
        row = got[key]
        assert row["n"] == n, key
        assert row["accuracy"] == pytest.approx(accuracy, abs=1e-12), key
        assert row["run_key"] == ("r1" if key[0] == 1 else "r2")
        assert (row["base_model"], row["intermediate"], row["target"]) == ("builtin:tiny-xlmr", "none", "demo-nli")


def test_rows_come_in_documented_order(filled):
    frame = filled.query("accuracy_by_language")
    keys = list(zip(frame["seed"], frame["split"], frame["language"], frame["attack"]))
    assert keys == sorted(EXPECTED)


def test_calibration_fits_do_not_add_rows(filled):
    """Accuracy has no calibration dimension: temperature scaling never changes the arg-max."""
    before = filled.query("accuracy_by_language")
    filled.add_fit("r1", 2.0)
    after = filled.query("accuracy_by_language")
    assert len(after) == len(before) == len(EXPECTED)
    assert after["accuracy"].tolist() == before["accuracy"].tolist()


def test_runs_differing_only_in_intermediate_stay_apart(qdb):
    qdb.add_run("a", intermediate="none")
    qdb.add_run("b", intermediate="demo-sentiment")
    _add(qdb, "a", [0, 0], [0, 1])      # 1 of 2
    _add(qdb, "b", [0, 0, 0], [0, 0, 0])  # 3 of 3
    got = qdb.query("accuracy_by_language").set_index("intermediate")
    assert len(got) == 2
    assert got.loc["none", "accuracy"] == pytest.approx(0.5)
    assert got.loc["demo-sentiment", "accuracy"] == pytest.approx(1.0)
    assert (got.loc["none", "n"], got.loc["demo-sentiment", "n"]) == (2, 3)
