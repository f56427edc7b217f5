"""`xstore fill` end to end on the small grid: what it stores, idempotence, growth, failures, locks."""

import json
import shutil

import numpy as np
import pytest

from conftest import run_cli, write_spec
from xstore.db import Store
from xstore.errors import UserError
from xstore.planner import declare
from xstore.spec import load_spec


def _q(folder, sql, params=None):
    with Store(folder / "small.duckdb").connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_declared_cell_is_stored_once(filled_small):
    spec = load_spec(filled_small / "small.toml")
    declared = {c.key: c.kind for c in declare(spec)}
    stored = dict(_q(filled_small, "SELECT key, kind FROM cell"))
    assert stored == declared
    # one prediction per input of each predict cell, and no row outside a stored cell
    per_cell = _q(filled_small, """
        SELECT c.kind, count(p.example_id), count(DISTINCT p.example_id) FROM cell c
        JOIN prediction p ON p.cell_key = c.key GROUP BY c.key, c.kind""")
    assert len(per_cell) == sum(k.startswith("predict") for k in declared.values())
    assert all(n == distinct for _, n, distinct in per_cell)
    for table, column in [("prediction", "cell_key"), ("example", "cell_key"), ("perturbation", "cell_key"),
                          ("training_run", "key"), ("calibration_fit", "key")]:
        orphans = _q(filled_small, f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT key FROM cell)")
        assert orphans == [(0,)], table


def test_predictions_hold_full_logits_and_consistent_labels(filled_small):
    rows = _q(filled_small, "SELECT logits, pred_label, confidence, label, attack, perturbation_id FROM prediction")
    logits = np.array([r[0] for r in rows], dtype=np.float64)
    assert logits.shape[1] == 3 and np.isfinite(logits).all()
    assert [r[1] for r in rows] == logits.argmax(axis=1).tolist()
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    assert np.allclose([r[2] for r in rows], probs.max(axis=1), atol=1e-6)
    assert {r[4] for r in rows} == {"none", "charnoise"}
    assert all((r[5] is None) == (r[4] == "none") for r in rows)
    # the stored gold label is the example's label
    assert _q(filled_small, """SELECT count(*) FROM prediction p JOIN example e ON e.id = p.example_id
                               WHERE p.label <> e.label""") == [(0,)]


def test_zero_shot_protocol_in_the_runs(filled_small):
    runs = _q(filled_small, """SELECT phase, intermediate, task, parent_key, checkpoint_path, checkpoint_sha256, steps
                              FROM training_run ORDER BY phase, intermediate""")
    assert [(r[0], r[1], r[2]) for r in runs] == [
        ("intermediate", "demo-sentiment", "demo-sentiment"),
        ("target", "demo-sentiment", "demo-nli"), ("target", "none", "demo-nli")]
    inter_key = _q(filled_small, "SELECT key FROM training_run WHERE phase = 'intermediate'")[0][0]
    assert runs[1][3] == inter_key and runs[2][3] is None
    from xstore.runners.models import weights_hash

    artifacts = filled_small / "small.xstore"
    for run in runs:
        assert weights_hash(artifacts / run[4]) == run[5]
    # phase 2 keeps the encoder only; phase 3 keeps a classifier
    inter_config = json.loads((artifacts / runs[0][4] / "config.json").read_text())
    target_config = json.loads((artifacts / runs[1][4] / "config.json").read_text())
    assert inter_config["architectures"] == ["XLMRobertaModel"]
    assert target_config["architectures"] == ["XLMRobertaForSequenceClassification"]
    assert runs[1][6] == 8 and runs[0][6] == 6  # max_steps of each phase
    # training curves: a loss row every 2 steps, dev accuracy at the end
    curve = _q(filled_small, "SELECT step, loss, dev_accuracy FROM training_step WHERE run_key = ? ORDER BY step",
               [_q(filled_small, "SELECT key FROM training_run WHERE intermediate = 'none'")[0][0]])
    assert [s for s, _, _ in curve] == [2, 4, 6, 8]
    assert curve[-1][2] is not None and 0 <= curve[-1][2] <= 1


