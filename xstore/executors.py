"""Where the cells of a parallel fill run: worker processes (local) or cluster jobs (Slurm, through submitit).

Workers read their inputs from the database read-only and write their rows to Parquet shards; the fill's
own process alone writes the database, ingesting each shard in one short transaction as it arrives
(`xstore.fill`). A job is a batch of cells (a run's cells of one kind, or one cell), submitted once all
their parents are stored, so the grid flows through as fast as it can with one model load per batch.
"""

from __future__ import annotations

import os
import signal
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Optional

from xstore import faults, shards
from xstore.cells import INTERRUPTS, CellFailure, compute_batch
from xstore.db import Store
from xstore.errors import UserError
from xstore.planner import CellSpec


@dataclass
class ClusterOptions:
    """Slurm resources for each job (a batch of cells; submitit's `slurm_*` parameters)."""

    partition: Optional[str] = None
    gpus_per_job: int = 1
    cpus_per_job: int = 8
    mem_gb: int = 32
    time_limit_min: int = 240
    array_parallelism: int = 64


def compute_to_shards(db_path: str, spec, cells: list[CellSpec]) -> list[str]:
    """Worker and job entry point: compute a batch of cells together (a run's cells of one kind, which the
    process's model cache serves with one load and whose predictions share batches: `compute_batch`), leaving
    each as its own shard, or failure shard when it fails: the others go on. Returns the shard folders."""
    store = Store(db_path)
    staging = shards.staging_dir(store)
    folders = []
    for cell, outcome in compute_batch(cells, spec, store, log=lambda *_: None):
        try:
            if isinstance(outcome, Exception):
                raise outcome
            row, tables = outcome
            faults.reached(f"job:{cell.kind}")  # a job that dies before its shard is written (tests)
            folders.append(str(shards.write_shard(staging, row, tables)))
        except INTERRUPTS:  # a cancelled job: no shard, the coordinator has stopped
            raise
        except Exception as err:  # reported through the shard, recorded by the coordinator
            failure = CellFailure.of(err)
            folders.append(str(shards.write_failure_shard(staging, cell.key, cell.kind, cell.params, failure)))
    return folders


def _init_worker(queue, threads: int) -> None:
    """ProcessPool initializer: give each local worker its own GPU when there are several, and its
    share of the CPU cores (before torch is imported), so workers do not oversubscribe the machine.

    Ctrl-C in a terminal reaches the whole process group; workers leave it to the coordinator, which ends them
    (`drop_in_flight`), rather than each printing a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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


def drop_in_flight(executor, futures) -> None:
    """Ctrl-C in a parallel fill: stop the cells in flight without a trace, as a kill would (a shard is complete or
    absent). The local pool's workers are ended; submitit's jobs (`futures`) are cancelled (scancel on Slurm)."""
    if isinstance(executor, ProcessPoolExecutor):
        # Python 3.14 names this ProcessPoolExecutor.terminate_workers; before it, the pool keeps them here
        for process in list((executor._processes or {}).values()):
            process.terminate()
        return
    for job in futures:
        try:
            job.cancel(check=False)
        except (OSError, subprocess.SubprocessError):  # no scancel here, or the job ended meanwhile
            pass


def _gpu_count() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([v for v in visible.split(",") if v.strip()])
    try:
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
