"""Run variants and attack settings keep configurations apart in every answer, with labels that say how.

Each database here holds the cells a spec declares (tests/queries/planned_db.py): the keys, parameters and
parents the planner gives them, with made-up predictions, so the labels are tested on the planner's own cells.
The spec is conftest's small one (none and demo-sentiment, English and German, with and without temperature
scaling) with the seeds, attacks and variants each test names.
"""

from __future__ import annotations

import json

import pytest

from conftest import write_spec
from planned_db import fill_planned
from querydb import by_key
from xstore import tables
from xstore.errors import UserError

FOUR_SETTINGS = """
[attacks.charnoise]
settings = [{ rate = 0.05 }, { rate = 0.1 }]

[attacks.deepwordbug]
query_budget = 20
settings = [{ protocol = "transfer" }, { protocol = "per-victim" }]
"""
ATTACKS = {"none", "charnoise[rate=0.05]", "charnoise[rate=0.1]", "deepwordbug[per-victim]",
           "deepwordbug[transfer from none]"}


def _db(tmp_path, extra="", seeds=(1,), attacks=("none", "charnoise", "deepwordbug"), variants=""):
    """conftest's small spec (none and demo-sentiment, English and German, with and without temperature
    scaling) with these seeds, attacks, [attacks.*] tables and target variants, planned and filled."""
    path = write_spec(tmp_path, seeds=seeds)
    text = path.read_text().replace('attacks = ["none", "charnoise"]', f"attacks = {json.dumps(list(attacks))}")
    if variants:
        text = text.replace("[train.target]\n", f"[train.target]\nvariants = {variants}\n")
    path.write_text(text + extra)
    return fill_planned(path)


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    return _db(tmp_path_factory.mktemp("four"), FOUR_SETTINGS)


def test_two_protocols_and_two_rates_are_four_attack_rows(four):
    ece = four.query("ece_by_language")
    per_run = ece.groupby(["run_key", "language", "calibration"])["attack"].apply(set)
    assert len(per_run) == 2 * 2 * 2 and all(labels == ATTACKS for labels in per_run)
    success = four.query("attack_success_rate")
    assert success.groupby(["run_key", "language"])["attack"].apply(set).map(lambda s: s == ATTACKS - {"none"}).all()
    assert len(success) == 2 * 2 * 4
    # every named query keeps them apart: no two rows of one run, language and method share a label
    for name in ("accuracy_by_language", "brier_by_language", "metrics_over_seeds", "ece_perturbed_vs_clean"):
        frame = four.query(name)
        assert ATTACKS - {"none"} <= set(frame["attack"]), name


def test_the_view_labels_each_perturbed_prediction_by_its_cell(four):
    with four.store.connect(read_only=True) as con:
        counts = dict(con.execute("SELECT attack, count(*) FROM calibrated_prediction WHERE calibration = 'none' "
                                  "GROUP BY attack").fetchall())
        described = dict(con.execute("SELECT DISTINCT attack, described FROM attack_setting").fetchall())
    # 2 runs x 2 languages x 20 inputs per setting; clean inputs also on English dev, for the temperature fit
    assert counts == {**{label: 80 for label in ATTACKS}, "none": 120}
    # the full description lists every parameter of the key, the label only what tells settings apart
    assert described["charnoise[rate=0.05]"] == ("charnoise[attack_version=2, kind_version=1, negation=1, rate=0.05, "
                                                 "seed=0, similarity_encoder=base, similarity_threshold=0.0]")
    assert described["deepwordbug[per-victim]"].startswith("deepwordbug[per-victim, attack_version=2, kind_version=1")
    assert "query_budget=20" in described["deepwordbug[per-victim]"]


def test_the_latex_export_has_a_row_per_attack_setting(four):
    table = tables.build(four.store, "attack_success_rate")
    assert table.row_header == "intermediate / attack"
    assert table.rows == [f"{s} / {a}" for s in ("none", "demo-sentiment") for a in sorted(ATTACKS - {"none"})]
    latex = tables.to_latex(table)
    assert r"Intermediate / attack & en & de & Avg." in latex
    assert latex.count("/ charnoise[rate=0.05] &") == 2 and latex.count("/ deepwordbug[transfer from none] &") == 2
    ece = tables.build(four.store, "ece", attack="charnoise")  # an attack's name: all its settings
    assert {row.split(" / ")[1] for row in ece.rows} == {"charnoise[rate=0.05]", "charnoise[rate=0.1]"}
    assert tables.build(four.store, "ece").rows == ["none", "demo-sentiment"]  # clean by default
    with pytest.raises(UserError, match="attack 'pruthi'; the database has"):
        tables.build(four.store, "ece", attack="pruthi")


def test_a_fixed_reference_seed_is_named_for_every_run(tmp_path):
    extra = ('[attacks.deepwordbug]\nsettings = [{ protocol = "transfer", reference_seed = 1 }, '
             '{ protocol = "per-victim" }]\n')
    db = _db(tmp_path, extra, seeds=(1, 2), attacks=("none", "deepwordbug"))
    labels = db.query("attack_success_rate").groupby("seed")["attack"].apply(set)
    assert all(s == {"deepwordbug[per-victim]", "deepwordbug[transfer from none seed 1]"} for s in labels)


