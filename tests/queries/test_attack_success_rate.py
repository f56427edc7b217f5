"""attack_success_rate on the hand-computed pairs of adversarial_fixture.

4 pairs (e5 has no perturbed prediction): clean accuracy 3/4, perturbed 1/4, drop 0.5; attempted = the 3
right when clean (e1, e3, e4); succeeded = e1 and e4 -> success rate 2/3. No calibration dimension.
"""

from __future__ import annotations

import pytest

from adversarial_fixture import fill
from querydb import qdb  # noqa: F401  (qdb is a fixture)


def test_values(qdb):
    fill(qdb)
    got = qdb.query("attack_success_rate")
    assert len(got) == 1  # one attack, no "none" row, no calibration rows
    row = got.iloc[0]
    assert (row["language"], row["attack"], row["n"], row["attempted"], row["succeeded"]) == ("de", "charnoise", 4, 3, 2)
    assert row["clean_accuracy"] == 0.75 and row["perturbed_accuracy"] == 0.25 and row["accuracy_drop"] == 0.5
    assert row["success_rate"] == pytest.approx(2 / 3)
    assert row["n_changed"] == 3 and row["changed_share"] == 0.75


def test_changed_only_leaves_out_the_unchanged_input(qdb):
    """Without e2 (left as it was, and wrong when clean): clean accuracy 3/3, perturbed 1/3; the same 2 of 3
    successes, since an unchanged input the run gets wrong is never attempted."""
    fill(qdb)
    row = qdb.query("attack_success_rate", changed_only=True).iloc[0]
    assert (row["n"], row["n_changed"], row["attempted"], row["succeeded"]) == (3, 3, 3, 2)
    assert row["clean_accuracy"] == 1.0 and row["perturbed_accuracy"] == pytest.approx(1 / 3)


def test_nothing_attempted_is_null(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[0.0, 1.0]], [0], example_ids=["x"])  # wrong when clean
    qdb.add_predictions("r", [[0.0, 1.0]], [0], attack="charnoise", example_ids=["x"])
    row = qdb.query("attack_success_rate").iloc[0]
    assert row["attempted"] == 0 and row["succeeded"] == 0
    assert row["success_rate"] is None or row["success_rate"] != row["success_rate"]


def test_pairs_stay_within_a_run_and_language(qdb):
    """The same example_id under another run or language is not a partner."""
    fill(qdb)
    qdb.add_run("other")
    qdb.add_predictions("other", [[0.0, 5.0]], [0], language="de", example_ids=["e5"])
    qdb.add_predictions("r", [[0.0, 5.0]], [0], language="fr", attack="charnoise", example_ids=["e5"])
    got = qdb.query("attack_success_rate")
    assert got[got["language"] == "de"]["n"].tolist() == [4]
    assert got[got["language"] == "fr"]["n"].tolist() == []  # no clean French prediction to pair with
