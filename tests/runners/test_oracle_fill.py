"""Filling the oracle calibration on the small grid: per-language fits, labelled, applied per language."""

import json

import pytest

from xstore.db import Store
from xstore.fill import fill
from xstore.spec import load_spec


def test_oracle_fits_are_stored_and_applied_per_language(small_copy):
    path = small_copy / "small.toml"
    path.write_text(path.read_text().replace('calibration = ["none", "temperature"]',
                                             'calibration = ["none", "temperature", "temperature-oracle"]'))
    spec = load_spec(path)
    store = Store(spec.database_path)
    report = fill(spec, store)
    assert report.exit_code == 0, report.failed
    assert report.computed == {"load": 1, "predict_clean": 2, "fit_calibration": 4}
    with store.connect(read_only=True) as con:
        fits = con.execute("""SELECT run_key, fit_language, fit_split, temperature, params, n_examples
                              FROM calibration_fit WHERE method = 'temperature-oracle'""").fetchall()
        english = dict(con.execute("SELECT run_key, temperature FROM calibration_fit WHERE method = 'temperature'").fetchall())
    assert sorted(f[1] for f in fits) == ["de", "de", "en", "en"]
    for run_key, language, split, temperature, params, n in fits:
        assert split == "dev" and n > 0 and temperature > 0
        assert "oracle upper bound" in json.loads(params)["note"]
        if language == "en":  # the same data as the English-dev fit: the same temperature
            assert temperature == pytest.approx(english[run_key], rel=1e-9)
    from xstore import named

    result = named.run_readonly(store, "confidence_by_language", {}).to_pandas()
    oracle = result[result["calibration"] == "temperature-oracle"]
    expected = {(r, lang): t for r, lang, _, t, _, _ in fits}
    assert len(oracle) == len(result[result["calibration"] == "none"])  # one oracle row per run x language x attack x split
    for row in oracle.itertuples():
        assert row.temperature == pytest.approx(expected[(row.run_key, row.language)])
