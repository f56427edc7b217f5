"""A whole demo fill: the share of wall time spent outside model compute (planning, reads, writes).

Runs `examples/demo.toml` in a temporary folder with timers around the database reads and writes and
around each runner. Model compute = runner time minus its database reads; everything else is overhead.
Run: python bench/fill_share.py [--quick]   (--quick: one seed, two languages)
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


def measure(quick: bool) -> list[dict]:
    import xstore.fill as fill_module
    from xstore.db import Store
    from xstore.spec import load_spec

    spent = {"read": 0.0, "write": 0.0, "runner": 0.0}
    originals = [
        (fill_module.CellContext, "fetch", _timed(fill_module.CellContext, "fetch", spent, "read")),
        (Store, "write_cell", _timed(Store, "write_cell", spent, "write")),
    ]
    real_runner = fill_module._runner

    def timed_runner(kind):
        function = real_runner(kind)

        def run(ctx):
            t0 = time.perf_counter()
            try:
                return function(ctx)
            finally:
                spent["runner"] += time.perf_counter() - t0
        return run

    fill_module._runner = timed_runner
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spec_path = Path(tmp) / "demo.toml"
            shutil.copy(ROOT / "xstore" / "demo" / "demo.toml", spec_path)
            if quick:
                text = spec_path.read_text().replace('["en", "de", "fr", "ru"]', '["en", "de"]').replace("[1, 2]", "[1]")
                spec_path.write_text(text)
            spec = load_spec(spec_path)
            t0 = time.perf_counter()
            report = fill_module.fill(spec, Store(spec.database_path))
            total = time.perf_counter() - t0
            assert report.exit_code == 0
    finally:
        fill_module._runner = real_runner
        for owner, name, original in originals:
            setattr(owner, name, original)
    model = spent["runner"] - spent["read"]
    cells = sum(report.computed.values())
    return [
        result("fill", f"demo fill, {cells} cells: wall time", total, "s"),
        result("fill", "  share outside model compute", (total - model) / total * 100, "%", "", None, "< 10%"),
        result("fill", "  share in database reads", spent["read"] / total * 100, "%"),
        result("fill", "  share in database writes", spent["write"] / total * 100, "%"),
    ]


def run(quick: bool = False) -> list[dict]:
    return measure(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print_table(measure(parser.parse_args().quick), "demo fill")
