"""The planner: declared minus stored, by key; versions and parameters are part of every key."""

import dataclasses
from datetime import datetime

import pytest

from conftest import write_spec
from xstore import catalog
from xstore.db import Store
from xstore.planner import declare, plan
from xstore.spec import load_spec


def _mark_done(store, cells):
    now = datetime.now()
    with store.connect() as con:
        for c in cells:
            con.execute("INSERT INTO cell (key, kind, params, parents, host, pid, started_at, finished_at, wall_seconds) "
                        "VALUES (?, ?, '{}', '{}', 'h', 1, ?, ?, 0.0)", [c.key, c.kind, now, now])


def _plan(store, spec):
    with store.connect(read_only=True) as con:
        return plan(con, declare(spec))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "p.duckdb")
    s.upgrade()
    return s


def test_small_grid_counts(tmp_path):
    counts = {}
    for c in declare(load_spec(write_spec(tmp_path))):
        counts[c.kind] = counts.get(c.kind, 0) + 1
    # loads: sentiment train+dev, nli train+dev(en), nli test en+de; runs: 1 intermediate, 2 targets;
    # clean predictions: 2 runs x (2 test languages + English dev); perturb: 2 languages; etc.
    assert counts == {"load": 6, "train_intermediate": 1, "train_target": 2, "predict_clean": 6,
                      "perturb": 2, "predict_perturbed": 4, "fit_calibration": 2}


def test_declared_keys_are_unique_and_parents_come_first(tmp_path):
    cells = declare(load_spec(write_spec(tmp_path, seeds=(1, 2))))
    seen = set()
    for c in cells:
        assert c.key not in seen
        assert all(p in seen for p in c.parents.values()), c
        seen.add(c.key)


def test_adding_a_seed_plans_only_the_new_cells(tmp_path, store):
    one = load_spec(write_spec(tmp_path, seeds=(1,)))
    two = load_spec(write_spec(tmp_path, seeds=(1, 2), name="two.toml"))
    _mark_done(store, declare(one))
    result = _plan(store, two)
    old_keys = {c.key for c in declare(one)}
    assert {c.key for c in result.missing} == {c.key for c in declare(two)} - old_keys
    assert all(c.params["seed"] == 2 for c in result.missing)
    # data and model-independent perturbations are shared between seeds: nothing new to load or perturb
    assert {c.kind for c in result.missing} == {"train_intermediate", "train_target", "predict_clean",
                                                "predict_perturbed", "fit_calibration"}
    _mark_done(store, result.missing)
    assert _plan(store, two).missing == []


def test_adding_a_language_plans_its_cells_only(tmp_path, store):
    before = load_spec(write_spec(tmp_path, languages=("en", "de")))
    after = load_spec(write_spec(tmp_path, languages=("en", "de", "ru"), name="ru.toml"))
    _mark_done(store, declare(before))
    missing = _plan(store, after).missing
    assert missing and all(c.params["language"] == "ru" for c in missing)
    assert sorted(c.kind for c in missing) == ["load", "perturb", "predict_clean", "predict_clean",
                                               "predict_perturbed", "predict_perturbed"]


def test_bumping_a_task_version_replans_its_dependants(tmp_path, store, monkeypatch):
    spec = load_spec(write_spec(tmp_path))
    _mark_done(store, declare(spec))
    bumped = dataclasses.replace(catalog.TASKS["demo-nli"], version=2)
    monkeypatch.setitem(catalog.TASKS, "demo-nli", bumped)
    missing = _plan(store, spec).missing
    kinds = {c.kind for c in missing}
    # everything built on demo-nli is missing again; the sentiment loads and phase-2 run are not
    assert kinds == {"load", "train_target", "predict_clean", "perturb", "predict_perturbed", "fit_calibration"}
    assert all(c.params.get("task") == "demo-nli" for c in missing)
    assert len([c for c in missing if c.kind == "load"]) == 4


def test_bumping_an_attack_version_replans_only_attacked_cells(tmp_path, store, monkeypatch):
    spec = load_spec(write_spec(tmp_path))
    _mark_done(store, declare(spec))
    bumped = dataclasses.replace(catalog.ATTACKS["charnoise"], version=catalog.ATTACKS["charnoise"].version + 1)
    monkeypatch.setitem(catalog.ATTACKS, "charnoise", bumped)
    assert {c.kind for c in _plan(store, spec).missing} == {"perturb", "predict_perturbed"}


