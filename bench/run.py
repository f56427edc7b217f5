"""Run every benchmark and print one table: python bench/run.py [--quick] [--only NAME ...]

Each benchmark module has `run(quick) -> rows`; every ratio in the table is measured in the same run
against the baseline named beside it. --quick shrinks the inputs for a smoke run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import device_name, print_table  # noqa: E402

# The benchmarks, in the order they print; each is a module in this folder with run(quick).
BENCHMARKS = ("ingest", "memory", "planner", "fill_share", "metrics", "task_scores", "output", "attacks", "predict",
              "train", "fill_real")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke run")
    parser.add_argument("--only", nargs="*", default=None, choices=BENCHMARKS)
    args = parser.parse_args()
    rows = []
    for name in args.only or BENCHMARKS:
        if not (Path(__file__).parent / f"{name}.py").exists():
            continue
        module = importlib.import_module(name)
        if not hasattr(module, "run"):
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += module.run(quick=args.quick)
    print_table(rows, f"xstore benchmarks on {device_name()}" + (" (quick)" if args.quick else ""))


if __name__ == "__main__":
    main()
