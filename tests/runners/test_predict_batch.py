"""A run's prediction cells scored together (runners/predict.py run_batch, xstore.cells.compute_batch): one
length-sorted pass over all their inputs, the same rows as each cell alone, and each cell's fair share of time."""

import time

import numpy as np
import pytest

from xstore.db import Store
from xstore.planner import declare
from xstore.spec import load_spec


def _clean_batch(folder):
    """The first target run's predict_clean cells of the small grid (test en, test de, dev en) and its spec."""
    spec = load_spec(folder / "small.toml")
    clean = [c for c in declare(spec) if c.kind == "predict_clean"]
    run = sorted({c.parents["run"] for c in clean})[0]
    return spec, [c for c in clean if c.parents["run"] == run]


def _spy_on_predict(monkeypatch, clock=None, pause: float = 0.0) -> list[int]:
    """Count the inputs of every call to the classification head's predict (advancing `clock` by `pause` in it)."""
    from xstore.runners.heads import classification

    calls, original = [], classification.predict

    def predict(model, tokenizer, examples, features, batch_size):
        calls.append(len(examples))
        if clock is not None:
            clock.now += pause
        return original(model, tokenizer, examples, features, batch_size)

    monkeypatch.setattr(classification, "predict", predict)
    return calls


class _Clock:
    """A perf_counter that moves only when told: the seconds a test charges are the only ones counted."""

    def __init__(self):
        self.now = 1000.0

    def perf_counter(self):
        return self.now


def test_a_runs_cells_share_one_pass_and_store_what_each_alone_would(filled_small, monkeypatch):
    """Batches cut from the union of the cells' inputs pad differently than batches cut per cell, which moves
    logits by float rounding only (allclose; labels and arg-max exact); a cell alone gives what it always did."""
    from xstore.cells import compute, compute_batch

    spec, batch = _clean_batch(filled_small)
    store = Store(filled_small / "small.duckdb")
    calls = _spy_on_predict(monkeypatch)
    together = {cell.key: outcome for cell, outcome in compute_batch(batch, spec, store)}
    assert len(calls) == 1 and len(batch) == 3  # one pass over the three cells' inputs
    sizes = []
    for cell in batch:
        row, tables = together[cell.key]
        alone = compute(cell, spec, store)[1]["prediction"]
        got = tables["prediction"]
        sizes.append(got.num_rows)
        assert got.num_rows == alone.num_rows > 0
        for column in ("cell_key", "example_id", "perturbation_id", "label", "pred_label", "unit", "language"):
            assert got.column(column).to_pylist() == alone.column(column).to_pylist(), column
        np.testing.assert_allclose(np.array(got.column("logits").to_pylist()),
                                   np.array(alone.column("logits").to_pylist()), rtol=0, atol=1e-5)
        np.testing.assert_allclose(got.column("confidence").to_numpy(), alone.column("confidence").to_numpy(),
                                   rtol=0, atol=1e-6)
        with store.connect(read_only=True) as con:  # the fill of the fixture batched the same cells the same way
            stored = dict(con.execute("SELECT example_id, logits FROM prediction WHERE cell_key = ?",
                                      [cell.key]).fetchall())
        assert got.column("logits").to_pylist() == [stored[e] for e in got.column("example_id").to_pylist()]
    assert calls == [sum(sizes), *sizes]  # then each cell alone, through `compute`


def test_the_shared_seconds_are_split_by_tokens(filled_small, monkeypatch):
    """Seconds spent in the shared pass are charged to the cells in proportion to their tokens (a clock that moves
    only inside the model's pass, so nothing else counts); each cell's row adds up, load + read + compute = wall."""
    from transformers import AutoTokenizer

    from xstore import cells
    from xstore.cells import compute_batch
    from xstore.runners import predict
    from xstore.runners.common import example_dicts
    from xstore.runners.heads import classification
    from xstore.runners.heads._batches import feature_length

    pause, clock = 6.0, _Clock()
    monkeypatch.setattr(predict, "time", clock)
    monkeypatch.setattr(cells, "time", clock)
    spec, batch = _clean_batch(filled_small)
    store = Store(filled_small / "small.duckdb")
    _spy_on_predict(monkeypatch, clock, pause)
    rows = {cell.key: outcome[0] for cell, outcome in compute_batch(batch, spec, store)}
    with store.connect(read_only=True) as con:
        path = con.execute("SELECT checkpoint_path FROM training_run WHERE key = ?",
                           [batch[0].parents["run"]]).fetchall()[0][0]
        tokenizer = AutoTokenizer.from_pretrained(store.artifacts / path)
        tokens = {}
        for cell in batch:
            inputs = con.sql("SELECT text_a, text_b, label FROM example WHERE cell_key = ? ORDER BY idx",
                             params=[cell.parents["examples"]]).to_arrow_table()
            features = classification.encode(tokenizer, example_dicts(inputs), cell.params["max_length"])
            tokens[cell.key] = sum(feature_length(f) for f in features)
    assert len(set(tokens.values())) > 1  # the cells differ in tokens, so an even split would show
    for key, row in rows.items():
        assert row["compute_seconds"] == pytest.approx(pause * tokens[key] / sum(tokens.values())), key
        assert row["read_seconds"] == 0.0  # on this clock
        assert row["load_seconds"] + row["read_seconds"] + row["compute_seconds"] == pytest.approx(row["wall_seconds"])
    assert sum(row["compute_seconds"] for row in rows.values()) == pytest.approx(pause)
