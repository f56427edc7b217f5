"""Memory while a fill writes many rows: does resident memory stay flat as cells are stored?

Writes `--cells` cells of `--rows` synthetic prediction rows each (3 FLOAT logits per row) through
`Store.write_cell`, as the fill does: inside `Store.held` (a serial fill: one connection kept open) and
with a connection per cell (shard ingest). Resident memory is read after every cell; flat means the second half of the cells peaks no higher than
the first. The baseline keeps
every cell's rows in one list and writes them at the end, the all-rows-in-memory design the fill avoids.
Each variant runs in its own forked process, so its memory is its own.
Run: python bench/memory.py [--cells N] [--rows N] [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, prediction_rows, result  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cell(i: int, rows: int):
    import pyarrow as pa

    table = prediction_rows(rows, seed=i)
    key = f"cell{i:05d}"
    table = table.set_column(0, "cell_key", pa.array([key] * rows))
    return {"key": key, "kind": "predict_clean", "params": {}, "parents": {}, "host": "h", "pid": 1,
            "started_at": "2026-01-01 00:00:00", "finished_at": "2026-01-01 00:00:00", "wall_seconds": 0.0}, table


def _variant(name: str, db: str, cells: int, rows: int, out) -> None:
    import contextlib

    import pyarrow as pa

    from xstore.db import Store

    store = Store(db)
    store.upgrade()
    start = _rss_mib()
    trace, kept = [], []
    holding = store.held(idle=3600) if name == "held" else contextlib.nullcontext()
    with holding:
        for i in range(cells):
            cell_row, table = _cell(i, rows)
            if name == "all rows in memory":
                kept.append((cell_row, table))
            else:
                store.write_cell(cell_row, {"prediction": table})
            del table
            trace.append(_rss_mib() - start)
        if kept:
            everything = pa.concat_tables([t for _, t in kept])
            with store.connect() as con:
                con.register("_rows", everything)
                con.execute("INSERT INTO prediction BY NAME SELECT * FROM _rows").fetchall()
            trace.append(_rss_mib() - start)
    with store.connect(read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM prediction").fetchall()[0][0]
    out.put((trace, stored))


def _run_variant(name: str, cells: int, rows: int) -> tuple[list[float], int]:
    context = multiprocessing.get_context("fork")  # no torch here: forking is safe and keeps start-up cheap
    queue = context.Queue()
    with tempfile.TemporaryDirectory() as tmp:
        child = context.Process(target=_variant, args=(name, str(Path(tmp) / "m.duckdb"), cells, rows, queue))
        child.start()
        trace, stored = queue.get()
        child.join()
    if stored != cells * rows:
        raise SystemExit(f"{name}: stored {stored} rows, expected {cells * rows}")
    return trace, stored


def measure(cells: int, rows: int) -> list[dict]:
    total = cells * rows
    out = []
    baseline_peak = None
    for name in ("all rows in memory", "held", "per-cell connection"):
        trace, _ = _run_variant(name, cells, rows)
        peak = max(trace)
        half = len(trace) // 2
        if baseline_peak is None:
            baseline_peak = peak
            out.append(result("memory", f"{name}: peak above start, {total:,} rows", peak, "MiB"))
            continue
        out.append(result("memory", f"{name}: peak above start, {total:,} rows", peak, "MiB",
                          "all rows in memory", peak / baseline_peak))
        out.append(result("memory", "  peak over the second half of the cells minus the first half",
                          max(trace[half:]) - max(trace[:half]), "MiB", "", None, "~0: flat"))
    return out


def run(quick: bool = False) -> list[dict]:
    return measure(*((16, 10_000) if quick else (200, 50_000)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--rows", type=int, default=50_000, help="prediction rows per cell")
    parser.add_argument("--quick", action="store_true", help="16 cells of 10,000 rows")
    args = parser.parse_args()
    cells, rows = (16, 10_000) if args.quick else (args.cells, args.rows)
    print_table(measure(cells, rows), "memory while writing rows")
