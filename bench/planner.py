"""Planner: time to plan a ~100,000-cell spec against a database that already holds half of them.

Baseline: the same declared-minus-stored computed in Python (a set difference over keys fetched from
the database), to show the anti-join is not the cost. Run: python bench/planner.py [--seeds N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, result  # noqa: E402

SPEC = """
database = "plan.duckdb"
[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["none", "demo-sentiment"]
targets = ["demo-nli"]
languages = ["en", "de", "fr", "es", "ru"]
seeds = {seeds}
attacks = ["none", "charnoise"]
calibration = ["none", "temperature"]
"""


def measure(seeds: int) -> list[dict]:
    from xstore.db import Store
    from xstore.planner import declare, plan
    from xstore.spec import load_spec

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.toml"
        path.write_text(SPEC.format(seeds=list(range(1, seeds + 1))))
        spec = load_spec(path)
        store = Store(spec.database_path)
        store.upgrade()
        cells = declare(spec)
        half = cells[::2]
        now = datetime.now()
        with store.connect() as con:
            con.register("done", pa.table({
                "key": [c.key for c in half], "kind": [c.kind for c in half], "params": ["{}"] * len(half),
                "parents": ["{}"] * len(half), "host": ["h"] * len(half), "pid": [1] * len(half),
                "started_at": [now] * len(half), "finished_at": [now] * len(half), "wall_seconds": [0.0] * len(half)}))
            con.execute("INSERT INTO cell BY NAME SELECT * FROM done").fetchall()
        t0 = time.perf_counter()
        cells = declare(load_spec(path))
        t_declare = time.perf_counter() - t0
        with store.connect(read_only=True) as con:
            t1 = time.perf_counter()
            result_plan = plan(con, cells)
            t_antijoin = time.perf_counter() - t1
            t2 = time.perf_counter()
            stored = {k for (k,) in con.execute("SELECT key FROM cell").fetchall()}
            missing_py = [c for c in cells if c.key not in stored]
            t_python = time.perf_counter() - t2
        assert len(result_plan.missing) == len(missing_py) == len(cells) - len(half)
    total = t_declare + t_antijoin
    return [
        result("planner", f"plan {len(cells):,} cells, half stored", total, "s", "", None, "< 1 s"),
        result("planner", "  of which: expand spec into keyed cells", t_declare, "s"),
        result("planner", "  of which: anti-join against `cell`", t_antijoin, "s", "Python set difference",
               t_python / t_antijoin),
    ]


def run(quick: bool = False) -> list[dict]:
    return measure(400 if quick else 3700)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3700, help="3,700 seeds declare about 100,000 cells")
    print_table(measure(parser.parse_args().seeds), "planner")
