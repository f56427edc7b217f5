"""attack_validity and the human check around it: sample out, judgements in, shares and paper tables.

Judgements (hand-made; only successful perturbations with changed text count):
    p2  deepwordbug de, succeeded   ann1 yes, ann2 yes     -> holds, two votes that agree
    p4  deepwordbug de, succeeded   ann1 no,  ann2 yes     -> unsure (tie), two votes that disagree
    p3  deepwordbug de, failed      ann1 no                -> not counted: the attack failed
    pf  deepwordbug fr, succeeded   ann1 unsure            -> unsure
    b2  charnoise de, perturbed     yes, no, no            -> broken
deepwordbug de: judged 2, holds 1, broken 0, unsure 1, share 1.0; Wilson with n = 1 and all held: low
1 / (1 + z^2) = 0.2065, high 1; agreement 1 / 2. charnoise de: share 0, agreement 0. fr: nothing decided.
"""

from __future__ import annotations

import csv

import pytest

from conftest import run_cli
from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)
from validity_fixture import add_cell, add_example, add_judgement, add_perturbation, add_task

A = {"query_budget": 0, "seed": 0, "similarity_encoder": "base", "similarity_threshold": 0.9}
B = {"rate": 0.1, "seed": 0, "similarity_encoder": "base", "similarity_threshold": 0.0}
Z = 1.959964


def _perturbations(qdb):
    add_task(qdb)
    for i, (a, b) in enumerate([("Er kam.", "Er kam nicht."), ("Sie las.", "Sie las nicht."), ("Wir gehen.", "Wir bleiben."),
                                ("Ich habe Zeit.", "Ich habe keine Zeit.")], start=1):
        add_example(qdb, f"e{i}", a, b, label=i % 3)
    add_example(qdb, "f1", "Il vient.", "Il ne vient pas.", language="fr", label=2)
    add_cell(qdb, "cA", "deepwordbug", A, "per-victim")
    add_cell(qdb, "cB", "charnoise", B, None)
    for pid, example, ta, outcome in [("p1", "e1", "Er kam.", "skipped"), ("p2", "e2", "Sie lass.", "succeeded"),
                                      ("p3", "e3", "Wir gehn.", "failed"), ("p4", "e4", "Ich hab Zeit.", "succeeded")]:
        tb = {"e1": "Er kam nicht.", "e2": "Sie las nicht.", "e3": "Wir bleiben.", "e4": "Ich habe keine Zeit."}[example]
        add_perturbation(qdb, pid, "cA", example, "deepwordbug", A, text_a=ta, text_b=tb, outcome=outcome)
    add_perturbation(qdb, "pf", "cA", "f1", "deepwordbug", A, text_a="Il vinet.", text_b="Il ne vient pas.",
                     outcome="succeeded", language="fr")
    add_perturbation(qdb, "b2", "cB", "e2", "charnoise", B, text_a="Sie la.", text_b="Sie las nicht.", outcome="perturbed")


def _judge(qdb):
    for pid, votes in {"p2": ["yes", "yes"], "p4": ["no", "yes"], "p3": ["no"], "pf": ["unsure"],
                       "b2": ["yes", "no", "no"]}.items():
        for k, vote in enumerate(votes, start=1):
            add_judgement(qdb, pid, f"ann{k}", vote)


def test_values(qdb):
    _perturbations(qdb)
    _judge(qdb)
    got = by_key(qdb.query("attack_validity"), "attack", "language")
    assert set(got) == {("deepwordbug", "de"), ("deepwordbug", "fr"), ("charnoise", "de")}
    a = got["deepwordbug", "de"]
    assert (a["judged"], a["judgements"], a["holds"], a["broken"], a["unsure"]) == (2, 4, 1, 0, 1)
    assert a["share_holds"] == 1.0 and a["agreement"] == 0.5 and a["protocol"] == "per-victim"
    assert a["share_low"] == pytest.approx(1 / (1 + Z * Z)) and a["share_high"] == pytest.approx(1.0)
    b = got["charnoise", "de"]
    assert (b["judged"], b["holds"], b["broken"], b["share_holds"], b["agreement"]) == (1, 0, 1, 0.0, 0.0)
    assert b["protocol"] == "model-independent" and b["share_low"] == pytest.approx(0.0, abs=1e-12)
    fr = got["deepwordbug", "fr"]
    assert (fr["judged"], fr["unsure"]) == (1, 1) and fr["share_holds"] != fr["share_holds"]  # NULL -> NaN


def test_wilson_interval_matches_scipy(qdb):
    import numpy as np
    from scipy.stats import binomtest

    rng = np.random.default_rng(7)
    truth = {}
    with qdb.store.held():
        add_task(qdb)
        for language, share in (("de", 0.95), ("fr", 0.6)):
            add_cell(qdb, f"c{language}", "deepwordbug", A, "per-victim")
            for i in range(40):
                add_example(qdb, f"{language}{i}", "Er kam.", None, language=language)
                add_perturbation(qdb, f"p{language}{i}", f"c{language}", f"{language}{i}", "deepwordbug", A,
                                 text_a="Er kma.", text_b=None, outcome="succeeded", language=language)
                vote = "yes" if rng.random() < share else "no"
                add_judgement(qdb, f"p{language}{i}", "ann", vote)
                truth.setdefault(language, []).append(vote == "yes")
    for row in qdb.query("attack_validity", z=Z).to_dict("records"):
        holds = sum(truth[row["language"]])
        interval = binomtest(holds, 40).proportion_ci(confidence_level=0.95, method="wilson")
        assert row["holds"] == holds and row["share_holds"] == pytest.approx(holds / 40)
        assert row["share_low"] == pytest.approx(interval.low, abs=1e-6)
        assert row["share_high"] == pytest.approx(interval.high, abs=1e-6)


