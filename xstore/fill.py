"""`xstore fill`: compute the missing cells of a spec in dependency order, one short transaction each.

Each runner fetches its inputs by key and computes with no transaction open; its rows and the `cell`
row are then inserted together, so a kill loses at most the cell in flight.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional

from rich.console import Console

from xstore import faults
from xstore.db import Store
from xstore.errors import UserError
from xstore.executors import ClusterOptions, local_pool, run_parallel, submitit_executor
from xstore.planner import KIND_BY_NAME, CellSpec, declare, plan
from xstore.progress import CellProgress
from xstore.spec import Spec


@dataclass
class CellContext:
    """What a runner gets: the cell to compute, the spec it came from, and the store to read."""

    cell: CellSpec
    spec: Spec
    store: Store
    log: Callable[[str], None] = print

    def fetch(self, sql: str, params: Optional[list] = None):
        """Run a read query in a short read-only connection and return an Arrow table."""
        with self.store.connect(read_only=True) as con:
            return con.sql(sql, params=params or []).to_arrow_table()


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


def _runner(kind: str) -> Callable[[CellContext], dict]:
    module, _, name = KIND_BY_NAME[kind].runner.partition(":")
    return getattr(importlib.import_module(module), name)


def fill(spec: Spec, store: Store, retry_failed: bool = False, console: Optional[Console] = None,
         executor: str = "serial", workers: int = 2, cluster: Optional[ClusterOptions] = None,
         submitit_cluster: str = "slurm") -> FillReport:
    """Compute every missing cell of `spec` in `store`; failures become rows and block only dependants.

    `executor` is "serial" (this process), "local" (`workers` processes) or "slurm" (one submitit job per
    cell, `cluster` giving the resources; `submitit_cluster="local"` runs those jobs locally, for tests).
    """
    console = console or Console(stderr=True)
    report = FillReport()
    # A serial fill is the only process using the file, so it keeps it open between cells; the
    # coordinator of workers must not, as they read it while their cells compute.
    holding = store.held() if executor == "serial" else contextlib.nullcontext()
    with store.fill_lock(), holding:
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
        broken = {c.key for c in current.missing if c.key in current.failed and not retry_failed}
        with CellProgress(console, len(todo)) as progress:
            if executor != "serial":
                _fill_parallel(todo, spec, store, report, broken, progress, executor, workers,
                               cluster or ClusterOptions(), submitit_cluster)
                return report
            for cell in todo:
                progress.working_on(f"[bold]{cell.kind}[/] {cell.describe()}")
                t0 = time.perf_counter()
                if any(parent in broken for parent in cell.parents.values()):
                    broken.add(cell.key)
                    report.blocked.append(cell)
                    progress.finished("blocked", cell)
                elif _run_one(cell, spec, store, report, progress.console):
                    progress.finished("stored", cell, time.perf_counter() - t0)
                else:
                    broken.add(cell.key)
                    progress.finished("failed", cell, time.perf_counter() - t0)
    return report


def _fill_parallel(todo, spec, store, report, broken, progress, executor, workers, cluster, submitit_cluster):
    if executor == "local":
        pool = local_pool(workers)
        try:
            run_parallel(todo, spec, store, pool, report, broken, progress)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    elif executor == "slurm":
        jobs = submitit_executor(store, cluster, submitit_cluster)
        if getattr(jobs, "xstore_squeue", False):
            progress.console.print("Slurm accounting is off on this cluster: job states are read from squeue")
        run_parallel(todo, spec, store, jobs, report, broken, progress,
                     poll_seconds=2.0 if submitit_cluster == "slurm" else 0.2)
    else:
        raise UserError(f"unknown executor {executor!r}; choose serial, local or slurm")


def cell_row(cell: CellSpec, started: datetime, t0: float) -> dict:
    """The `cell` row written with a computed cell's own rows."""
    return {
        "key": cell.key, "kind": cell.kind, "params": cell.params, "parents": cell.parents,
        "host": socket.gethostname(), "pid": os.getpid(), "started_at": started,
        "finished_at": datetime.now(), "wall_seconds": time.perf_counter() - t0,
    }


def _remove_stale_temporaries(store: Store) -> None:
    """Checkpoint folders of attempts killed before their rows were written (we hold the fill lock)."""
    import shutil

    if store.artifacts.is_dir():
        for stale in store.artifacts.glob("*/*.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)


def _run_one(cell: CellSpec, spec: Spec, store: Store, report: FillReport, console: Console) -> bool:
    started, t0 = datetime.now(), time.perf_counter()
    try:
        tables = _runner(cell.kind)(CellContext(cell, spec, store, log=console.log))
        faults.reached(f"runner:{cell.kind}")
        store.write_cell(cell_row(cell, started, t0), tables)
        faults.reached("stored")
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:  # any failure of one cell is recorded and the fill goes on
        _stop_if_storage_failed(err, store)
        is_user = isinstance(err, UserError)
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        if not is_user:
            message = f"{type(err).__name__}: {message}"
        store.record_failure(cell.key, cell.kind, cell.params, message, traceback.format_exc())
        report.failed.append((cell, message, is_user))
        console.print(f"[red]failed[/] {cell.kind} {cell.describe()}: {message}")
        return False
    report.computed[cell.kind] = report.computed.get(cell.kind, 0) + 1
    return True


_STORAGE_ERRORS = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
                   errno.EDQUOT: "the disk quota is exceeded", errno.EACCES: "permission denied"}


def _stop_if_storage_failed(err: Exception, store: Store) -> None:
    """A full disk or an unwritable folder fails every later cell too: stop the fill with one message.

    The cell in flight was rolled back (or never began its transaction), so the database holds
    exactly the cells stored before it.
    """
    text = str(err)
    reason = next((why for code, why in _STORAGE_ERRORS.items()
                   if (isinstance(err, OSError) and err.errno == code) or os.strerror(code) in text), None)
    if reason:
        raise UserError(f"cannot write beside {store.path}: {reason}. Cells stored so far are kept and "
                        "complete; free space (or fix permissions) and run the same command again") from None
