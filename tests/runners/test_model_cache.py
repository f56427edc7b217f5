"""The models a fill process keeps between cells (runners/model_cache.py): found again only for the same
checkpoint and weights, never more of them than `keep_models`, and a fill's loads follow the budget."""

import pytest

from conftest import write_spec
from xstore.db import Store
from xstore.errors import UserError
from xstore.spec import load_spec


def _runs(folder):
    """(checkpoint folder, sha256) of the two target runs of the small grid."""
    with Store(folder / "small.duckdb").connect(read_only=True) as con:
        rows = con.execute("SELECT checkpoint_path, checkpoint_sha256 FROM training_run WHERE phase = 'target' "
                           "ORDER BY key").fetchall()
    return [(folder / "small.xstore" / path, sha) for path, sha in rows]


@pytest.mark.parametrize(("keep", "order", "loads"), [
    (1, "AABB", 2),  # a run's cells together: one load each
    (1, "ABAB", 4),  # alternating runs with room for one: every request loads
    (2, "ABAB", 2),  # room for both
    (0, "AABB", 4),  # keep nothing: load afresh every time
])
def test_the_cache_keeps_at_most_keep_models(filled_small, keep, order, loads):
    from transformers import AutoModelForSequenceClassification

    from xstore.runners.model_cache import ModelCache

    runs = dict(zip("AB", _runs(filled_small)))
    cache, seen, held = ModelCache(), {}, []
    for name in order:
        path, sha = runs[name]
        model, tokenizer, seconds = cache.get(path, sha, AutoModelForSequenceClassification, keep)
        seen.setdefault(name, []).append((model, seconds))
        held.append(len(cache))
    assert sum(seconds is not None for pairs in seen.values() for _, seconds in pairs) == loads
    assert max(held) == keep  # never more than the budget (nothing at all at 0)
    if loads == 2:  # every repeat was the very model loaded first
        assert all(later is first for (first, _), *rest in seen.values() for later, _ in rest)
    cache.clear()
    assert len(cache) == 0


def test_the_same_path_with_other_weights_or_class_is_loaded_again(filled_small):
    from transformers import AutoModel, AutoModelForSequenceClassification

    from xstore.runners.model_cache import ModelCache

    (path, sha), _ = _runs(filled_small)
    cache = ModelCache()
    first, _, seconds = cache.get(path, sha, AutoModelForSequenceClassification, 3)
    assert seconds is not None
    assert cache.get(path, sha, AutoModelForSequenceClassification, 3)[0] is first
    assert cache.get(path, "0" * 64, AutoModelForSequenceClassification, 3)[2] is not None  # refilled path
    other, _, seconds = cache.get(path, sha, AutoModel, 3)
    assert seconds is not None and type(other).__name__ == "XLMRobertaModel"
    assert len(cache) == 3
    cache.clear()


def test_the_environment_overrides_the_spec(tmp_path, monkeypatch):
    from xstore.runners.model_cache import ENV, keep_models

    path = write_spec(tmp_path)
    path.write_text(path.read_text().replace("[predict]\n", "[predict]\nkeep_models = 3\n"))
    spec = load_spec(path)
    monkeypatch.delenv(ENV, raising=False)
    assert keep_models(spec) == 3
    monkeypatch.setenv(ENV, "0")
    assert keep_models(spec) == 0
    for bad in ("-1", "two"):
        monkeypatch.setenv(ENV, bad)
        with pytest.raises(UserError, match=f"{ENV}={bad!r}: give a whole number"):
            keep_models(spec)


@pytest.mark.parametrize(("how", "keep"), [("spec", 2), ("env", 0)])
def test_a_fill_loads_as_its_budget_allows(small_copy, monkeypatch, how, keep):
    """Serially, the batches go: run A's clean predictions, run B's, the attacks, A's perturbed, B's perturbed.
    With room for two models the perturbed predictions load nothing; with none, every batch of predictions
    loads its model once (its cells are scored together: runners/predict.py run_batch)."""
    from xstore import delete
    from xstore.fill import fill
    from xstore.runners import model_cache
    from xstore.runners.model_cache import ENV

    monkeypatch.delenv(ENV, raising=False)
    store = Store(small_copy / "small.duckdb")
    with store.connect(read_only=True) as con:
        keys = [key for (key,) in con.execute("SELECT key FROM cell WHERE kind LIKE 'predict%'").fetchall()]
    for key in keys:
        delete.delete(store, delete.Selection(cell=key))
    path = small_copy / "small.toml"
    if how == "spec":
        path.write_text(path.read_text().replace("[predict]\n", f"[predict]\nkeep_models = {keep}\n"))
    else:
        monkeypatch.setenv(ENV, str(keep))
    model_cache.CACHE.clear()  # whatever an earlier test in this process left
    held = []
    monkeypatch.setattr(model_cache, "listeners", [lambda load: held.append(len(model_cache.CACHE))])
    report = fill(load_spec(path), store)
    assert report.exit_code == 0 and sum(report.computed.values()) == len(keys) + 2  # and the 2 fits
    with store.connect(read_only=True) as con:
        loads = dict(con.execute("SELECT kind, sum(models_loaded) FROM cell WHERE kind LIKE 'predict%' "
                                 "GROUP BY kind").fetchall())
    if keep == 2:
        assert loads == {"predict_clean": 2, "predict_perturbed": 0} and held == [1, 2]
    else:
        assert loads == {"predict_clean": 2, "predict_perturbed": 2} and held == [0] * 4
    assert len(model_cache.CACHE) == 0  # the fill dropped what it kept