def _sample(qdb, tmp_path, capsys, *extra):
    out = tmp_path / "sample.csv"
    code, _, err = run_cli(["export", qdb.store.path, "--table", "perturbation_sample", "--n", "1", "--out", out,
                            *extra], capsys)
    assert code == 0, err
    with open(out, newline="", encoding="utf-8") as handle:
        return out, list(csv.DictReader(handle))


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_sample_is_seeded_and_holds_what_people_judge(qdb, tmp_path, capsys):
    _perturbations(qdb)
    _, rows = _sample(qdb, tmp_path, capsys)
    # successful, changed perturbations only, at most --n 1 per setting and language: (A, de), (A, fr), (B, de)
    assert sorted((r["attack"], r["language"]) for r in rows) == [("charnoise", "de"), ("deepwordbug", "de"),
                                                                 ("deepwordbug", "fr")]
    de = next(r for r in rows if r["attack"] == "deepwordbug" and r["language"] == "de")
    assert de["perturbation_id"] in ("p2", "p4")
    expected = {"p2": ("Sie las.", "Sie lass.", "contradiction"), "p4": ("Ich habe Zeit.", "Ich hab Zeit.", "neutral")}
    assert (de["original_a"], de["perturbed_a"], de["gold_label"]) == expected[de["perturbation_id"]]
    assert de["label_holds"] == de["annotator"] == "" and de["protocol"] == "per-victim"
    assert _sample(qdb, tmp_path, capsys)[1] == rows  # the same seed, the same sample
    drawn = {_sample(qdb, tmp_path, capsys, "--seed", str(seed))[1][1]["perturbation_id"] for seed in range(8)}
    assert drawn == {"p2", "p4"}  # other seeds draw the other one too


def test_judgements_round_trip_and_a_mismatched_file_is_refused(qdb, tmp_path, capsys):
    _perturbations(qdb)
    path, rows = _sample(qdb, tmp_path, capsys, "--n", "5")
    for row in rows:
        row["label_holds"] = "yes" if row["attack"] == "deepwordbug" else "no"
    rows[0]["label_holds"] = ""  # not judged yet: skipped
    _write(path, rows)
    code, out, err = run_cli(["annotate", "import", path, "--db", qdb.store.path, "--annotator", "ann1"], capsys)
    assert code == 0, err
    assert f"imported {len(rows) - 1} judgements" in out and "1 rows left blank" in out
    with qdb.store.connect(read_only=True) as con:
        stored = dict(con.execute("SELECT perturbation_id, label_holds FROM annotation WHERE annotator = 'ann1'").fetchall())
    assert stored == {r["perturbation_id"]: r["label_holds"] for r in rows[1:]}
    # a changed mind replaces the earlier judgement
    rows[1]["label_holds"] = "unsure"
    _write(path, rows)
    assert run_cli(["annotate", "import", path, "--db", qdb.store.path, "--annotator", "ann1"], capsys)[0] == 0

    def refused(change, message):
        broken = [dict(r) for r in rows]
        change(broken)
        bad = tmp_path / "bad.csv"
        _write(bad, broken)
        with qdb.store.connect(read_only=True) as con:
            before = con.execute("SELECT * FROM annotation ORDER BY ALL").fetchall()
        code, _, err = run_cli(["annotate", "import", bad, "--db", qdb.store.path, "--annotator", "ann2"], capsys)
        assert code == 2 and message in err and "nothing was imported" in err, err
        assert len(err.strip().splitlines()) == 1  # one message, no traceback
        with qdb.store.connect(read_only=True) as con:
            assert con.execute("SELECT * FROM annotation ORDER BY ALL").fetchall() == before

    refused(lambda r: r[2].update(perturbation_id="p9"), "'p9' (row 3) is not in this database")
    refused(lambda r: r[2].update(perturbed_a=r[2]["perturbed_a"] + "!"), "shows other texts than the database holds")
    refused(lambda r: r[1].update(label_holds="maybe"), "label_holds must be yes, no or unsure")
    refused(lambda r: [x.pop("original_b") for x in r], "lacks the column(s) original_b")
    refused(lambda r: r.append(dict(r[1])), "a second time for annotator 'ann2'")


def test_paper_tables_keep_only_validated_attack_languages(qdb):
    from xstore import tables
    from xstore.errors import UserError

    _perturbations(qdb)
    _judge(qdb)
    qdb.add_run("r")
    for language in ("de", "fr"):
        qdb.add_predictions("r", [[2.0, 0.0], [2.0, 0.0]], [0, 0], language=language, example_ids=["x", "y"])
        for attack in ("deepwordbug", "charnoise"):
            qdb.add_predictions("r", [[0.0, 2.0], [2.0, 0.0]], [0, 0], language=language, attack=attack,
                                example_ids=["x", "y"])
    everything = tables.build(qdb.store, "attack_success_rate", attack="deepwordbug")
    assert everything.columns == ["de", "fr", "avg"] and everything.min_validity is None
    validated = tables.build(qdb.store, "attack_success_rate", attack="deepwordbug", min_validity=0.9)
    assert validated.columns == ["de", "avg"] and validated.cells[("none", "de")].mean == 0.5
    assert "judged at least 90%" in validated.caption
    with pytest.raises(UserError, match="validated in no language"):
        tables.build(qdb.store, "attack_success_rate", attack="charnoise", min_validity=0.9)
