"""task_score_by_language on hand-computed rows, one target of each kind.

  xnli, run x (none): en 3 of 4 right -> accuracy 75; de 1 of 2 -> 50.
  panx, run p: sentences (gold, predicted, correct entities) (2, 2, 1) and (1, 0, 0) -> F1 2 x 1 / (3 + 2) = 40,
     precision 1/2 = 50, recall 1/3; words 5 + 3, right 4 + 3 -> (token accuracy 87.5, not PAN-X's metric).
  udpos, run u: words 5 + 3, right 4 + 3 -> token accuracy 87.5.
  mlqa, run m: questions (EM, F1) (0, 0.5) and (1, 1) -> F1 75, EM 50.
  bucc2018, run b, de: dev cosines 0.9 hit, 0.8 hit, 0.7 miss, 0.6 hit, 0.5 miss (gold 5): F1 at each cut
     2/6, 4/7, 4/8, 6/9, 6/10 -> threshold 0.6, dev F1 66.67. test: 0.95 hit, 0.65 hit, 0.55 hit, 0.3 miss at
     dev's 0.6: 2 extracted, both right, of 4 gold -> F1 4/6 = 66.67, precision 100, recall 50.
"""

from __future__ import annotations

import numpy as np
import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)
from task_score_fixture import add_answers, add_mined, add_sentences, add_tasks

RIGHT, WRONG = [2.0, 0.0], [0.0, 2.0]  # arg-max 0: right for gold 0, wrong for gold 1


@pytest.fixture
def filled(qdb):
    add_tasks(qdb, "xnli", "panx", "udpos", "mlqa", "bucc2018")
    qdb.add_run("x", task="xnli")
    qdb.add_predictions("x", [RIGHT, RIGHT, RIGHT, WRONG], [0, 0, 0, 0], task="xnli", language="en")
    qdb.add_predictions("x", [RIGHT, RIGHT], [0, 1], task="xnli", language="de")
    qdb.add_run("p", task="panx")
    add_sentences(qdb, "p", "panx", [(5, 4, 2, 2, 1), (3, 3, 1, 0, 0)])
    qdb.add_run("u", task="udpos")
    add_sentences(qdb, "u", "udpos", [(5, 4, None, None, None), (3, 3, None, None, None)])
    qdb.add_run("m", task="mlqa")
    add_answers(qdb, "m", "mlqa", [(0, 0.5), (1, 1.0)], normalization="mlqa-v1")
    qdb.add_run("b", task="bucc2018")
    add_mined(qdb, "b", [0.9, 0.8, 0.7, 0.6, 0.5], [True, True, False, True, False], split="dev")
    add_mined(qdb, "b", [0.95, 0.65, 0.55, 0.3], [True, True, True, False], split="test")
    return qdb


def test_each_target_by_its_own_metric(filled):
    got = by_key(filled.query("task_score_by_language"), "target", "split", "language")
    assert set(got) == {("xnli", "test", "en"), ("xnli", "test", "de"), ("panx", "test", "en"),
                        ("udpos", "test", "en"), ("mlqa", "test", "en"), ("bucc2018", "dev", "de"),
                        ("bucc2018", "test", "de")}
    assert (got[("xnli", "test", "en")]["metric"], got[("xnli", "test", "en")]["score"]) == ("accuracy", 75.0)
    assert got[("xnli", "test", "de")]["score"] == 50.0 and got[("xnli", "test", "de")]["n"] == 2
    panx = got[("panx", "test", "en")]
    assert (panx["metric"], panx["n"]) == ("f1", 2)
    assert panx["score"] == pytest.approx(40.0) and panx["precision"] == pytest.approx(50.0)
    assert panx["recall"] == pytest.approx(100 / 3)
    assert (got[("udpos", "test", "en")]["metric"], got[("udpos", "test", "en")]["score"]) == ("token_accuracy", 87.5)
    mlqa = got[("mlqa", "test", "en")]
    assert (mlqa["metric"], mlqa["score"], mlqa["exact_match"], mlqa["normalization"]) == ("f1", 75.0, 50.0, "mlqa-v1")
    dev, test = got[("bucc2018", "dev", "de")], got[("bucc2018", "test", "de")]
    assert dev["threshold"] == pytest.approx(0.6) and dev["tuned_on"] == "dev"
    assert dev["score"] == pytest.approx(200 / 3)
    assert test["tuned_on"] == "dev" and test["threshold"] == pytest.approx(0.6)
    assert (test["score"], test["precision"], test["recall"]) == (pytest.approx(200 / 3), 100.0, 50.0)
    assert {r["variant"] for r in got.values()} == {"default"} and {r["attack"] for r in got.values()} == {"none"}