def test_a_new_negation_list_replans_only_its_language(tmp_path, store, monkeypatch):
    from xstore.runners.attacks import negation

    spec = load_spec(write_spec(tmp_path))  # en and de, with a charnoise attack (model-independent)
    _mark_done(store, declare(spec))
    monkeypatch.setitem(negation.LEXICONS, "de", dataclasses.replace(negation.LEXICONS["de"], version=2))
    missing = _plan(store, spec).missing
    assert {(c.kind, c.params["language"]) for c in missing} == {("perturb", "de"), ("predict_perturbed", "de")}
    assert [c.params["negation"] for c in missing if c.kind == "perturb"] == [2]


def test_meaning_with_the_runs_encoder_keys_noise_by_base_model(tmp_path):
    path = write_spec(tmp_path)
    shared = [c for c in declare(load_spec(path)) if c.kind == "perturb"]
    assert all("similarity_base_model" not in c.params for c in shared)  # threshold 0: one cell for every run
    path.write_text(path.read_text() + "\n[attacks.charnoise]\nsimilarity_threshold = 0.9\n")
    keyed = [c for c in declare(load_spec(path)) if c.kind == "perturb"]
    assert {c.params["similarity_base_model"] for c in keyed} == {"builtin:tiny-xlmr"}
    assert {c.params["params"]["similarity_threshold"] for c in keyed} == {0.9}


def test_changing_a_budget_or_hyperparameter_changes_keys(tmp_path):
    base = {c.key for c in declare(load_spec(write_spec(tmp_path)))}
    path = write_spec(tmp_path, name="rate.toml")
    path.write_text(path.read_text() + "\n[attacks.charnoise]\nrate = 0.3\n")
    changed = [c for c in declare(load_spec(path)) if c.key not in base]
    assert {c.kind for c in changed} == {"perturb", "predict_perturbed"}
    path.write_text(path.read_text().replace("max_steps = 8", "max_steps = 9"))
    changed = [c for c in declare(load_spec(path)) if c.key not in base]
    assert "train_intermediate" not in {c.kind for c in changed}
    assert {"train_target", "predict_clean", "fit_calibration"} <= {c.kind for c in changed}


def _kinds(cells) -> dict:
    counts = {}
    for c in cells:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return counts


def test_settings_of_an_attack_sit_side_by_side(tmp_path):
    """Two rates of charnoise: twice the perturb cells and perturbed predictions; the first setting's cells keep
    the keys of the same single setting, and one listed setting is exactly the plain table."""
    plain = write_spec(tmp_path, name="plain.toml")
    plain.write_text(plain.read_text() + "\n[attacks.charnoise]\nrate = 0.1\n")
    listed = write_spec(tmp_path, name="listed.toml")
    listed.write_text(listed.read_text() + "\n[attacks.charnoise]\nsettings = [{ rate = 0.1 }]\n")
    two = write_spec(tmp_path, name="two.toml")
    two.write_text(two.read_text() + "\n[attacks.charnoise]\nsettings = [{ rate = 0.1 }, { rate = 0.05 }]\n")
    plain_keys = {c.key for c in declare(load_spec(plain))}
    assert {c.key for c in declare(load_spec(listed))} == plain_keys
    cells = declare(load_spec(two))
    assert _kinds(cells)["perturb"] == 4 and _kinds(cells)["predict_perturbed"] == 8
    assert plain_keys < {c.key for c in cells}
    assert sorted(c.params["params"]["rate"] for c in cells if c.kind == "perturb") == [0.05, 0.05, 0.1, 0.1]


def test_both_protocols_of_a_victim_attack(tmp_path):
    path = write_spec(tmp_path)
    path.write_text(path.read_text().replace('"charnoise"]', '"deepwordbug"]')
                    + '\n[attacks.deepwordbug]\nsettings = [{ protocol = "transfer" }, { protocol = "per-victim" }]\n')
    cells = declare(load_spec(path))
    runs = {c.key: c.params["intermediate"] for c in cells if c.kind == "train_target"}
    perturb = [c for c in cells if c.kind == "perturb"]
    # per language: one transfer cell (victim: the none run) and one per-victim cell per run
    assert sorted((c.params["protocol"], runs[c.parents["victim"]]) for c in perturb if c.params["language"] == "en") == [
        ("per-victim", "demo-sentiment"), ("per-victim", "none"), ("transfer", "none")]
    assert _kinds(cells)["predict_perturbed"] == 2 * 2 * 2  # runs x languages x settings


def test_variants_of_the_target_training(tmp_path):
    """label_smoothing 0 and 0.1: every target run twice, the intermediate run once; the variant with the
    table's own values keeps the keys of a spec without variants."""
    plain = {c.key for c in declare(load_spec(write_spec(tmp_path)))}
    path = write_spec(tmp_path, name="variants.toml")
    path.write_text(path.read_text().replace(
        "[train.target]", "[train.target]\nvariants = [{ label_smoothing = 0.0 }, { label_smoothing = 0.1 }]"))
    cells = declare(load_spec(path))
    kinds = _kinds(cells)
    assert kinds["train_intermediate"] == 1 and kinds["train_target"] == 4 and kinds["predict_clean"] == 12
    assert plain < {c.key for c in cells}
    smoothing = sorted(c.params["hparams"]["label_smoothing"] for c in cells if c.kind == "train_target")
    assert smoothing == [0.0, 0.0, 0.1, 0.1]


