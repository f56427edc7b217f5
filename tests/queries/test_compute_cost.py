"""compute_cost on hand-made cell rows, and against pandas on random ones.

Hand-made: run r1 (none, seed 1) trained once after an interrupted attempt of 4 s, predicted twice (the
first prediction loaded its model, the second found it kept) and attacked as a victim; run r2 (demo-sentiment,
seed 2) predicted once by an xstore older than time accounting; one load cell with no run.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

T0 = datetime(2026, 12, 1, 9, 0, 0)
SPLIT = ("load_seconds", "read_seconds", "compute_seconds", "write_seconds", "resumed_seconds", "models_loaded")


def _cells(qdb, rows: list[dict]) -> None:
    """Insert `cell` rows: key, kind, parents and seconds given, the rest plausible; a missing split is NULL."""
    table = pa.table({
        "key": [r["key"] for r in rows], "kind": [r["kind"] for r in rows],
        "params": ["{}"] * len(rows), "parents": [json.dumps(r.get("parents", {})) for r in rows],
        "host": ["h"] * len(rows), "pid": pa.array([1] * len(rows), pa.int32()),
        "started_at": [r.get("started", T0) for r in rows], "finished_at": [r.get("started", T0) for r in rows],
        "wall_seconds": [float(r["wall"]) for r in rows],
        **{name: pa.array([r.get(name) for r in rows], pa.int32() if name == "models_loaded" else pa.float64())
           for name in SPLIT},
    })
    qdb._insert("cell", table)


def _accounted(load, read, compute, write, resumed=0.0, models=0) -> dict:
    return dict(zip(SPLIT, (load, read, compute, write, resumed, models)))


def _fixture(qdb) -> None:
    qdb.add_run("r1", seed=1, intermediate="none")
    qdb.add_run("r2", seed=2, intermediate="demo-sentiment")
    at = [T0 + timedelta(seconds=s) for s in range(10)]
    _cells(qdb, [
        {"key": "L1", "kind": "load", "wall": 1.0, "started": at[0], **_accounted(0.0, 0.1, 0.9, 0.1)},
        {"key": "r1", "kind": "train_target", "parents": {"train:demo-nli": "L1"}, "wall": 10.0, "started": at[1],
         **_accounted(2.0, 1.0, 7.0, 0.5, resumed=4.0, models=1)},
        {"key": "c1", "kind": "predict_clean", "parents": {"run": "r1", "examples": "L1"}, "wall": 3.0, "started": at[2],
         **_accounted(2.0, 0.5, 0.5, 0.2, models=1)},
        {"key": "c2", "kind": "predict_clean", "parents": {"run": "r1", "examples": "L1"}, "wall": 1.0, "started": at[3],
         **_accounted(0.0, 0.5, 0.5, 0.1)},
        {"key": "c3", "kind": "predict_clean", "parents": {"run": "r2", "examples": "L1"}, "wall": 2.0, "started": at[4]},
        {"key": "p1", "kind": "perturb", "parents": {"examples": "L1", "victim": "r1"}, "wall": 5.0, "started": at[5],
         **_accounted(0.0, 0.2, 4.8, 0.3)},
    ])


def _query(qdb) -> pd.DataFrame:
    got = qdb.query("compute_cost")
    return got.astype(object).where(got.notna(), None)  # NULL as None, so rows can be found by run_key


def test_values(qdb):
    _fixture(qdb)
    got = _query(qdb)
    assert got["grain"].tolist() == ["kind x run", "kind", "kind x run", "kind", "kind x run", "kind x run", "kind",
                                     "kind x run", "kind", "grid"]  # kinds in the order first computed, grid last
    assert got["kind"].tolist()[:-1] == ["load"] * 2 + ["train_target"] * 2 + ["predict_clean"] * 3 + ["perturb"] * 2
    rows = by_key(got, "grain", "kind", "run_key")

    load = rows[("kind x run", "load", None)]
    assert (load["cells"], load["seconds"], load["load_share"], load["models_loaded"]) == (1, pytest.approx(1.1), 0.0, 0)

    train = rows[("kind x run", "train_target", "r1")]  # a training cell works for its own run
    assert (train["intermediate"], train["seed"], train["cells"]) == ("none", 1, 1)
    assert train["seconds"] == pytest.approx(10.0 + 0.5 + 4.0)  # wall + write + the interrupted attempt
    assert train["resumed_seconds"] == 4.0 and train["load_share"] == pytest.approx(2.0 / 14.5)

    r1 = rows[("kind x run", "predict_clean", "r1")]
    assert (r1["cells"], r1["models_loaded"], r1["unaccounted_cells"]) == (2, 1, 0)
    assert r1["seconds"] == pytest.approx(3.2 + 1.1) and r1["load_seconds"] == 2.0
    assert r1["load_share"] == pytest.approx(2.0 / 4.3)

    r2 = rows[("kind x run", "predict_clean", "r2")]  # stored before time accounting: cost without a split
    assert (r2["intermediate"], r2["cells"], r2["seconds"], r2["unaccounted_cells"]) == ("demo-sentiment", 1, 2.0, 1)
    assert r2["load_seconds"] is None and r2["load_share"] is None

    kind = rows[("kind", "predict_clean", None)]
    assert (kind["cells"], kind["unaccounted_cells"], kind["models_loaded"]) == (3, 1, 1)
    assert kind["seconds"] == pytest.approx(6.3) and kind["load_share"] == pytest.approx(2.0 / 4.3)
    assert kind["intermediate"] is None  # a total names no run

    victim = rows[("kind x run", "perturb", "r1")]  # an attack works for its victim
    assert victim["seconds"] == pytest.approx(5.3)

    grid = rows[("grid", None, None)]
    assert grid["cells"] == 6 and grid["seconds"] == pytest.approx(1.1 + 14.5 + 4.3 + 2.0 + 5.3)
    assert grid["load_seconds"] == 4.0 and grid["models_loaded"] == 2 and grid["unaccounted_cells"] == 1
    assert grid["load_share"] == pytest.approx(4.0 / (1.1 + 14.5 + 4.3 + 5.3))


def test_agrees_with_pandas_on_random_cells(qdb):
    rng = np.random.default_rng(7)
    runs = [qdb.add_run(f"r{i}", seed=i) for i in range(5)]
    kinds = ["load", "train_target", "predict_clean", "perturb", "predict_perturbed", "fit_calibration"]
    rows = []
    for i in range(300):
        kind = kinds[rng.integers(len(kinds))]
        run = runs[rng.integers(len(runs))]
        parents = {} if kind == "load" else {"victim": run} if kind == "perturb" else {"run": run}
        row = {"key": run if kind == "train_target" and not any(r["key"] == run for r in rows) else f"k{i}",
               "kind": kind, "parents": parents, "wall": rng.uniform(0.1, 9), "started": T0 + timedelta(seconds=i)}
        if rng.random() < 0.9:  # the rest were stored before time accounting
            row |= _accounted(*rng.uniform(0, 3, size=5), models=int(rng.integers(0, 2)))
        rows.append(row)
    _cells(qdb, rows)
    frame = pd.DataFrame([{**r, **{name: r.get(name, np.nan) for name in SPLIT}} for r in rows])
    frame["run_key"] = [r["key"] if r["kind"] == "train_target" else (r["parents"].get("run") or r["parents"].get("victim"))
                        for r in rows]
    frame["seconds"] = frame["wall"] + frame["write_seconds"].fillna(0) + frame["resumed_seconds"].fillna(0)
    got = _query(qdb)
    rows_got = by_key(got, "grain", "kind", "run_key")
    for (kind, run), part in frame.groupby(["kind", frame["run_key"].fillna("-")]):
        row = rows_got[("kind x run", kind, None if run == "-" else run)]
        accounted = part[part["load_seconds"].notna()]
        assert row["cells"] == len(part) and row["unaccounted_cells"] == len(part) - len(accounted)
        assert row["seconds"] == pytest.approx(part["seconds"].sum())
        assert row["compute_seconds"] == pytest.approx(accounted["compute_seconds"].sum()) if len(accounted) else row["compute_seconds"] is None
        if len(accounted):
            assert row["load_share"] == pytest.approx(accounted["load_seconds"].sum() / accounted["seconds"].sum())
    grid = rows_got[("grid", None, None)]
    assert grid["cells"] == 300 and grid["seconds"] == pytest.approx(frame["seconds"].sum())
    assert grid["models_loaded"] == frame["models_loaded"].sum()
    assert len(got) == frame.groupby(["kind", frame["run_key"].fillna("-")]).ngroups + frame["kind"].nunique() + 1