def test_bucc_without_dev_tunes_on_the_split_itself(qdb):
    add_tasks(qdb, "bucc2018")
    qdb.add_run("b", task="bucc2018")
    add_mined(qdb, "b", [0.95, 0.65, 0.55, 0.3], [True, True, True, False], split="test")
    (row,) = qdb.query("task_score_by_language").to_dict("records")
    # cuts: 2/5, 4/6, 6/7, 6/8 -> threshold 0.55, F1 6/7
    assert row["tuned_on"] == "test" and row["threshold"] == pytest.approx(0.55)
    assert row["score"] == pytest.approx(600 / 7)


def _brute_force_bucc(cosines, hits):
    """Every threshold tried: F1 of the pairs with cosine >= t against all gold pairs (one per sentence)."""
    best = (-1.0, None)
    for t in sorted(set(cosines), reverse=True):
        extracted = [h for c, h in zip(cosines, hits) if c >= t]
        f1 = 2 * sum(extracted) / (len(extracted) + len(hits))
        if f1 > best[0]:
            best = (f1, t)
    return best


def test_bucc_threshold_agrees_with_a_brute_force_search(qdb):
    rng = np.random.default_rng(7)
    add_tasks(qdb, "bucc2018")
    expected = {}
    for r in range(6):
        qdb.add_run(f"b{r}", task="bucc2018", seed=r)
        # cosines on a grid of 1/64 (exact in float32 after / 0.05 and * 0.05 within 1e-9), so ties happen
        cosines = list(np.round(rng.uniform(0.2, 1.0, size=40) * 64) / 64)
        hits = list(rng.random(40) < np.array(cosines))
        add_mined(qdb, f"b{r}", cosines, hits, split="test")
        expected[f"b{r}"] = _brute_force_bucc(cosines, hits)
    got = by_key(qdb.query("task_score_by_language"), "run_key")
    for run, (f1, threshold) in expected.items():
        assert got[(run,)]["score"] == pytest.approx(100 * f1, abs=1e-9)
        assert got[(run,)]["threshold"] == pytest.approx(threshold, abs=1e-6)


def test_tag_counts_equal_seqeval_micro_f1_when_summed(qdb):
    """The view's sums over sentences equal seqeval's corpus-level F1 of the same random tag sequences."""
    seqeval = pytest.importorskip("seqeval.metrics")
    from xstore.runners.heads.tagging import entities

    rng = np.random.default_rng(3)
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    gold = [[tags[i] for i in rng.integers(0, 5, rng.integers(1, 12))] for _ in range(60)]
    pred = [[tags[i] if rng.random() < 0.6 else g for i, g in zip(rng.integers(0, 5, len(s)), s)] for s in gold]
    counts = []
    for g, p in zip(gold, pred):
        gs, ps = entities(g), entities(p)
        counts.append((len(g), sum(a == b for a, b in zip(g, p)), len(gs), len(ps), len(gs & ps)))
    add_tasks(qdb, "panx")
    qdb.add_run("p", task="panx")
    add_sentences(qdb, "p", "panx", counts)
    (row,) = qdb.query("task_score_by_language").to_dict("records")
    assert row["score"] == pytest.approx(100 * seqeval.f1_score(gold, pred), abs=1e-9)
    assert row["precision"] == pytest.approx(100 * seqeval.precision_score(gold, pred), abs=1e-9)
    assert row["recall"] == pytest.approx(100 * seqeval.recall_score(gold, pred), abs=1e-9)


def test_attack_settings_and_variants_stay_apart(qdb):
    """Two run variants of one target are two rows each, never pooled (the labels of calibrated_prediction)."""
    add_tasks(qdb, "xnli")
    qdb.add_run("a", task="xnli", hparams={"learning_rate": 1e-5})
    qdb.add_run("c", task="xnli", hparams={"learning_rate": 2e-5})
    qdb.add_predictions("a", [RIGHT, RIGHT], [0, 0], task="xnli")
    qdb.add_predictions("c", [RIGHT, RIGHT], [0, 1], task="xnli")
    got = by_key(qdb.query("task_score_by_language"), "variant")
    assert {v: r["score"] for (v,), r in got.items()} == {"learning_rate=0.00001": 100.0, "learning_rate=0.00002": 50.0}
