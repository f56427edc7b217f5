"""The oracle calibration ("temperature-oracle") in the spec and the planner: one fit per run and language,
on that language's dev predictions, without touching the keys of the English-dev temperature fits."""

import dataclasses

import pytest

from conftest import write_spec
from xstore import catalog
from xstore.errors import UserError
from xstore.planner import declare
from xstore.spec import load_spec


def _spec(tmp_path, methods, languages=("en", "de")):
    path = write_spec(tmp_path, languages=languages)
    text = path.read_text().replace('calibration = ["none", "temperature"]', f"calibration = {list(methods)}")
    path.write_text(text.replace("'", '"'))
    return load_spec(path)


def test_one_fit_per_run_and_language_on_its_own_dev_set(tmp_path):
    cells = declare(_spec(tmp_path, ["none", "temperature", "temperature-oracle"]))
    by_key = {c.key: c for c in cells}
    fits = [c for c in cells if c.kind == "fit_calibration"]
    oracle = [c for c in fits if c.params["method"] == "temperature-oracle"]
    assert len(fits) == 2 * 3  # 2 target runs x (English temperature + oracle for en and de)
    assert sorted(c.params["fit_language"] for c in oracle) == ["de", "de", "en", "en"]
    for fit in oracle:
        source = by_key[fit.parents["predictions"]]
        assert source.kind == "predict_clean"
        assert (source.params["split"], source.params["language"]) == ("dev", fit.params["fit_language"])
        assert source.params["seed"] == fit.params["seed"]
    dev_predictions = {(c.params["intermediate"], c.params["language"]) for c in cells
                       if c.kind == "predict_clean" and c.params["split"] == "dev"}
    assert dev_predictions == {(i, lang) for i in ("none", "demo-sentiment") for lang in ("en", "de")}


def test_adding_the_oracle_keeps_every_existing_key(tmp_path):
    before = {c.key for c in declare(_spec(tmp_path, ["none", "temperature"]))}
    after = declare(_spec(tmp_path, ["none", "temperature", "temperature-oracle"]))
    new = [c for c in after if c.key not in before]
    assert before <= {c.key for c in after}
    # German dev load, German dev predictions for both runs, four oracle fits
    assert sorted(c.kind for c in new) == ["fit_calibration"] * 4 + ["load"] + ["predict_clean"] * 2


def test_oracle_needs_dev_data_in_every_language(tmp_path, monkeypatch):
    entry = catalog.TASKS["demo-nli"]
    monkeypatch.setitem(catalog.TASKS, "demo-nli", dataclasses.replace(entry, splits={**entry.splits, "dev": ("en",)}))
    with pytest.raises(UserError, match="temperature-oracle fits on each language's dev data; 'demo-nli' has no 'de' dev split"):
        _spec(tmp_path, ["none", "temperature-oracle"])


def test_unknown_method_lists_the_oracle(tmp_path):
    with pytest.raises(UserError, match="known: none, temperature, temperature-oracle"):
        _spec(tmp_path, ["none", "platt"])
