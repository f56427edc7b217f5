"""Helpers shared by the benchmarks: timing, peak memory, synthetic prediction rows, result rows."""

from __future__ import annotations

import resource
import time
from contextlib import contextmanager

import numpy as np
import pyarrow as pa


@contextmanager
def timer(out: dict, name: str):
    """Store the wall seconds of the block in out[name]."""
    t0 = time.perf_counter()
    yield
    out[name] = time.perf_counter() - t0


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prediction_rows(n: int, n_classes: int = 3, groups: int = 1000, seed: int = 0) -> pa.Table:
    """n synthetic prediction rows shaped like runners/predict.py writes them."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(n, n_classes)).astype(np.float32)
    labels = rng.integers(0, n_classes, size=n).astype(np.int32)
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    group = rng.integers(0, groups, size=n)
    languages = np.array(["en", "de", "fr", "es", "ru", "ar", "hi", "th", "zh", "sw"])
    offsets = pa.array(np.arange(0, n * n_classes + 1, n_classes, dtype=np.int32))
    return pa.table({
        "cell_key": pa.array([f"cell{g // 10:04d}" for g in group]),
        "example_id": pa.array([f"ex{i:09d}" for i in range(n)]),
        "perturbation_id": pa.nulls(n, pa.string()),
        "run_key": pa.array([f"run{g // 10:04d}" for g in group]),
        "task": pa.array(["xnli"] * n),
        "split": pa.array(["test"] * n),
        "language": pa.array(languages[group % 10]),
        "attack": pa.array(["none"] * n),
        "label": pa.array(labels),
        "logits": pa.ListArray.from_arrays(offsets, pa.array(logits.reshape(-1))),
        "pred_label": pa.array(logits.argmax(axis=1).astype(np.int32)),
        "confidence": pa.array(probs.max(axis=1).astype(np.float64)),
    })


def result(bench: str, measure: str, value: float, unit: str, baseline: str = "", ratio: float | None = None,
           goal: str = "") -> dict:
    """One row of the benchmark table printed by bench/run.py."""
    return {"bench": bench, "measure": measure, "value": value, "unit": unit, "baseline": baseline,
            "ratio": ratio, "goal": goal}


def print_table(rows: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("bench", "measure", "value", "unit", "vs baseline", "ratio", "goal"):
        table.add_column(column, justify="right" if column in ("value", "ratio") else "left")
    for r in rows:
        value = f"{r['value']:,.0f}" if r["value"] >= 100 else f"{r['value']:.3g}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        table.add_row(r["bench"], r["measure"], value, r["unit"], r["baseline"], ratio, r["goal"])
    Console(width=200).print(table)
