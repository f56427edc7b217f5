"""Query output at scale: `xstore query --format csv` (and json) of 10 million prediction rows, streamed from
Arrow record batches, against DuckDB's own `COPY ... TO` of the same rows in the same run.

Each way runs as its own process, as a user would run it, writing to a file; its peak resident memory is the
process's own (os.wait4), start-up included, and rows/s counts wall time from start to exit. A bare start-up of
each (`SELECT 1`) is measured too, so what the rows themselves cost is the difference. Every output must
hold exactly the rows stored (one line each, plus the header) before anything is reported.
Run: python bench/output.py [--rows N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, result  # noqa: E402

# Synthetic prediction rows made in SQL (no Python lists of 10 million strings): 1,000 cells, 100 runs, 10
# languages, three FLOAT logits each; the query is what a user exporting predictions would run.
FILL = """
INSERT INTO prediction BY NAME SELECT
    'cell' || lpad((i // 10000)::VARCHAR, 5, '0') AS cell_key,
    'ex' || lpad(i::VARCHAR, 9, '0') AS example_id,
    'run' || lpad((i // 100000)::VARCHAR, 4, '0') AS run_key,
    'xnli' AS task, 'test' AS split,
    ['en', 'de', 'fr', 'es', 'ru', 'ar', 'hi', 'th', 'zh', 'sw'][i % 10 + 1] AS language,
    'none' AS attack, (i % 3)::INTEGER AS label,
    [random() * 4 - 2, random() * 4 - 2, random() * 4 - 2]::FLOAT[] AS logits,
    (i % 3)::INTEGER AS pred_label, 0.34 + random() * 0.66 AS confidence
FROM range(?) AS t(i)
"""
QUERY = "SELECT * FROM prediction"
# DuckDB reading the same rows as Arrow record batches and writing nothing: what streaming costs before any output.
SCAN = [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "con.execute('SET enable_progress_bar = false'); "
        f"print(sum(b.num_rows for b in con.sql('{QUERY}').to_arrow_reader({65_536})))"]


def _database(folder: Path, rows: int) -> Path:
    from xstore.db import Store

    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "out.duckdb")
    store.upgrade()
    with store.connect() as con:
        con.execute("SELECT setseed(0.5)").fetchall()
        con.execute(FILL, [rows]).fetchall()
    return store.path


# Linux keeps a process's peak resident set across exec, and a forked child starts with its parent's current one,
# so a command started from this (large) process would inherit it. A small launcher forks the command instead and
# reports what os.wait4 says of it: its own peak, plus the launcher's few MiB.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def _measure(args: list[str], stdout_path: Path) -> tuple[float, float]:
    """Run a command with stdout to a file; (wall seconds, peak resident MiB of that process)."""
    errors, report = stdout_path.with_suffix(".stderr"), stdout_path.with_suffix(".rusage")
    with open(stdout_path, "wb") as sink, open(errors, "wb") as err:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(report), *args], stdout=sink, stderr=err, check=True)
        wall = time.perf_counter() - t0
    code, peak_kib = map(int, report.read_text().split())
    if code != 0:
        raise SystemExit(f"{args[:3]} failed: {errors.read_text()[-2000:]}")
    return wall, peak_kib / 1024  # Linux reports KiB


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))


def measure(rows: int) -> list[dict]:
    xstore = str(Path(sys.executable).with_name("xstore"))
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in (rows // 10, rows):  # a tenth of the rows too: how peak memory grows with the result
            db = _database(folder / str(n), n)
            copy_to = folder / str(n) / "copy.csv"
            copy = [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True).execute("
                    f"\"COPY ({QUERY}) TO '{copy_to}' (HEADER)\")", str(db)]
            outputs = {"copy": (copy, copy_to, n + 1), "scan": (SCAN + [str(db)], folder / str(n) / "scan.txt", 1)}
            for fmt in ("csv", "json"):
                path = folder / str(n) / f"xstore.{fmt}"
                command = [xstore, "query", "--sql", QUERY, "--db", str(db), "-f", fmt]
                outputs[fmt] = (command, path, n + 1 if fmt == "csv" else n + 2)  # json: "[", a line per row, "]"
            for name, (command, path, lines) in outputs.items():
                figures[name, n] = _measure(command, path if name != "copy" else path.with_suffix(".stdout"))
                if _lines(path) != lines:
                    raise SystemExit(f"{name}: {path.name} holds {_lines(path)} lines, expected {lines}")
                path.unlink()
            figures["start", n] = _measure([xstore, "query", "--sql", "SELECT 1", "--db", str(db), "-f", "csv"],
                                           folder / "start.csv")
    small, copy_wall, copy_peak = rows // 10, *figures["copy", rows]
    out = [result("output", f"DuckDB COPY ... TO csv, {rows:,} prediction rows: rows/s", rows / copy_wall, "rows/s"),
           result("output", "  its peak memory (process)", copy_peak, "MiB"),
           result("output", "xstore query start-up alone (SELECT 1): peak memory", figures["start", rows][1], "MiB"),
           result("output", f"DuckDB's own scan to Arrow batches, no output: peak memory, {rows:,} rows",
                  figures["scan", rows][1], "MiB"),
           result("output", f"  the same for {small:,} rows", figures["scan", small][1], "MiB")]
    for fmt in ("csv", "json"):
        wall, peak = figures[fmt, rows]
        out += [result("output", f"xstore query -f {fmt}, {rows:,} prediction rows: rows/s", rows / wall, "rows/s",
                       "DuckDB COPY ... TO csv", copy_wall / wall),
                result("output", "  its peak memory (process)", peak, "MiB", "DuckDB COPY ... TO csv", peak / copy_peak),
                result("output", f"  peak memory for {small:,} rows", figures[fmt, small][1], "MiB",
                       f"for {rows:,} rows", figures[fmt, small][1] / peak, "bounded however many rows")]
    return out


def run(quick: bool = False) -> list[dict]:
    return measure(50_000 if quick else 10_000_000)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 rows")
    args = parser.parse_args()
    print_table(measure(50_000 if args.quick else args.rows), "query output to files")
