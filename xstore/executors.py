"""Parallel fills: cells run in worker processes (local) or cluster jobs (Slurm, through submitit).

Workers read their inputs from the database read-only and write their rows to Parquet shards; this
process alone writes the database, ingesting each shard in one short transaction as it arrives. A
cell is submitted once all its parents are stored, so the grid flows through as fast as it can.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from xstore import faults, shards
from xstore.db import Store
from xstore.errors import UserError
from xstore.planner import CellSpec


@dataclass
class ClusterOptions:
    """Slurm resources for each cell's job (submitit's `slurm_*` parameters)."""

    partition: Optional[str] = None
    gpus_per_job: int = 1
    cpus_per_job: int = 8
    mem_gb: int = 32
    time_limit_min: int = 240
    array_parallelism: int = 64


def compute_to_shard(db_path: str, spec, cell: CellSpec) -> str:
    """Worker entry point: compute one cell and leave it as a shard (or a failure shard)."""
    from xstore.fill import CellContext, _runner, cell_row

    store = Store(db_path)
    staging = shards.staging_dir(store)
    started, t0 = datetime.now(), time.perf_counter()
    try:
        tables = _runner(cell.kind)(CellContext(cell, spec, store, log=lambda *_: None))
        faults.reached(f"job:{cell.kind}")  # a job that dies before its shard is written (tests)
        return str(shards.write_shard(staging, cell_row(cell, started, t0), tables))
    except Exception as err:  # reported through the shard, recorded by the coordinator
        return str(shards.write_failure_shard(staging, cell.key, cell.kind, cell.params, err))


def _init_worker(queue, threads: int) -> None:
    """ProcessPool initializer: give each local worker its own GPU when there are several, and its
    share of the CPU cores (before torch is imported), so workers do not oversubscribe the machine."""
    index = queue.get()
    if index is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(index)
    threads = os.environ.setdefault("OMP_NUM_THREADS", str(threads))  # a user's setting wins
    os.environ.setdefault("MKL_NUM_THREADS", threads)


def local_pool(workers: int):
    """A pool of `workers` persistent processes (torch is imported once per worker, not per cell).

    Each worker gets `cores // workers` CPU threads unless OMP_NUM_THREADS is set: torch's default of
    one thread per core in every worker made a 2-worker demo fill on 2 cores several times slower.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    gpus = _gpu_count()
    for i in range(workers):
        queue.put(i % gpus if gpus > 1 else None)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = max(1, cores // workers)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                               initargs=(queue, threads))


def _gpu_count() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([v for v in visible.split(",") if v.strip()])
    try:
        import subprocess

        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
        return listed.stdout.count("GPU ")
    except (OSError, subprocess.SubprocessError):
        return 0


def submitit_executor(store: Store, options: ClusterOptions, cluster: str = "slurm"):
    """A submitit executor with the job resources set; `cluster="local"` runs jobs as local processes."""
    try:
        import submitit
    except ImportError:
        raise UserError("--executor slurm needs submitit: pip install 'xstore[cluster]'") from None
    executor = submitit.AutoExecutor(folder=store.artifacts / "jobs" / "%j", cluster=cluster)
    params = {"timeout_min": options.time_limit_min, "gpus_per_node": options.gpus_per_job,
              "cpus_per_task": options.cpus_per_job, "mem_gb": options.mem_gb}
    if cluster == "slurm":
        params["slurm_array_parallelism"] = options.array_parallelism
        if options.partition:
            params["slurm_partition"] = options.partition
    executor.update_parameters(**params)
    if cluster == "slurm":
        from xstore.slurm import use_squeue_if_no_accounting

        executor.xstore_squeue = use_squeue_if_no_accounting(executor)
    return executor


class _Submitter:
    """One `submit(fn, *args)` for both a ProcessPoolExecutor and a submitit executor."""

    def __init__(self, executor):
        self.executor = executor

    def submit(self, *args):
        return self.executor.submit(compute_to_shard, *args)


def run_parallel(todo: list[CellSpec], spec, store: Store, executor, report, broken: set[str], progress,
                 poll_seconds: float = 0.2) -> None:
    """Submit each cell when its parents are stored; ingest shards as they arrive; record failures."""
    staging = shards.staging_dir(store)
    staging.mkdir(parents=True, exist_ok=True)
    for leftover in shards.finished_shards(staging):  # from a coordinator that was killed mid-fill
        _ingest(store, leftover, report, progress.console)
    with store.connect(read_only=True) as con:
        stored = {key for (key,) in con.execute("SELECT key FROM cell").fetchall()}
    waiting = [c for c in todo if c.key not in stored]
    progress.skip_to(len(todo) - len(waiting))
    submitter, running = _Submitter(executor), {}
    while waiting or running:
        for cell in list(waiting):
            parents = set(cell.parents.values())
            if parents & broken:
                broken.add(cell.key)
                report.blocked.append(cell)
                waiting.remove(cell)
                progress.finished("blocked", cell)
            elif parents <= stored:
                running[cell.key] = (cell, submitter.submit(str(store.path), spec, cell))
                waiting.remove(cell)
        progress.working_on(f"[bold]{len(running)} running[/], {len(waiting)} waiting on parents")
        for key, (cell, future) in list(running.items()):
            if not future.done():
                continue
            del running[key]
            try:
                folder = Path(future.result())
            except Exception as err:  # the job itself died (killed, out of memory, node failure)
                message = f"job failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                store.record_failure(cell.key, cell.kind, cell.params, message, repr(err))
                report.failed.append((cell, message, False))
                broken.add(cell.key)
                progress.finished("failed", cell)
                continue
            if _ingest(store, folder, report, progress.console, cell):
                stored.add(cell.key)
                progress.finished("stored", cell)
            else:
                broken.add(cell.key)
                progress.finished("failed", cell)
        if running:
            time.sleep(poll_seconds)


def _ingest(store: Store, folder: Path, report, console, cell: Optional[CellSpec] = None) -> bool:
    """Ingest one shard into the store; True when the cell is now stored."""
    try:
        manifest = shards.ingest(store, folder)
    except shards.BadShard as err:
        console.print(f"[red]rejected[/] {err}; the cell will be computed again")
        if cell is not None:
            store.record_failure(cell.key, cell.kind, cell.params, str(err), "")
            report.failed.append((cell, str(err), False))
        return False
    if manifest["status"] == "failed":
        if cell is not None:
            report.failed.append((cell, manifest["error"], manifest.get("user_error", False)))
            console.print(f"[red]failed[/] {cell.kind} {cell.describe()}: {manifest['error']}")
        return False
    kind = manifest["cell"]["kind"]
    report.computed[kind] = report.computed.get(kind, 0) + 1
    return True
