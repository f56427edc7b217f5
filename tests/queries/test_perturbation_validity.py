"""perturbation_validity on hand-made perturbations.

Setting A, deepwordbug per-victim with threshold 0.9, German:
    p1  skipped, unchanged                  negation [nicht] kept
    p2  succeeded, 1 word / 1 char, 0.95    negation [nicht] kept    rejected negation 2, similarity 3
    p3  failed, 2 words / 3 chars, 0.92     no negation              rejected similarity 1
    p4  succeeded, 1 word / 2 chars, 0.85   negation [kein] deleted  (touched, and below the threshold)
  -> n 4, attacked 3, changed 3, succeeded 2, with_negation 3, touched 1, below 1; similarity over the changed
     texts {0.85, 0.92, 0.95}: min 0.85, 5th percentile 0.85 + 0.1 * 0.07 = 0.857 (linear), median 0.92,
     mean 2.72 / 3; words per changed input 4 / 3, characters 6 / 3 = 2, most words 2; rejected 2 and 4.
Setting A in French: one row of its own. Setting B, charnoise (no protocol: model-independent), German: one row
from before migration 6 (no markers: unchecked) and one perturbed row without a threshold.
"""

from __future__ import annotations

import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)
from validity_fixture import add_cell, add_example, add_perturbation, add_task

A = {"query_budget": 0, "seed": 0, "similarity_encoder": "base", "similarity_threshold": 0.9}
B = {"rate": 0.1, "seed": 0, "similarity_encoder": "base", "similarity_threshold": 0.0}


def _fill(qdb):
    add_task(qdb)
    for i, (a, b) in enumerate([("Er kam.", "Er kam nicht."), ("Sie las.", "Sie las nicht."), ("Wir gehen.", "Wir bleiben."),
                                ("Ich habe Zeit.", "Ich habe keine Zeit.")], start=1):
        add_example(qdb, f"e{i}", a, b)
    add_example(qdb, "f1", "Il vient.", "Il ne vient pas.", language="fr")
    add_cell(qdb, "cA", "deepwordbug", A, "per-victim")
    add_cell(qdb, "cB", "charnoise", B, None)
    rows = [
        ("p1", "e1", "Er kam.", "Er kam nicht.", "skipped", 0, 0, None, ["nicht"], ["nicht"], {}),
        ("p2", "e2", "Sie lass.", "Sie las nicht.", "succeeded", 1, 1, 0.95, ["nicht"], ["nicht"], {"negation": 2, "similarity": 3}),
        ("p3", "e3", "Wir gehn.", "Wir blieben.", "failed", 2, 3, 0.92, [], [], {"similarity": 1}),
        ("p4", "e4", "Ich habe Zeit.", "Ich habe kne Zeit.", "succeeded", 1, 2, 0.85, ["keine"], [], {}),
    ]
    for pid, example, ta, tb, outcome, words, chars, sim, neg, after, rejected in rows:
        add_perturbation(qdb, pid, "cA", example, "deepwordbug", A, text_a=ta, text_b=tb, outcome=outcome, words=words,
                         chars=chars, similarity=sim, negations=neg, negations_after=after, rejected=rejected)
    add_perturbation(qdb, "pf", "cA", "f1", "deepwordbug", A, text_a="Il vinet.", text_b="Il ne vient pas.",
                     outcome="failed", language="fr", words=1, chars=2, similarity=0.97, negations=["ne", "pas"],
                     negations_after=["ne", "pas"], rejected={})
    add_perturbation(qdb, "b1", "cB", "e1", "charnoise", B, text_a="Er kma.", text_b="Er kam nicht.", outcome="perturbed",
                     words=1, chars=1, negations=None, negations_after=None, rejected=None, version=1)
    add_perturbation(qdb, "b2", "cB", "e2", "charnoise", B, text_a="Sie la.", text_b="Sie las nicht.", outcome="perturbed",
                     words=1, chars=1, negations=["nicht"], negations_after=["nicht"], rejected={})


def test_values(qdb):
    _fill(qdb)
    got = by_key(qdb.query("perturbation_validity"), "attack", "attack_version", "language")
    assert set(got) == {("deepwordbug", 2, "de"), ("deepwordbug", 2, "fr"), ("charnoise", 1, "de"), ("charnoise", 2, "de")}
    a = got["deepwordbug", 2, "de"]
    assert a["protocol"] == "per-victim" and a["task"] == "demo-nli" and a["split"] == "test"
    assert (a["n"], a["attacked"], a["changed"], a["succeeded"]) == (4, 3, 3, 2)
    assert (a["with_negation"], a["negation_touched"], a["unchecked"]) == (3, 1, 0)
    assert (a["similarity_threshold"], a["with_similarity"], a["below_threshold"]) == (0.9, 3, 1)
    assert a["similarity_min"] == pytest.approx(0.85) and a["similarity_median"] == pytest.approx(0.92)
    assert a["similarity_p05"] == pytest.approx(0.857) and a["similarity_mean"] == pytest.approx(2.72 / 3)
    assert a["words_per_input"] == pytest.approx(4 / 3) and a["chars_per_input"] == pytest.approx(2.0)
    assert (a["words_max"], a["rejected_negation"], a["rejected_similarity"]) == (2, 2, 4)
    fr = got["deepwordbug", 2, "fr"]
    assert (fr["n"], fr["changed"], fr["negation_touched"], fr["similarity_min"]) == (1, 1, 0, pytest.approx(0.97))
    old, new = got["charnoise", 1, "de"], got["charnoise", 2, "de"]
    assert old["protocol"] == new["protocol"] == "model-independent"
    assert (old["unchecked"], old["negation_touched"], old["rejected_negation"]) == (1, 0, 0)
    assert (new["unchecked"], new["with_negation"], new["negation_touched"], new["with_similarity"]) == (0, 1, 0, 0)
    assert new["similarity_threshold"] == 0.0 and new["below_threshold"] == 0


def test_matches_numpy_on_random_rows(qdb):
    """Counts and similarity statistics against NumPy on 200 random perturbations."""
    import numpy as np

    rng = np.random.default_rng(3)
    sims, touched = [], 0
    with qdb.store.held():  # one connection for all the inserts
        add_task(qdb)
        add_cell(qdb, "cA", "deepwordbug", A, "per-victim")
        for i in range(200):
            add_example(qdb, f"e{i}", f"Satz {i}.", None)
            change = bool(rng.random() < 0.7)
            sim = float(rng.uniform(0.8, 1.0)) if change else None
            lose = change and bool(rng.random() < 0.1)
            touched += lose
            add_perturbation(qdb, f"p{i}", "cA", f"e{i}", "deepwordbug", A, text_a=f"Satz {i}x." if change else f"Satz {i}.",
                             text_b=None, outcome="succeeded" if change else "failed", similarity=sim,
                             negations=["nicht"], negations_after=[] if lose else ["nicht"], rejected={"similarity": i % 3})
            if change:
                sims.append(sim)
    row = qdb.query("perturbation_validity").iloc[0]
    assert (row["n"], row["changed"], row["negation_touched"]) == (200, len(sims), touched) and touched > 0
    assert row["below_threshold"] == sum(s < 0.9 for s in sims)
    assert row["similarity_p05"] == pytest.approx(np.quantile(sims, 0.05))
    assert row["similarity_median"] == pytest.approx(np.median(sims))
    assert row["similarity_mean"] == pytest.approx(np.mean(sims))
    assert row["rejected_similarity"] == sum(i % 3 for i in range(200))
