"""The `perturb` cell: apply one attack to every example of one task split in one language."""

from __future__ import annotations

import importlib

import pyarrow as pa

from xstore.catalog import get_attack
from xstore.keys import canonical_json, content_key


def run(ctx) -> dict[str, pa.Table]:
    cell, p = ctx.cell, ctx.cell.params
    entry = get_attack(p["attack"])
    examples = ctx.fetch("SELECT id, text_a, text_b FROM example WHERE cell_key = ? ORDER BY idx",
                         [cell.parents["examples"]]).to_pylist()
    module, _, function = entry.runner.partition(":")
    attempts = getattr(importlib.import_module(module), function)(examples, p["params"])
    n = len(examples)
    return {"perturbation": pa.table({
        "id": [content_key("perturbation", cell.key, e["id"]) for e in examples],
        "cell_key": [cell.key] * n,
        "example_id": [e["id"] for e in examples],
        "attack": [entry.name] * n,
        "attack_version": pa.array([entry.version] * n, pa.int32()),
        "params": [canonical_json(p["params"])] * n,
        "victim_run_key": pa.array([None] * n, pa.string()),
        "language": [p["language"]] * n,
        "text_a": [a["text_a"] for a in attempts],
        "text_b": pa.array([a["text_b"] for a in attempts], pa.string()),
        "outcome": [a["outcome"] for a in attempts],
        "queries": pa.array([a["queries"] for a in attempts], pa.int32()),
        "words_changed": pa.array([a["words_changed"] for a in attempts], pa.int32()),
        "chars_changed": pa.array([a["chars_changed"] for a in attempts], pa.int32()),
        "seed": pa.array([int(p["params"].get("seed", 0))] * n, pa.int32()),
    })}
