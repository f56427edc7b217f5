"""Running one cell: the cell kinds and their runners, what a runner is given, the `cell` row, and what a
failure records. A serial fill and the workers of a parallel fill run and fail a cell through `compute`
and `CellFailure` alike.
"""

from __future__ import annotations

import errno
import os
import socket
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Union

import duckdb

from xstore import faults
from xstore.db import Store
from xstore.errors import UserError
from xstore.runners import CellKind, calibrate, load, perturb, predict, train

if TYPE_CHECKING:
    from xstore.planner import CellSpec
    from xstore.spec import Spec

# The runner modules, each declaring the kinds it computes next to its `run`: the one place they are listed.
RUNNER_MODULES = (load, train, predict, perturb, calibrate)

#: Every cell kind, in dependency order (a cell's parents are always of an earlier kind).
KINDS: tuple[CellKind, ...] = tuple(sorted((kind for module in RUNNER_MODULES for kind in module.KINDS),
                                           key=lambda kind: kind.order))
KIND_BY_NAME: dict[str, CellKind] = {kind.name: kind for kind in KINDS}
KIND_ORDER: dict[str, int] = {kind.name: i for i, kind in enumerate(KINDS)}
assert len(KIND_BY_NAME) == len(KINDS) == len({kind.order for kind in KINDS}), "two cell kinds share a name or order"

#: Ctrl-C, as Python raises it and as DuckDB does when it arrives during a statement: it stops the fill and is
#: never a cell's failure (no `failure` row; the cell in flight is dropped, as after a kill).
INTERRUPTS = (KeyboardInterrupt, duckdb.InterruptException)


@dataclass
class CellTimes:
    """Where a cell's runner spent its time, for the `cell` row (the rest of its wall time is compute)."""

    load: float = 0.0  # reading models (and a training's saved state) from disk
    read: float = 0.0  # reading inputs from the database (`CellContext.fetch`)
    resumed: float = 0.0  # earlier, interrupted attempts this one went on from (a training's saved state)
    models_loaded: int = 0  # models read from disk, not found in the process's cache
    # set by a kind's `run_batch` only: the cell's own compute plus its share of the batch's (its wall time is
    # then load + read + compute, the cells of a batch having run together)
    compute: Optional[float] = None