def test_examples_are_english_for_training_and_parallel_for_test(filled_small):
    langs = dict(_q(filled_small, "SELECT split, list(DISTINCT language ORDER BY language) FROM example WHERE task = 'demo-nli' GROUP BY split"))
    assert langs == {"train": ["en"], "dev": ["en"], "test": ["de", "en"]}


def test_temperature_fit_lowers_english_dev_nll(filled_small):
    fits = _q(filled_small, "SELECT temperature, nll_before, nll_after, fit_language, n_examples FROM calibration_fit")
    assert len(fits) == 2
    for temperature, before, after, language, n in fits:
        assert temperature > 0 and after <= before + 1e-12 and language == "en" and n > 0


def test_second_fill_computes_nothing(small_copy, capsys):
    before = _q(small_copy, "SELECT count(*), sum(wall_seconds) FROM cell")
    code, out, _ = run_cli(["fill", small_copy / "small.toml"], capsys)
    assert code == 0
    assert "nothing to compute: all 23 declared cells are already stored" in " ".join(out.split())
    assert _q(small_copy, "SELECT count(*), sum(wall_seconds) FROM cell") == before


def test_adding_a_language_computes_only_its_cells(small_copy, capsys):
    before = {k for (k,) in _q(small_copy, "SELECT key FROM cell")}
    logits_before = _q(small_copy, "SELECT cell_key, example_id, logits FROM prediction ORDER BY ALL")
    write_spec(small_copy, languages=("en", "de", "ru"))
    code, out, _ = run_cli(["fill", small_copy / "small.toml"], capsys)
    assert code == 0
    new = _q(small_copy, "SELECT kind, params->>'language' FROM cell WHERE key NOT IN (SELECT unnest(?))", [list(before)])
    assert sorted(new) == [("load", "ru"), ("perturb", "ru"), ("predict_clean", "ru"), ("predict_clean", "ru"),
                           ("predict_perturbed", "ru"), ("predict_perturbed", "ru")]
    assert "computed 6 cells" in out
    old_rows = _q(small_copy, "SELECT cell_key, example_id, logits FROM prediction WHERE language <> 'ru' ORDER BY ALL")
    assert old_rows == logits_before


