"""task_score_summary, xtreme_score and best_intermediate on hand-computed rows.

Runs (base model tiny, variant default), clean test scores per language, and English dev where given:
  xnli  none  seed 1: en 50, de 100 -> 75      seed 2: en 100, de 50 -> 75       dev en: 50 (seed 1), 50 (seed 2)
  xnli  mnli  seed 1: en 100, de 100 -> 100    seed 2: en 100, de 50 -> 75       dev en: 100, 100
  xnli  qqp   seed 1: en 100, de 100 -> 100    seed 2: en 100, de 100 -> 100     dev en: 50, 50
  panx  none  seed 1: en F1 40                 seed 2: en F1 40
  panx  mnli  seed 1: en F1 80 (2 x 2 / 5)     seed 2: none
task_score_summary, xnli: none 75 +- 0, mnli 87.5 +- 17.68 (delta 25, 0 -> 12.5), qqp 100 +- 0 (delta 25, 25).
xtreme_score: none: seeds 1, 2 with [panx, xnli]: (75 + 40) / 2 = 57.5 each -> 57.5 +- 0; missing the other seven.
  mnli: seed 1 [panx, xnli] (100 + 80) / 2 = 90, delta (25 + 40) / 2 = 32.5; seed 2 [xnli] only -> its own row, 75.
  qqp: [xnli], 100 +- 0, delta 25.
best_intermediate, xnli: english-dev picks mnli (dev 100), which scores 87.5 on test; the oracle picks qqp (100).
"""

from __future__ import annotations

from math import sqrt

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)
from task_score_fixture import add_sentences, add_tasks

RIGHT, WRONG = [2.0, 0.0], [0.0, 2.0]
RUNS = {  # (intermediate, seed): {(split, language): (right, wrong)}
    ("none", 1): {("test", "en"): (1, 1), ("test", "de"): (2, 0), ("dev", "en"): (1, 1)},
    ("none", 2): {("test", "en"): (2, 0), ("test", "de"): (1, 1), ("dev", "en"): (1, 1)},
    ("mnli", 1): {("test", "en"): (2, 0), ("test", "de"): (2, 0), ("dev", "en"): (2, 0)},
    ("mnli", 2): {("test", "en"): (2, 0), ("test", "de"): (1, 1), ("dev", "en"): (2, 0)},
    ("qqp", 1): {("test", "en"): (2, 0), ("test", "de"): (2, 0), ("dev", "en"): (1, 1)},
    ("qqp", 2): {("test", "en"): (2, 0), ("test", "de"): (2, 0), ("dev", "en"): (1, 1)},
}


@pytest.fixture
def filled(qdb):
    add_tasks(qdb, "xnli", "panx")
    for (intermediate, seed), scores in RUNS.items():
        key = f"xnli-{intermediate}-{seed}"
        qdb.add_run(key, task="xnli", intermediate=intermediate, seed=seed)
        for (split, language), (right, wrong) in scores.items():
            qdb.add_predictions(key, [RIGHT] * (right + wrong), [0] * right + [1] * wrong, task="xnli",
                                split=split, language=language)
    for intermediate, seed, counts in [("none", 1, (2, 3, 1)), ("none", 2, (2, 3, 1)), ("mnli", 1, (2, 3, 2))]:
        key = f"panx-{intermediate}-{seed}"
        qdb.add_run(key, task="panx", intermediate=intermediate, seed=seed)
        add_sentences(qdb, key, "panx", [(4, 4, *counts)])
    return qdb


def test_summary_means_over_languages_then_seeds(filled):
    got = by_key(filled.query("task_score_summary"), "target", "intermediate", "split")
    none, mnli, qqp = (got[("xnli", s, "test")] for s in ("none", "mnli", "qqp"))
    assert (none["seeds"], none["mean"], none["std"], list(none["languages"])) == (2, 75.0, 0.0, ["de", "en"])
    assert mnli["mean"] == 87.5 and mnli["std"] == pytest.approx(25 / sqrt(2))
    assert (mnli["paired_seeds"], mnli["delta_mean"]) == (2, 12.5)
    assert (qqp["mean"], qqp["delta_mean"], qqp["delta_std"]) == (100.0, 25.0, 0.0)
    assert got[("xnli", "mnli", "dev")]["mean"] == 100.0 and list(got[("xnli", "mnli", "dev")]["languages"]) == ["en"]
    panx = got[("panx", "mnli", "test")]
    assert (panx["metric"], panx["seeds"], panx["mean"], panx["delta_mean"]) == ("f1", 1, 80.0, 40.0)
    assert panx["std"] is None or panx["std"] != panx["std"]  # NULL for one seed


def test_xtreme_average_names_missing_targets_and_keeps_target_sets_apart(filled):
    frame = filled.query("xtreme_score")
    rows = {(r["intermediate"], tuple(r["targets"])): r for r in frame.to_dict("records")}
    none = rows[("none", ("panx", "xnli"))]
    assert (none["seeds"], none["mean"], none["std"], none["delta_mean"]) == (2, 57.5, 0.0, 0.0)
    assert list(none["targets_missing"]) == ["bucc2018", "mlqa", "pawsx", "tatoeba", "tydiqa", "udpos", "xquad"]
    both = rows[("mnli", ("panx", "xnli"))]
    assert (both["seeds"], both["mean"], both["delta_mean"], list(both["seed_list"])) == (1, 90.0, 32.5, [1])
    assert rows[("mnli", ("xnli",))]["mean"] == 75.0 and "panx" in rows[("mnli", ("xnli",))]["targets_missing"]
    qqp = rows[("qqp", ("xnli",))]
    assert (qqp["seeds"], qqp["mean"], qqp["delta_mean"]) == (2, 100.0, 25.0)
    assert len(rows) == 4  # nothing silently dropped, nothing pooled across target sets
    assert filled.query("xtreme_score", split="dev").set_index("intermediate").loc["mnli", "mean"] == 100.0


def test_best_intermediate_on_english_dev_and_the_oracle(filled):
    got = by_key(filled.query("best_intermediate"), "target", "rule")
    zero_shot, oracle = got[("xnli", "english-dev")], got[("xnli", "oracle")]
    assert (zero_shot["intermediate"], zero_shot["chosen_on"], zero_shot["score_mean"]) == ("mnli", 100.0, 87.5)
    assert zero_shot["delta_mean"] == 12.5
    assert (oracle["intermediate"], oracle["chosen_on"], oracle["score_mean"]) == ("qqp", 100.0, 100.0)
    # PAN-X has no English dev predictions: only the oracle row, which picks mnli (80 against 40)
    assert ("panx", "english-dev") not in got and got[("panx", "oracle")]["intermediate"] == "mnli"
