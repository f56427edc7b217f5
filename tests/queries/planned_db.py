"""A database with the cells a spec declares, filled with made-up rows instead of computed ones.

The planner declares the cells (keys, parameters and parents exactly as a fill would store them); every
declared cell gets its `cell` row, every train cell its `training_run` row, and every predict cell random
prediction rows over the same inputs. So the labels the database derives from cell keys (run variants and
attack settings) can be tested on many configurations in a second, without training or attacking anything.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

from querydb import QueryDB
from xstore.db import Store
from xstore.keys import canonical_json
from xstore.planner import declare
from xstore.spec import load_spec


def fill_planned(spec_path, n_inputs: int = 20, seed: int = 0) -> QueryDB:
    """Migrate the spec's database and write made-up rows for every cell the spec declares."""
    spec = load_spec(spec_path)
    store = Store(spec.database_path)
    store.upgrade()
    db = QueryDB(store)
    rng = np.random.default_rng(seed)
    cells = declare(spec)
    now = datetime(2026, 1, 1)
    with store.connect() as con:
        con.register("_cells", pa.table({
            "key": [c.key for c in cells], "kind": [c.kind for c in cells],
            "params": [canonical_json(c.params) for c in cells], "parents": [canonical_json(c.parents) for c in cells],
            "host": ["test"] * len(cells), "pid": pa.array([0] * len(cells), pa.int32()),
            "started_at": [now] * len(cells), "finished_at": [now] * len(cells), "wall_seconds": [0.0] * len(cells)}))
        con.execute("INSERT INTO cell BY NAME SELECT * FROM _cells")
    for cell in cells:
        p = cell.params
        if cell.kind.startswith("train_"):
            db.add_run(cell.key, seed=p["seed"], intermediate=p["intermediate"], task=p["task"],
                       phase=p["phase"], hparams=p["hparams"], parent_key=cell.parents.get("intermediate"))
    for cell in cells:
        p = cell.params
        if cell.kind in ("predict_clean", "predict_perturbed"):
            logits = rng.normal(size=(n_inputs, 3)) * 2
            labels = rng.integers(0, 3, n_inputs)
            ids = [f"{p['split']}-{p['language']}-{i}" for i in range(n_inputs)]
            changed = rng.random(n_inputs) < 0.7 if p["attack"] != "none" else None
            db.add_predictions(cell.parents["run"], logits, labels, language=p["language"], attack=p["attack"],
                               split=p["split"], example_ids=ids, changed=changed, cell_key=cell.key)
        elif cell.kind == "fit_calibration":
            db.add_fit(cell.parents["run"], 1.0 + rng.random(), method=p["method"], language=p["fit_language"])
    return db
