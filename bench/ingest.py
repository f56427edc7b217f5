"""Ingest: prediction rows per second through the Arrow path xstore uses, against SQLModel add_all.

Both write the same rows (full FLOAT[] logits) into a migrated xstore database file on disk. A third
measure writes the Arrow rows in ten cells into `prediction` as migrated (no primary key) and into the same
table with a primary key on (cell_key, example_id, unit): why `prediction` has none.
Run: python bench/ingest.py [--rows N] [--orm-rows N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, prediction_rows, result  # noqa: E402


def _arrow_rate(db: Path, rows) -> float:
    import xstore.schema  # noqa: F401  (loaded by every fill before its first write; not a write's cost)
    from xstore.db import Store

    store = Store(db)
    store.upgrade()
    row = {"key": "c", "kind": "predict_clean", "params": {}, "parents": {}, "host": "h", "pid": 1,
           "started_at": "2026-01-01 00:00:00", "finished_at": "2026-01-01 00:00:00", "wall_seconds": 0.0}
    t0 = time.perf_counter()
    store.write_cell(row, {"prediction": rows})  # the fill's own write path: one transaction
    return rows.num_rows / (time.perf_counter() - t0)


def _orm_rate(db: Path, rows) -> float:
    from sqlmodel import Session, create_engine

    from xstore.db import Store
    from xstore.schema import Prediction

    Store(db).upgrade()
    objects = [Prediction(**r) for r in rows.to_pylist()]
    engine = create_engine(f"duckdb:///{db}")
    t0 = time.perf_counter()
    with Session(engine) as session:
        session.add_all(objects)
        session.commit()
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return len(objects) / elapsed


def _last_cell_rate(db: Path, rows, primary_key: bool) -> tuple[float, float]:
    """Rows/s of the last of ten cells written into `prediction` (the table then holds 90% of the rows),
    and the file's MiB at the end; `primary_key` adds PRIMARY KEY (cell_key, example_id, unit)."""
    import duckdb

    from xstore.db import Store

    Store(db).upgrade()
    con = duckdb.connect(str(db))
    if primary_key:
        con.execute("ALTER TABLE prediction ADD PRIMARY KEY (cell_key, example_id, unit)")
    part = rows.num_rows // 10
    for i in range(10):
        con.register("_rows", rows.slice(i * part, part))
        t0 = time.perf_counter()
        con.execute("BEGIN")
        con.execute("INSERT INTO prediction BY NAME SELECT * FROM _rows")
        con.execute("COMMIT")
        elapsed = time.perf_counter() - t0
    con.close()
    return part / elapsed, db.stat().st_size / 2**20


def run(quick: bool = False) -> list[dict]:
    n_arrow, n_orm = (50_000, 2_000) if quick else (2_000_000, 20_000)
    return measure(n_arrow, n_orm)


def measure(n_arrow: int, n_orm: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        arrow = _arrow_rate(Path(tmp) / "arrow.duckdb", prediction_rows(n_arrow))
        orm = _orm_rate(Path(tmp) / "orm.duckdb", prediction_rows(n_orm))
        plain, plain_mib = _last_cell_rate(Path(tmp) / "plain.duckdb", prediction_rows(n_arrow), primary_key=False)
        keyed, keyed_mib = _last_cell_rate(Path(tmp) / "keyed.duckdb", prediction_rows(n_arrow), primary_key=True)
    return [
        result("ingest", f"Arrow insert, {n_arrow:,} rows", arrow, "rows/s", "SQLModel add_all", arrow / orm,
               ">= 100x and >= 1M rows/s"),
        result("ingest", f"SQLModel add_all, {n_orm:,} rows", orm, "rows/s"),
        result("ingest", f"last of 10 cells into prediction ({n_arrow:,} rows in all), no primary key", plain,
               "rows/s", "with a primary key", plain / keyed, "> 1: why prediction has none"),
        result("ingest", "  with PRIMARY KEY (cell_key, example_id, unit)", keyed, "rows/s"),
        result("ingest", "  file size, no primary key", plain_mib, "MiB", "with a primary key", plain_mib / keyed_mib),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--orm-rows", type=int, default=20_000)
    args = parser.parse_args()
    print_table(measure(args.rows, args.orm_rows), "ingest")