@dataclass
class CellContext:
    """What a runner gets: the cell to compute, the spec it came from, the store to read, and its clock."""

    cell: CellSpec
    spec: Spec
    store: Store
    log: Callable[[str], None] = print
    times: CellTimes = field(default_factory=CellTimes)

    def fetch(self, sql: str, params: Optional[list] = None):
        """Run a read query in a short read-only connection and return an Arrow table."""
        with self.timed("read"), self.store.connect(read_only=True) as con:
            return con.sql(sql, params=params or []).to_arrow_table()

    @contextmanager
    def timed(self, what: str):
        """Add the block's wall seconds to `times.<what>` ("load" or "read"); blocks must not nest."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            setattr(self.times, what, getattr(self.times, what) + time.perf_counter() - t0)


def compute(cell: CellSpec, spec: Spec, store: Store, log: Callable[[str], None] = print) -> tuple[dict, dict]:
    """Run the cell's runner: its `cell` row and its rows by table, for one transaction to insert.

    The row's seconds: `wall_seconds` the runner's whole time, split into `load_seconds`, `read_seconds`
    and `compute_seconds` (the rest); `resumed_seconds` earlier attempts it went on from; `write_seconds`
    is added by whoever writes the rows (`Store.write_cell`, and a worker's shard).
    """
    started, t0 = datetime.now(), time.perf_counter()
    ctx = CellContext(cell, spec, store, log=log)
    tables = KIND_BY_NAME[cell.kind].run(ctx)
    faults.reached(f"runner:{cell.kind}")
    wall = time.perf_counter() - t0
    return _cell_row(ctx, started, wall, max(0.0, wall - ctx.times.load - ctx.times.read)), tables


#: What `compute_batch` gives for each cell: its row and tables, or the exception it failed with.
Outcome = Union[tuple[dict, dict], Exception]


def compute_batch(cells: list[CellSpec], spec: Spec, store: Store,
                  log: Callable[[str], None] = print) -> Iterator[tuple[CellSpec, Outcome]]:
    """Compute a batch of cells (a run's cells of one kind: `xstore.fill.batch_key`), yielding each cell with
    its outcome as soon as it is ready; a failing cell fails alone and the others go on. Ctrl-C stops the batch.

    A kind with `run_batch` (predictions) computes the batch's cells together: one model, their inputs sorted
    by length together; its cells' rows say their own load, read and compute seconds, the batch's shared
    compute split between them (`CellTimes.compute`). Other kinds run `compute` one cell after another.
    """
    kind = KIND_BY_NAME[cells[0].kind]
    if kind.run_batch is None or len(cells) == 1:
        for cell in cells:
            try:
                outcome: Outcome = compute(cell, spec, store, log)
            except INTERRUPTS:
                raise
            except Exception as err:
                outcome = err
            yield cell, outcome
        return
    started = datetime.now()
    for ctx, result in kind.run_batch([CellContext(cell, spec, store, log=log) for cell in cells]):
        if isinstance(result, Exception):
            yield ctx.cell, result
            continue
        faults.reached(f"runner:{ctx.cell.kind}")
        times = ctx.times
        computing = times.compute or 0.0
        yield ctx.cell, (_cell_row(ctx, started, times.load + times.read + computing, computing), result)


def _cell_row(ctx: CellContext, started: datetime, wall: float, computing: float) -> dict:
    """The `cell` row of a computed cell (`write_seconds` is filled in by whoever writes its rows)."""
    cell, times = ctx.cell, ctx.times
    return {
        "key": cell.key, "kind": cell.kind, "params": cell.params, "parents": cell.parents,
        "host": socket.gethostname(), "pid": os.getpid(), "started_at": started,
        "finished_at": datetime.now(), "wall_seconds": wall, "load_seconds": times.load,
        "read_seconds": times.read, "compute_seconds": computing,
        "write_seconds": 0.0, "resumed_seconds": times.resumed, "models_loaded": times.models_loaded,
    }


# Errors that fail every later cell too, so they stop the fill instead of failing one cell.
_STORAGE_ERRORS = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
                   errno.EDQUOT: "the disk quota is exceeded", errno.EACCES: "permission denied"}


@dataclass
class CellFailure:
    """Why a cell failed, as its `failure` row and the fill's report say it."""

    message: str  # one line: a UserError's own text, else "ExceptionType: first line"
    user_error: bool  # a problem the user can fix (exit code 2), not a bug or a crash
    traceback: str
    storage: Optional[str] = None  # why nothing more can be written (a full disk...), if that is the cause
    host: str = field(default_factory=socket.gethostname)  # where it failed: a worker's, not the coordinator's
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def of(cls, err: BaseException, prefix: str = "") -> CellFailure:
        """The failure that exception `err` makes (`prefix` goes before its message)."""
        text = str(err)
        first = text.splitlines()[0] if text else type(err).__name__
        user_error = isinstance(err, UserError)
        storage = next((why for code, why in _STORAGE_ERRORS.items()
                        if (isinstance(err, OSError) and err.errno == code) or os.strerror(code) in text), None)
        return cls(prefix + (first if user_error else f"{type(err).__name__}: {first}"), user_error,
                   "".join(traceback.format_exception(err)), storage)

    @classmethod
    def from_manifest(cls, manifest: dict) -> CellFailure:
        """The failure a worker reported in a failure shard's manifest (`shards.write_failure_shard`)."""
        return cls(manifest["error"], manifest.get("user_error", False), manifest.get("traceback", ""),
                   manifest.get("storage"), manifest.get("host", socket.gethostname()), manifest.get("pid", os.getpid()))

    def stop_if_storage(self, store: Store) -> None:
        """A full disk or an unwritable folder fails every later cell too: stop the fill with one message.

        The cell in flight was rolled back (or never began its transaction), so the database holds
        exactly the cells stored before it.
        """
        if self.storage:
            raise UserError(f"cannot write beside {store.path}: {self.storage}. Cells stored so far are kept and "
                            "complete; free space (or fix permissions) and run the same command again") from None

    def record(self, store: Store, key: str, kind: str, params: dict) -> None:
        """Write the `failure` row of cell `key`."""
        store.record_failure(key, kind, params, self.message, self.traceback, host=self.host, pid=self.pid)