def test_failed_cells_are_rows_and_retry_succeeds(small_copy, capsys):
    # a model directory with a config but no weights: training fails, the fill goes on and says so
    model_dir = small_copy / "mymodel"
    model_dir.mkdir()
    tiny = small_copy / "small.xstore" / "pretrained" / "tiny-xlmr-v1"
    shutil.copy(tiny / "config.json", model_dir)
    spec_path = write_spec(small_copy)
    spec_path.write_text(spec_path.read_text().replace('"builtin:tiny-xlmr"', '"mymodel"'))
    code, out, err = run_cli(["fill", spec_path], capsys)
    assert code == 2
    assert "has no weights" in err + out
    failures = _q(small_copy, "SELECT kind, error, attempt FROM failure ORDER BY kind")
    assert [(k, a) for k, _, a in failures] == [("train_intermediate", 1), ("train_target", 1)]
    assert all("has no weights" in e for _, e, _ in failures)
    code, out, _ = run_cli(["status", small_copy / "small.duckdb"], capsys)
    assert code == 0 and "2 cells failed and are not stored" in out
    # without --retry-failed the failed cells stay failed
    code, out, _ = run_cli(["fill", spec_path], capsys)
    assert code == 0 and "8 of 23 declared cells are stored; 2 failed earlier; 13 cells wait on them" in " ".join(out.split())
    for name in ["model.safetensors", "tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(tiny / name, model_dir)
    code, out, _ = run_cli(["fill", spec_path, "--retry-failed"], capsys)
    assert code == 0, out
    assert _q(small_copy, "SELECT count(*) FROM training_run WHERE base_model = 'mymodel'") == [(3,)]
    assert _q(small_copy, "SELECT count(*) FROM failure") == [(2,)]  # history is kept


def test_a_second_fill_is_refused_while_one_runs(small_copy, capsys):
    store = Store(small_copy / "small.duckdb")
    with store.fill_lock():
        code, _, err = run_cli(["fill", small_copy / "small.toml"], capsys)
    assert code == 2 and "is being filled by process" in err


def test_fill_asks_for_upgrade_of_an_old_database(tmp_path, capsys):
    spec_path = write_spec(tmp_path)
    Store(tmp_path / "small.duckdb").upgrade(target=1)
    code, _, err = run_cli(["fill", spec_path], capsys)
    assert code == 2 and "xstore db upgrade" in err
    code, out, _ = run_cli(["db", "upgrade", tmp_path / "small.duckdb"], capsys)
    assert code == 0 and "0002_add_training_step" in out


def test_nan_logits_fail_the_cell_and_store_nothing():
    import pyarrow as pa

    from xstore.planner import CellSpec
    from xstore.runners.predict import prediction_table

    cell = CellSpec("k", "predict_clean", {"task": "t", "split": "test", "language": "de", "attack": "none"}, {"run": "r"})
    inputs = pa.table({"example_id": ["a", "b"], "perturbation_id": pa.array([None, None], pa.string()), "label": [0, 1]})
    good = prediction_table(cell, inputs, np.array([[0.0, 1.0], [2.0, 1.0]], dtype=np.float32))
    assert good.column("pred_label").to_pylist() == [1, 0]
    with pytest.raises(UserError, match="1 of 2 inputs gave NaN or infinite logits"):
        prediction_table(cell, inputs, np.array([[0.0, np.nan], [2.0, 1.0]], dtype=np.float32))


# -- models loaded once per run and kind, and where every cell's time went --

MODEL_LOADS = """
    SELECT kind, coalesce(parents->>'run', parents->>'victim') AS run, count(DISTINCT pid) AS processes,
           count(*) AS cells, sum(models_loaded) AS loads
    FROM cell WHERE kind IN ('predict_clean', 'perturb', 'predict_perturbed', 'fit_calibration')
    GROUP BY ALL ORDER BY ALL"""


def test_a_serial_fill_loads_each_runs_model_once_per_kind(filled_small):
    """The cell rows count the models each cell read from disk rather than found in the process's cache."""
    loads = {(kind, run): (processes, cells, n) for kind, run, processes, cells, n in _q(filled_small, MODEL_LOADS)}
    runs = {run for (_, run) in loads if run is not None}
    assert len(runs) == 2
    # each target run: 3 clean cells (test en and de, dev en), 2 perturbed; its model read once per kind
    for run in runs:
        assert loads["predict_clean", run] == (1, 3, 1) and loads["predict_perturbed", run] == (1, 2, 1)
        assert loads["fit_calibration", run] == (1, 1, 0)  # a fit reads stored logits, never the model
    assert loads["perturb", None] == (1, 2, 0)  # charnoise has no victim: no model


def test_every_cell_accounts_for_its_time(filled_small):
    rows = _q(filled_small, """SELECT kind, wall_seconds, load_seconds, read_seconds, compute_seconds, write_seconds,
                                      resumed_seconds, models_loaded FROM cell""")
    assert len(rows) == 23
    for kind, wall, load, read, compute, write, resumed, models in rows:
        assert min(load, read, compute) >= 0 and write > 0, kind
        assert (read > 0) == (kind != "load"), kind  # a load cell reads files, every other cell the database
        assert load + read + compute == pytest.approx(wall, abs=1e-9), kind
        assert (load > 0) == (models > 0), kind  # only reading a model or a saved state counts as loading
        assert resumed == 0.0  # no training was interrupted
    models = {}
    for kind, *_, n in rows:
        models.setdefault(kind, set()).add(n)
    assert models["load"] == models["fit_calibration"] == models["perturb"] == {0}
    assert models["train_target"] == models["train_intermediate"] == {1}
    run_seconds = _q(filled_small, "SELECT r.wall_seconds, c.wall_seconds FROM training_run r JOIN cell c ON c.key = r.key")
    assert len(run_seconds) == 3
    assert all(0 < run <= cell for run, cell in run_seconds)  # the run's time is its cell's, to the row's making


class _InlinePool:
    """Runs each job as it is submitted, in this process (so a patched runner is seen), one at a time (so
    no job reads the database while the coordinator writes it); records the cells of every job."""

    def __init__(self):
        self.jobs = []

    def submit(self, fn, *args):
        from concurrent.futures import Future

        self.jobs.append([cell.key for cell in args[-1]])
        future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as err:
            future.set_exception(err)
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        pass


@pytest.mark.parametrize(("executor", "where"), [("serial", "own"), ("serial", "shared"), ("local", "shared")])
def test_a_failing_cell_in_a_batch_fails_alone(small_copy, monkeypatch, executor, where):
    """A run's cells of one kind go together (one job, one model load, one length-sorted pass over their inputs);
    one of them failing is one failure row, and the cells before and after it in the batch are stored as a fill
    without the failure stores them. It fails in its own part (reading its inputs) or in the pass it shares with
    the others, which is then run again cell by cell to find the failing one."""
    from xstore import delete, fill as fill_module
    from xstore.fill import batch_key, fill
    from xstore.runners import model_cache, predict
    from xstore.runners.heads import classification

    expected = _q(small_copy, "SELECT cell_key, example_id, label, pred_label, logits FROM prediction ORDER BY ALL")
    store = Store(small_copy / "small.duckdb")
    for (key,) in _q(small_copy, "SELECT key FROM cell WHERE kind LIKE 'predict%'"):  # their fits go with them
        delete.delete(store, delete.Selection(cell=key))
    spec = load_spec(small_copy / "small.toml")
    todo = [c for c in declare(spec) if c.kind.startswith("predict") or c.kind == "fit_calibration"]
    # the second of its run's clean predictions (test en, test de, dev en), so batch-mates come before and after
    doomed = next(c for c in todo if c.kind == "predict_clean" and c.params["language"] == "de")
    prepare, score = predict._prepare, classification.predict

    def prepare_doomed(ctx):
        if ctx.cell.key == doomed.key and where == "own":
            raise RuntimeError("out of memory, say")
        job = prepare(ctx)
        if ctx.cell.key == doomed.key:
            job.examples = [{**e, "doomed": True} for e in job.examples]
        return job

    def score_doomed(model, tokenizer, examples, *args):
        if any(e.get("doomed") for e in examples):
            raise RuntimeError("out of memory, say")
        return score(model, tokenizer, examples, *args)

    monkeypatch.setattr(predict, "_prepare", prepare_doomed)
    monkeypatch.setattr(classification, "predict", score_doomed)
    pool = _InlinePool()
    monkeypatch.setattr(fill_module, "local_pool", lambda workers: pool)
    try:
        report = fill(spec, store, executor=executor)
    finally:
        model_cache.CACHE.clear()  # the inline jobs used this process's cache, as a worker would its own

    assert [(cell.key, message) for cell, message, _ in report.failed] == [(doomed.key, "RuntimeError: out of memory, say")]
    assert _q(small_copy, "SELECT cell_key, error FROM failure") == [(doomed.key, "RuntimeError: out of memory, say")]
    assert report.blocked == []  # nothing depends on a test-split prediction
    stored = {key for (key,) in _q(small_copy, "SELECT key FROM cell")}
    assert {c.key for c in todo} - stored == {doomed.key}
    got = _q(small_copy, "SELECT cell_key, example_id, label, pred_label, logits FROM prediction ORDER BY ALL")
    kept = [row for row in expected if row[0] != doomed.key]
    # as the serial fill stored them, but for float rounding: without the doomed cell, batches are cut differently
    assert [row[:4] for row in got] == [row[:4] for row in kept]
    np.testing.assert_allclose([row[4] for row in got], [row[4] for row in kept], rtol=0, atol=1e-5)
    if executor == "local":  # one job per run and kind: 2 runs x 3 kinds, for 12 cells
        assert len(pool.jobs) == len({batch_key(c) for c in todo}) == 6 < len(todo)
        (batch,) = [keys for keys in pool.jobs if doomed.key in keys]
        assert len(batch) == 3 and batch.index(doomed.key) == 1
    else:
        assert pool.jobs == []
    loads = _q(small_copy, MODEL_LOADS)
    assert {(kind, n) for kind, _, _, _, n in loads if kind.startswith("predict")} == {
        ("predict_clean", 1), ("predict_perturbed", 1)}  # the failed cell's batch-mates loaded the model once