def test_failed_cells_are_counted_as_failed_and_missing(tmp_path, store):
    spec = load_spec(write_spec(tmp_path))
    cells = declare(spec)
    _mark_done(store, cells[:3])
    store.record_failure(cells[3].key, cells[3].kind, {}, "boom", "tb")
    store.record_failure(cells[3].key, cells[3].kind, {}, "boom again", "tb")
    result = _plan(store, spec)
    assert result.failed == {cells[3].key}
    total = result.counts()[cells[3].kind]
    assert total["failed"] == 1 and total["missing"] >= 1
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT max(attempt) FROM failure").fetchone() == (2,)


def _structured_catalogue(monkeypatch):
    """Two made-up targets beside demo-nli: a retrieval task in de and fr, a tagging task in de and ru."""
    nli = catalog.TASKS["demo-nli"]
    retrieval = dataclasses.replace(nli, name="toy-retrieval", head="retrieval", labels=(),
                                    splits={"test": ("de", "fr")})
    tagging = dataclasses.replace(nli, name="toy-tagging", head="tagging", labels=("NOUN", "VERB"),
                                  splits={"train": ("en",), "dev": ("en",), "test": ("de", "ru")})
    for entry in (retrieval, tagging):
        monkeypatch.setitem(catalog.TASKS, entry.name, entry)


def _multi_target_spec(tmp_path, languages, attacks='["none"]'):
    path = tmp_path / "multi.toml"
    path.write_text(f"""
[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["none", "demo-sentiment"]
targets = ["demo-nli", "toy-retrieval", "toy-tagging"]
languages = {languages}
seeds = [1]
attacks = {attacks}
""")
    return path


def test_each_target_is_evaluated_in_the_listed_languages_it_has(tmp_path, monkeypatch):
    _structured_catalogue(monkeypatch)
    cells = declare(load_spec(_multi_target_spec(tmp_path, '["de", "fr", "ru"]')))
    evaluated = {(c.params["task"], c.params["language"]) for c in cells if c.kind == "predict_clean"}
    assert evaluated == {("demo-nli", "de"), ("demo-nli", "fr"), ("demo-nli", "ru"),
                         ("toy-retrieval", "de"), ("toy-retrieval", "fr"), ("toy-tagging", "de"), ("toy-tagging", "ru")}
    every = declare(load_spec(_multi_target_spec(tmp_path, '"all"')))
    langs = {c.params["task"]: set() for c in every if c.kind == "predict_clean"}
    for c in every:
        if c.kind == "predict_clean":
            langs[c.params["task"]].add(c.params["language"])
    assert langs == {"demo-nli": {"en", "de", "fr", "es", "ru"}, "toy-retrieval": {"de", "fr"}, "toy-tagging": {"de", "ru"}}


def test_a_language_no_target_has_is_refused(tmp_path, monkeypatch):
    from xstore.errors import UserError

    _structured_catalogue(monkeypatch)
    with pytest.raises(UserError, match="language 'sw' is not in the 'test' split of any target"):
        load_spec(_multi_target_spec(tmp_path, '["de", "sw"]'))


def test_retrieval_targets_train_nothing_and_start_from_the_intermediate_encoder(tmp_path, monkeypatch):
    _structured_catalogue(monkeypatch)
    cells = declare(load_spec(_multi_target_spec(tmp_path, '"all"')))
    runs = [c for c in cells if c.kind == "train_target" and c.params["task"] == "toy-retrieval"]
    assert len(runs) == 2
    by_setting = {c.params["intermediate"]: c for c in runs}
    assert by_setting["none"].parents == {}
    inter = next(c for c in cells if c.kind == "train_intermediate")
    assert by_setting["demo-sentiment"].parents == {"intermediate": inter.key}
    loads = {(c.params["task"], c.params["split"]) for c in cells if c.kind == "load"}
    assert ("toy-retrieval", "train") not in loads and ("toy-tagging", "train") in loads


def test_attacks_on_a_structured_target_are_refused(tmp_path, monkeypatch):
    from xstore.errors import UserError

    _structured_catalogue(monkeypatch)
    with pytest.raises(UserError, match="'toy-retrieval' is a retrieval task"):
        load_spec(_multi_target_spec(tmp_path, '"all"', attacks='["none", "charnoise"]'))
