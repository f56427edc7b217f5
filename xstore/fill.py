"""`xstore fill`: compute the missing cells of a spec in dependency order, one short transaction each.

Each runner fetches its inputs by key and computes with no transaction open; its rows and the `cell`
row are then inserted together, so a kill loses at most the cell in flight. Cells run here one after
another (serial), or in worker processes or cluster jobs (`xstore.executors`) whose results this process
ingests as they arrive; both loops run and fail a cell through `xstore.cells` and keep the same books.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from rich.console import Console

from xstore import faults, integrity, shards
from xstore.cells import INTERRUPTS, CellFailure, compute
from xstore.db import Store
from xstore.errors import Interrupted, UserError
from xstore.executors import ClusterOptions, compute_to_shard, drop_in_flight, local_pool, submitit_executor
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
    cell, `cluster` giving the resources; `submitit_cluster="local"` runs those jobs locally, for tests).
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
                _fill_serial(todo, spec, store, books)
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

    def stored(self, kind: str, cell: Optional[CellSpec] = None, seconds: Optional[float] = None) -> None:
        """A cell of `kind` is stored (`cell` None: one a killed coordinator left as a shard)."""
        self.report.computed[kind] = self.report.computed.get(kind, 0) + 1
        if cell is not None:
            self.progress.finished("stored", cell, seconds)

    def failed(self, cell: CellSpec, failure: CellFailure, seconds: Optional[float] = None,
               recorded: bool = False) -> None:
        """Record the failure (unless its shard's ingest did), or stop the fill if the disk is the cause."""
        failure.stop_if_storage(self.store)
        if not recorded:
            failure.record(self.store, cell.key, cell.kind, cell.params)
        self.report.failed.append((cell, failure.message, failure.user_error))
        self.broken.add(cell.key)
        self.progress.finished("failed", cell, seconds, failure.message)


def _fill_serial(todo: list[CellSpec], spec: Spec, store: Store, books: _Books) -> None:
    """Compute and store each cell in this process, in dependency order."""
    for cell in todo:
        books.progress.working_on(f"[bold]{cell.kind}[/] {cell.describe()}")
        if books.blocked(cell):
            continue
        t0 = time.perf_counter()
        try:
            row, tables = compute(cell, spec, store, log=books.progress.console.log)
            store.write_cell(row, tables)
            faults.reached("stored")
        except INTERRUPTS:
            raise
        except Exception as err:  # any failure of one cell is recorded and the fill goes on
            books.failed(cell, CellFailure.of(err), time.perf_counter() - t0)
        else:
            books.stored(cell.kind, cell, time.perf_counter() - t0)


def _coordinate(todo: list[CellSpec], spec: Spec, store: Store, executor, books: _Books,
                poll_seconds: float = 0.2) -> None:
    """Submit each cell to `executor` once its parents are stored; ingest the shards as they arrive.

    `executor` is a ProcessPoolExecutor or a submitit executor: both have `submit(fn, *args) -> future`.
    """
    staging = shards.staging_dir(store)
    staging.mkdir(parents=True, exist_ok=True)
    for leftover in shards.finished_shards(staging):  # from a coordinator that was killed mid-fill
        _ingest(store, leftover, books)
    with store.connect(read_only=True) as con:
        stored = {key for (key,) in con.execute("SELECT key FROM cell").fetchall()}
    waiting = [c for c in todo if c.key not in stored]
    books.progress.skip_to(len(todo) - len(waiting))
    running = {}
    try:
        while waiting or running:
            for cell in list(waiting):
                if books.blocked(cell):
                    waiting.remove(cell)
                elif set(cell.parents.values()) <= stored:
                    running[cell.key] = (cell, executor.submit(compute_to_shard, str(store.path), spec, cell))
                    waiting.remove(cell)
            books.progress.working_on(f"[bold]{len(running)} running[/], {len(waiting)} waiting on parents")
            for key, (cell, future) in list(running.items()):
                if not future.done():
                    continue
                del running[key]
                try:
                    folder = Path(future.result())
                except Exception as err:  # the job itself died (killed, out of memory, node failure)
                    books.failed(cell, CellFailure.of(err, prefix="job failed: "))
                    continue
                if _ingest(store, folder, books, cell):
                    stored.add(cell.key)
            if running:
                time.sleep(poll_seconds)
    except INTERRUPTS:
        drop_in_flight(executor, [future for _, future in running.values()])
        raise


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
            books.stored(manifest["cell"]["kind"], cell)
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