def test_one_setting_keeps_the_attack_name(tmp_path):
    db = _db(tmp_path, "[attacks.charnoise]\nrate = 0.05\n", attacks=("none", "charnoise"))
    assert set(db.query("accuracy_by_language")["attack"]) == {"none", "charnoise"}
    assert set(db.query("accuracy_by_language")["variant"]) == {"default"}


VARIANTS = "[{ label_smoothing = 0.0 }, { label_smoothing = 0.1 }]"


def test_label_smoothing_variants_are_rolled_up_apart(tmp_path):
    db = _db(tmp_path, seeds=(1, 2, 3), attacks=("none",), variants=VARIANTS)
    got = by_key(db.query("metrics_over_seeds"), "intermediate", "variant", "split", "language", "calibration",
                 "metric")
    variants = {key[1] for key in got}
    assert variants == {"label_smoothing=0.0", "label_smoothing=0.1"}
    assert all(row["seeds"] == 3 and list(row["seed_list"]) == [1, 2, 3] for row in got.values())
    # each variant's delta is against the no-intermediate run of its own variant and seed
    assert all(row["paired_seeds"] == 3 for row in got.values())
    summary = db.query("calibration_summary")
    # settings x variants x (test en, de, dev en) x methods
    assert set(summary["seeds"]) == {3} and len(summary) == 2 * 2 * 3 * 2
    delta = db.query("delta_vs_baseline", n_boot=20)
    # variants x seeds x (test en, de, dev en) x methods x metrics
    assert set(delta["variant"]) == variants and len(delta) == 2 * 3 * 3 * 2 * 7


def test_variants_get_table_rows_and_figures_ask_for_one(tmp_path):
    db = _db(tmp_path, attacks=("none",), variants=VARIANTS)
    table = tables.build(db.store, "ece")
    assert table.rows == [f"{s} / label_smoothing={v}" for s in ("none", "demo-sentiment") for v in ("0.0", "0.1")]
    delta = tables.build(db.store, "ece", delta=True)
    assert delta.rows == ["demo-sentiment / label_smoothing=0.0", "demo-sentiment / label_smoothing=0.1"]
    from xstore import figures

    with pytest.raises(UserError, match="2 runs match; name one with --intermediate, --variant"):
        figures.select_bins(db.store, language="en", intermediate="none", seed=1)
    bins = figures.select_bins(db.store, language="en", intermediate="none", seed=1, variant="label_smoothing=0.1")
    assert "(label_smoothing=0.1)" in bins.title and sum(bins.n) == 20


def test_a_transfer_reference_is_of_the_runs_own_variant(tmp_path):
    db = _db(tmp_path, '[attacks.deepwordbug]\nprotocol = "transfer"\n', attacks=("none", "deepwordbug"),
             variants=VARIANTS)
    with db.store.connect(read_only=True) as con:
        pairs = con.execute("""SELECT r.variant, v.variant FROM attack_setting AS a
                               JOIN target_run AS r ON r.run_key = a.run_key
                               JOIN cell AS x ON x.key = a.perturb_key
                               JOIN target_run AS v ON v.run_key = json_extract_string(x.parents, '$.victim')""").fetchall()
    assert pairs and all(run == victim for run, victim in pairs)
    assert set(db.query("attack_success_rate")["attack"]) == {"deepwordbug"}


def test_people_validate_attack_settings_as_the_tables_label_them(tmp_path):
    from validity_fixture import add_example, add_judgement, add_perturbation

    db = _db(tmp_path, "[attacks.charnoise]\nsettings = [{ rate = 0.05 }, { rate = 0.1 }]\n",
             attacks=("none", "charnoise"))
    with db.store.connect(read_only=True) as con:
        perturb = con.execute("SELECT key, params->>'$.params.rate', params->>'$.language' FROM cell "
                              "WHERE kind = 'perturb'").fetchall()
    assert len(perturb) == 2 * 2  # two rates x two languages
    for i, (key, rate, language) in enumerate(perturb):  # one changed input per cell; people keep rate 0.05 only
        add_example(db, f"x{i}", "Er kam nicht.", None, language=language)
        add_perturbation(db, f"p{i}", key, f"x{i}", "charnoise", {"rate": float(rate)}, text_a="Er kam nihct.",
                         text_b=None, outcome="perturbed", language=language)
        add_judgement(db, f"p{i}", "ann", "yes" if rate == "0.05" else "no")
    validity = db.query("attack_validity")
    assert sorted(zip(validity["setting"], validity["language"], validity["holds"])) == [
        ("charnoise[rate=0.05]", "de", 1), ("charnoise[rate=0.05]", "en", 1),
        ("charnoise[rate=0.1]", "de", 0), ("charnoise[rate=0.1]", "en", 0)]
    assert set(db.query("perturbation_validity")["setting"]) == {"charnoise[rate=0.05]", "charnoise[rate=0.1]"}
    both = tables.build(db.store, "attack_success_rate", attack="charnoise")
    kept = tables.build(db.store, "attack_success_rate", attack="charnoise", min_validity=0.9)
    assert {row.split(" / ")[1] for row in both.rows} == {"charnoise[rate=0.05]", "charnoise[rate=0.1]"}
    # one setting left: rows are intermediate settings again, and the caption names the setting kept
    assert kept.rows == ["none", "demo-sentiment"] and kept.where["attack"] == "charnoise[rate=0.05]"
    assert all(kept.cells[(row, language)].mean == both.cells[(f"{row} / charnoise[rate=0.05]", language)].mean
               for row in kept.rows for language in ("en", "de"))
