"""`xstore fill`: compute the missing cells of a spec in dependency order, one short transaction each.

Each runner fetches its inputs by key and computes with no transaction open; its rows and the `cell`
row are then inserted together, so a kill loses at most the cells in flight. Cells run here one after
another (serial), or in worker processes or cluster jobs (`xstore.executors`) whose results this process
ingests as they arrive; both loops run and fail a cell through `xstore.cells` and keep the same books.

Both loops take cells in batches (`batch_key`): a run's cells of one kind go together, in this process for
a serial fill, as one job elsewhere, so the process computing them loads the run's model once
(runners/model_cache.py), a run's predictions share length-sorted batches (`xstore.cells.compute_batch`),
and a cluster gets one job per run and kind instead of one per cell. Each cell is still stored (or fails)
on its own.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from rich.console import Console

from xstore import faults, integrity, shards
from xstore.cells import INTERRUPTS, KIND_ORDER, CellFailure, compute_batch
from xstore.db import Store
from xstore.errors import Interrupted, UserError
from xstore.executors import ClusterOptions, compute_to_shards, drop_in_flight, local_pool, submitit_executor
from xstore.planner import CellSpec, declare, plan
from xstore.progress import CellProgress
from xstore.spec import Spec


@dataclass
class FillReport:
    computed: dict[str, int] = field(default_factory=dict)
    failed: list[tuple[CellSpec, str, bool]] = field(default_factory=list)  # cell, message, user error?
    blocked: list[CellSpec] = field(default_factory=list)
    skipped_failed: int = 0
    declared: int = 0
    already_done: int = 0

    @property
    def exit_code(self) -> int:
        if any(user for _, _, user in self.failed):
            return UserError.exit_code
        return 1 if self.failed else 0


def fill(spec: Spec, store: Store, retry_failed: bool = False, console: Optional[Console] = None,
         executor: str = "serial", workers: int = 2, cluster: Optional[ClusterOptions] = None,
         submitit_cluster: str = "slurm") -> FillReport:
    """Compute every missing cell of `spec` in `store`; failures become rows and block only dependants.

    `executor` is "serial" (this process), "local" (`workers` processes) or "slurm" (one submitit job per
    batch of cells, `cluster` giving the resources; `submitit_cluster="local"` runs those jobs locally, for
    tests). The models a serial fill keeps between cells are dropped when it ends.
    """
    if executor not in ("serial", "local", "slurm"):
        raise UserError(f"unknown executor {executor!r}; choose serial, local or slurm")
    console = console or Console(stderr=True)
    report = FillReport()
    # A serial fill is the only process using the file, so it keeps it open between cells; the
    # coordinator of workers must not, as they read it while their cells compute.
    holding = store.held() if executor == "serial" else contextlib.nullcontext()
    with _stop_on_interrupt(report, executor), store.fill_lock(), holding:
        store.create_or_check()
        _remove_stale_temporaries(store)
        cells = declare(spec)
        with store.connect(read_only=True) as con:
            current = plan(con, cells)
        report.declared, report.already_done = len(cells), len(current.done)
        todo = [c for c in current.missing if retry_failed or c.key not in current.failed]
        report.skipped_failed = len(current.missing) - len(todo)
        if not todo:
            return report
        with store.connect(read_only=True) as con:
            integrity.check_checkpoints(store, con, todo)
        broken = {c.key for c in current.missing if c.key in current.failed and not retry_failed}
        with CellProgress(console, len(todo)) as progress:
            books = _Books(store, report, progress, broken)
            if executor == "serial":
                try:
                    _fill_serial(todo, spec, store, books)
                finally:
                    _drop_kept_models()
            elif executor == "local":
                pool = local_pool(workers)
                try:
                    _coordinate(todo, spec, store, pool, books)
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)
            else:
                jobs = submitit_executor(store, cluster or ClusterOptions(), submitit_cluster)
                if getattr(jobs, "xstore_squeue", False):
                    progress.console.print("Slurm accounting is off on this cluster: job states are read from squeue")
                _coordinate(todo, spec, store, jobs, books, poll_seconds=2.0 if submitit_cluster == "slurm" else 0.2)
    return report


@contextlib.contextmanager
def _stop_on_interrupt(report: FillReport, executor: str):
    """Ctrl-C: what is in flight is dropped as after a kill (no transaction of it committed); say what was kept."""
    try:
        yield
    except INTERRUPTS:
        stored = sum(report.computed.values())
        dropped = "the cell in flight was dropped" if executor == "serial" else "the cells in flight were dropped"
        raise Interrupted(f"interrupted: this run stored {stored} cell{'s' if stored != 1 else ''} ({dropped}); "
                          "run the same command again to go on from there") from None


class _Books:
    """What a fill keeps for every finished cell, whatever ran it: the report, the cells whose dependants
    cannot run (`broken`), a `failure` row per failure, and a line of progress."""

    def __init__(self, store: Store, report: FillReport, progress: CellProgress, broken: set[str]):
        self.store, self.report, self.progress, self.broken = store, report, progress, broken

    def blocked(self, cell: CellSpec) -> bool:
        """True, after noting it, when a parent of `cell` failed or is blocked itself."""
        if not any(parent in self.broken for parent in cell.parents.values()):
            return False
        self.broken.add(cell.key)
        self.report.blocked.append(cell)
        self.progress.finished("blocked", cell)
        return True

    def stored(self, row: dict, cell: Optional[CellSpec] = None) -> None:
        """The cell of `cell` row `row` is stored (`cell` None: one a killed coordinator left as a shard)."""
        kind = row["kind"]
        self.report.computed[kind] = self.report.computed.get(kind, 0) + 1
        if cell is not None:
            loading = row.get("load_seconds") if row.get("models_loaded") else None
            self.progress.finished("stored", cell, row.get("wall_seconds"), loading=loading)

    def failed(self, cell: CellSpec, failure: CellFailure, seconds: Optional[float] = None,
               recorded: bool = False) -> None:
        """Record the failure (unless its shard's ingest did), or stop the fill if the disk is the cause."""
        failure.stop_if_storage(self.store)
        if not recorded:
            failure.record(self.store, cell.key, cell.kind, cell.params)
        self.report.failed.append((cell, failure.message, failure.user_error))
        self.broken.add(cell.key)
        self.progress.finished("failed", cell, seconds, failure.message)


def batch_key(cell: CellSpec) -> str:
    """What `cell` is computed with: a run's cells of one kind (its predictions, the attacks on it as victim,
    its calibration fits) share the run's model, so they form one batch; every other cell (loading data,
    training, a model-independent attack) is a batch of its own."""
    run = cell.parents.get("run") or cell.parents.get("victim")
    return f"{cell.kind}\x1f{run}" if run else cell.key


def batches(cells: list[CellSpec]) -> list[list[CellSpec]]:
    """`cells` grouped by `batch_key`: batches in dependency order (by kind), each where its first cell was."""
    groups: dict[str, list[CellSpec]] = {}
    for cell in cells:
        groups.setdefault(batch_key(cell), []).append(cell)
    return sorted(groups.values(), key=lambda batch: KIND_ORDER[batch[0].kind])


def _drop_kept_models() -> None:
    """Free the models the serial fill kept (only if a runner imported the cache: it imports torch)."""
    import sys

    cache = sys.modules.get("xstore.runners.model_cache")
    if cache is not None:
        cache.CACHE.clear()


def _fill_serial(todo: list[CellSpec], spec: Spec, store: Store, books: _Books) -> None:
    """Compute and store each cell in this process, in dependency order, a batch's cells together
    (`compute_batch`: the process's model cache loads a run's model once per kind, and predictions share
    batches), each stored in its own transaction as soon as it is ready."""
    for batch in batches(todo):
        ready = [cell for cell in batch if not books.blocked(cell)]
        if not ready:
            continue
        books.progress.working_on(f"[bold]{ready[0].kind}[/] {ready[0].describe()}"
                                  + (f" and {len(ready) - 1} more of its run" if len(ready) > 1 else ""))
        t0 = time.perf_counter()
        for cell, outcome in compute_batch(ready, spec, store, log=books.progress.console.log):
            written = time.perf_counter()
            try:
                if isinstance(outcome, Exception):
                    raise outcome
                row, tables = outcome
                store.write_cell(row, tables)
                faults.reached("stored")
            except INTERRUPTS:
                raise
            except Exception as err:  # any failure of one cell is recorded and the fill goes on
                books.failed(cell, CellFailure.of(err), time.perf_counter() - t0)
            else:  # its progress line: its own seconds (its share of a batch computed together) and writing it
                books.stored({**row, "wall_seconds": row["wall_seconds"] + time.perf_counter() - written}, cell)
            t0 = time.perf_counter()


def _coordinate(todo: list[CellSpec], spec: Spec, store: Store, executor, books: _Books,
                poll_seconds: float = 0.2) -> None:
    """Submit each batch of cells to `executor` as one job once all its cells' parents are stored; ingest the
    shards as the jobs end.

    A batch waits until every one of its cells is ready (cells whose parents failed leave it), so a run's
    model is loaded once per kind; batches of the earliest kind waiting are always ready once the jobs before
    them end, so the fill never stalls. `executor` is a ProcessPoolExecutor or a submitit executor: both have
    `submit(fn, *args) -> future`.
    """
    staging = shards.staging_dir(store)
    staging.mkdir(parents=True, exist_ok=True)
    for leftover in shards.finished_shards(staging):  # from a coordinator that was killed mid-fill
        _ingest(store, leftover, books)
    with store.connect(read_only=True) as con:
        stored = {key for (key,) in con.execute("SELECT key FROM cell").fetchall()}
    remaining = [c for c in todo if c.key not in stored]
    books.progress.skip_to(len(todo) - len(remaining))
    waiting = {batch_key(batch[0]): batch for batch in batches(remaining)}
    running: dict[int, tuple[list[CellSpec], object]] = {}
    try:
        while waiting or running:
            for key, batch in list(waiting.items()):
                batch[:] = [cell for cell in batch if not books.blocked(cell)]
                if not batch:
                    del waiting[key]
                elif all(set(cell.parents.values()) <= stored for cell in batch):
                    future = executor.submit(compute_to_shards, str(store.path), spec, batch)
                    running[id(future)] = (batch, future)
                    del waiting[key]
            books.progress.working_on(f"[bold]{len(running)} jobs running[/], {sum(map(len, waiting.values()))} "
                                      "cells waiting on parents")
            for job, (batch, future) in list(running.items()):
                if not future.done():
                    continue
                del running[job]
                stored |= _finish_job(store, staging, batch, future, books)
            if running:
                time.sleep(poll_seconds)
    except INTERRUPTS:
        drop_in_flight(executor, [future for _, future in running.values()])
        raise


def _finish_job(store: Store, staging: Path, batch: list[CellSpec], future, books: _Books) -> set[str]:
    """Ingest the shard of each cell of an ended job; a cell without one failed with the job. Returns the
    keys now stored."""
    try:
        future.result()
        died = None
    except Exception as err:  # the job itself died (killed, out of memory, node failure)
        died = CellFailure.of(err, prefix="job failed: ")
    stored = set()
    for cell in batch:
        folder = shards.shard_folder(staging, cell.key)
        if folder.is_dir():  # complete: shards are renamed into place whole; also those a dead job wrote before
            if _ingest(store, folder, books, cell):
                stored.add(cell.key)
        else:
            books.failed(cell, died or CellFailure("job failed: it ended without a result for this cell", False, ""))
    return stored


def _ingest(store: Store, folder: Path, books: _Books, cell: Optional[CellSpec] = None) -> bool:
    """Ingest one shard; True when its cell is now stored. `cell` is None for a shard left by a killed
    coordinator: its cell is in `todo` again, and is computed again if the shard does not make it."""
    try:
        manifest = shards.ingest(store, folder)
    except shards.BadShard as err:
        books.progress.console.print(f"[red]rejected[/] {err}; the cell will be computed again")
        failure, recorded = CellFailure(str(err), False, ""), False
    except Exception as err:  # inserting the rows failed: the fill cannot go on (the shard stays for next time)
        CellFailure.of(err).stop_if_storage(store)
        raise
    else:
        if manifest["status"] == "done":
            books.stored(manifest["cell"], cell)
            return True
        failure, recorded = CellFailure.from_manifest(manifest), True
    if cell is not None:
        books.failed(cell, failure, recorded=recorded)
    return False


def _remove_stale_temporaries(store: Store) -> None:
    """Checkpoint folders of attempts killed before their rows were written (we hold the fill lock)."""
    import shutil

    if store.artifacts.is_dir():
        for stale in store.artifacts.glob("*/*.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
