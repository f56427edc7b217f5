"""Runners compute cells: load, train, predict, perturb, calibrate. Heavy imports live here only.

A runner module declares the cell kinds it computes (`KINDS`, right below its `run`), and `run(ctx)`
returns the cell's rows as Arrow tables by table name, in fetch / compute / insert form: it fetches its
inputs by key through `ctx`, computes with no transaction open, and the fill inserts what it returns.
Runner modules import torch, transformers and textattack inside their functions only, so reading the
declarations is cheap. `xstore.cells` collects them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class CellKind:
    """A cell kind: its name, its place in dependency order, its code version and its runner.

    `order`: a cell's parents are always of kinds with a smaller order. `version` is part of the key of
    every cell of the kind: bump it when a change to the runner changes what it stores, and exactly those
    cells are computed again. `run_batch`, where a kind has one, computes several cells of one run together
    (`xstore.cells.compute_batch`): given their contexts, it yields (context, tables or the exception that cell
    failed with) per cell, storing the same rows `run` would.
    """

    name: str
    order: int
    version: int
    run: Callable
    run_batch: Optional[Callable] = None

