"""A whole demo fill: the share of wall time spent outside model compute, and writing rows.

Runs the demo spec in a temporary folder with timers around the database reads and writes and around
each runner. Model compute = runner time minus its database reads and its model loading (the cells'
`load_seconds`); everything else is overhead. Writing rows = time inside Store.write_cell (and, with
--executor local, shards.ingest). bench/train.py reuses
`timed_fill` for its XNLI fill. Run: python bench/fill_share.py [--quick] [--executor local]
(--quick: one seed, two languages)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _timed(owner, name: str, bucket: dict, key: str):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket[key] += time.perf_counter() - t0

    setattr(owner, name, wrapper)
    return original


def timed_fill(spec_path: Path, executor: str = "serial") -> tuple:
    """Fill `spec_path` with timers on; returns (FillReport, wall seconds, seconds per bucket).

    Buckets: read (CellContext.fetch), write (Store.write_cell: a cell's rows and its `cell` row in one
    transaction), ingest (shards.ingest: reading a worker's Parquet shard and writing it, write included;
    other executors only), runner (the runners' time as the cells recorded it, `wall_seconds`: reads included;
    a batch computed together split between its cells; meaningful for the serial executor only, where they
    run in this process), import (importing torch and transformers, which the first runner would otherwise do: timed
    on its own at the start of the fill's wall time), load (reading models and saved training states from
    disk, inside the runners: the `load_seconds` the cells recorded).
    """
    import importlib

    import xstore.fill as fill_module
    from xstore import cells, shards
    from xstore.db import Store
    from xstore.spec import load_spec

    spent = {"read": 0.0, "write": 0.0, "ingest": 0.0, "import": 0.0}
    originals = [
        (cells.CellContext, "fetch", _timed(cells.CellContext, "fetch", spent, "read")),
        (Store, "write_cell", _timed(Store, "write_cell", spent, "write")),
        (shards, "ingest", _timed(shards, "ingest", spent, "ingest")),
    ]
    try:
        spec = load_spec(spec_path)
        t0 = time.perf_counter()
        for name in ("torch", "transformers"):
            importlib.import_module(name)
        spent["import"] = time.perf_counter() - t0
        report = fill_module.fill(spec, Store(spec.database_path), executor=executor)
        total = time.perf_counter() - t0
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    if report.exit_code != 0:
        raise SystemExit(f"the fill of {spec_path} failed: {report.failed}")
    with Store(spec.database_path).connect(read_only=True) as con:
        spent["load"], spent["runner"] = con.execute(
            "SELECT coalesce(sum(load_seconds), 0), coalesce(sum(wall_seconds), 0) FROM cell").fetchone()
    return report, total, spent


def write_rows(bench: str, total: float, spent: dict) -> list[dict]:
    """The rows for the share of a fill's wall time spent writing rows (goal < 5%)."""
    rows = [result(bench, "  share in database writes (Store.write_cell)", spent["write"] / total * 100, "%", "", None,
                   "< 5%")]
    if spent["ingest"]:
        rows.append(result(bench, "  share in shard ingest (Parquet read + write)", spent["ingest"] / total * 100, "%",
                           "", None, "< 5%"))
    return rows


def measure(quick: bool, executor: str = "serial") -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "demo.toml"
        shutil.copy(ROOT / "xstore" / "demo" / "demo.toml", spec_path)
        if quick:
            text = spec_path.read_text().replace('["en", "de", "fr", "ru"]', '["en", "de"]').replace("[1, 2]", "[1]")
            spec_path.write_text(text)
        report, total, spent = timed_fill(spec_path, executor)
    cells = sum(report.computed.values())
    rows = [result("fill", f"demo fill, {cells} cells, {executor}: wall time", total, "s")]
    if executor == "serial":  # runners run in this process only here
        model = spent["runner"] - spent["read"] - spent["load"]
        rows.append(result("fill", "  share outside model compute", (total - model) / total * 100, "%", "", None,
                           "< 10%"))
        rows.append(result("fill", "    of which loading models (the cells' load_seconds)",
                           spent["load"] / total * 100, "%"))
        rows.append(result("fill", "    of which importing torch and transformers (once)",
                           spent["import"] / total * 100, "%"))
    rows.append(result("fill", "  share in database reads", spent["read"] / total * 100, "%"))
    return rows + write_rows("fill", total, spent)


def run(quick: bool = False) -> list[dict]:
    return measure(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--executor", choices=["serial", "local"], default="serial",
                        help="local: 2 worker processes write Parquet shards that this process ingests")
    args = parser.parse_args()
    print_table(measure(args.quick, args.executor), "demo fill")
