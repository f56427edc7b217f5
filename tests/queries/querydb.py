"""Fixtures for the named-query tests: a fresh migrated database and a helper that inserts rows.

Not a conftest.py on purpose: without __init__.py files pytest imports every conftest.py as the
module `conftest`, so a second one here would replace tests/conftest.py for the other test modules
that do `from conftest import run_cli, write_spec`. Test modules import the fixtures from here
(`from querydb import qdb`), which pytest then registers for that module.

The helper writes rows the way the runners do (prediction rows through Arrow, logits as FLOAT[],
pred_label = arg-max, confidence = max softmax at T = 1 computed in float64), so each test states
only what it varies: runs, logits, labels, languages, attacks, splits and fitted temperatures.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from xstore import labels, named
from xstore.keys import canonical_json
from xstore.db import Store


class QueryDB:
    """A migrated database file and helpers to fill it and to run named queries on it."""

    def __init__(self, store: Store):
        self.store = store
        self._ids = itertools.count()

    # -- writing -----------------------------------------------------------------------------

    def insert(self, table: str, rows: pa.Table) -> None:
        """Insert an Arrow table of rows (e.g. concatenated run_rows or prediction_rows) in one statement."""
        self._insert(table, rows)

    def _insert(self, table: str, rows: pa.Table) -> None:
        with self.store.connect() as con:
            con.register("_rows", rows)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
            con.unregister("_rows")
            labels.refresh(con)  # as xstore's own writers do after a run or an attacked cell
            if table in labels.SCORED_TABLES or table in ("task", "cell"):
                labels.refresh_scores(con)  # as a fill writes each cell's sums

    def add_run(self, key: str, **options) -> str:
        """One training_run row with every NOT NULL column filled with a plausible value (see run_rows)."""
        self._insert("training_run", self.run_rows(key, **options))
        return key

    @staticmethod
    def run_rows(key: str, *, seed: int = 1, base_model: str = "builtin:tiny-xlmr", intermediate: str = "none",
                 task: str = "demo-nli", phase: str = "target", hparams: dict | None = None,
                 parent_key: str | None = None) -> pa.Table:
        """The training_run row add_run inserts, as an Arrow table (concatenate many to insert them at once)."""
        return pa.table({
            "key": [key], "phase": [phase], "base_model": [base_model], "intermediate": [intermediate],
            "task": [task], "seed": pa.array([seed], pa.int32()), "parent_key": pa.array([parent_key], pa.string()),
            "hparams": [canonical_json(hparams or {})], "code_version": pa.array([1], pa.int32()), "task_versions": ["{}"],
            "status": ["done"], "checkpoint_path": [f"runs/{key}"], "checkpoint_sha256": ["0" * 64],
            "wall_seconds": [1.5], "steps": pa.array([8], pa.int32()), "train_examples": pa.array([64], pa.int32()),
            "dev_accuracy": pa.array([None], pa.float64()),
        })

    def add_predictions(self, run_key: str, logits, labels, **options) -> None:
        """Prediction rows for one run, attack and split (see prediction_rows)."""
        self._insert("prediction", self.prediction_rows(run_key, logits, labels, **options))

    def prediction_rows(self, run_key: str, logits, labels, *, language="en", attack: str = "none",
                        split: str = "test", task: str = "demo-nli", example_ids=None, changed=None,
                        cell_key: str | None = None) -> pa.Table:
        """Prediction rows for one run, attack and split, as an Arrow table; logits are stored as float32.

        `language` is one language for all rows, or a sequence with one language per row. `example_ids`
        names the inputs (to pair clean and perturbed predictions, or two runs); fresh ids by default.
        `changed` (input_changed) is one value or one per row; by default False for clean inputs and True
        for perturbed ones. `cell_key` names the predict cell (by default one per run, language, attack, split).
        """
        z = np.asarray(logits, dtype=np.float32)
        if z.ndim != 2:
            raise ValueError("logits must be a 2-D array (rows x classes)")
        n, k = z.shape
        labels = np.asarray(labels, dtype=np.int32)
        assert labels.shape == (n,)
        shifted = z.astype(np.float64) - z.astype(np.float64).max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        ids = [f"ex{next(self._ids)}" for _ in range(n)] if example_ids is None else [str(i) for i in example_ids]
        assert len(ids) == n
        languages = [language] * n if isinstance(language, str) else [str(x) for x in language]
        assert len(languages) == n
        if changed is None:
            changed = attack != "none"
        changed = [bool(changed)] * n if np.ndim(changed) == 0 else [bool(x) for x in changed]
        return pa.table({
            "cell_key": pa.array([cell_key or f"predict-{run_key}-{x}-{attack}-{split}" for x in languages], pa.string()),
            "example_id": pa.array(ids, pa.string()),
            "perturbation_id": pa.array([None if attack == "none" else f"p-{i}" for i in ids], pa.string()),
            "run_key": pa.array([run_key] * n, pa.string()),
            "task": pa.array([task] * n, pa.string()),
            "split": pa.array([split] * n, pa.string()),
            "language": pa.array(languages, pa.string()),
            "attack": pa.array([attack] * n, pa.string()),
            "label": pa.array(labels, pa.int32()),
            "logits": pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)),
                                               pa.array(z.reshape(-1), pa.float32())),
            "pred_label": pa.array(z.argmax(axis=1).astype(np.int32)),
            "confidence": pa.array(probs.max(axis=1), pa.float64()),
            "input_changed": pa.array(changed, pa.bool_()),
        })

    def add_fit(self, run_key: str, temperature: float, *, method: str = "temperature", language: str = "en",
                at_bound: bool = False) -> None:
        """One calibration_fit row for `run_key` at the given temperature, fit on `language`'s dev set."""
        rows = pa.table({
            "key": [f"fit-{run_key}-{method}-{language}"], "run_key": [run_key], "method": [method],
            "temperature": pa.array([float(temperature)], pa.float64()),
            "params": ['{"search": "golden-section on log T"}'], "fit_task": ["demo-nli"], "fit_split": ["dev"],
            "fit_language": [language], "n_examples": pa.array([10], pa.int32()),
            "nll_before": [0.7], "nll_after": [0.6], "at_bound": [at_bound],
        })
        self._insert("calibration_fit", rows)

    # -- reading -----------------------------------------------------------------------------

    def query(self, name: str, **params) -> pd.DataFrame:
        """The named query's result as a DataFrame (read-only connection, parameters bound by name)."""
        with self.store.connect(read_only=True) as con:
            return named.run(con, name, params).df()


_MIGRATED: list[Path] = []  # one migrated empty database per test session, copied for each test


def _migrated_template() -> Path:
    """An empty database with every migration applied, made once: copying it takes under a millisecond,
    migrating takes ~70 ms, and the query tests make a fresh database each, a few hundred times."""
    if not _MIGRATED:
        folder = Path(tempfile.mkdtemp(prefix="xstore-querydb-"))
        atexit.register(shutil.rmtree, folder, True)
        Store(folder / "template.duckdb").upgrade()
        _MIGRATED.append(folder / "template.duckdb")
    return _MIGRATED[0]


@pytest.fixture
def qdb(tmp_path) -> QueryDB:
    """A fresh database with every migration applied, and helpers to fill and query it."""
    shutil.copyfile(_migrated_template(), tmp_path / "q.duckdb")
    return QueryDB(Store(tmp_path / "q.duckdb"))


def by_key(frame: pd.DataFrame, *columns: str) -> dict:
    """Rows of `frame` as a dict keyed by the tuple of `columns` (fails on a duplicate key)."""
    out = {}
    for row in frame.to_dict("records"):
        key = tuple(row[c] for c in columns)
        assert key not in out, f"duplicate row for {key}"
        out[key] = row
    return out
