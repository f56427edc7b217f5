"""Fills through a real Slurm cluster (sbatch, squeue), compared with a serial fill.

`.ci/run` starts a single-node cluster with `.ci/slurm-up` (Debian's slurm-wlm and munge, as root); where
there is none these tests skip, saying so. The cluster has no accounting database, as many small ones do:
`sacct` fails there, and the fill must still see every job end (squeue), print one line per cell, and turn
a job that dies without a result into a failure row instead of waiting for it forever.
"""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import assert_same_fill, serial_threads, snapshot, write_spec


def _cluster_up() -> bool:
    if not shutil.which("sbatch") or not shutil.which("sinfo"):
        return False
    done = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return done.returncode == 0 and any(s in done.stdout for s in ("idle", "mix", "alloc"))


pytestmark = pytest.mark.skipif(not _cluster_up(), reason="no Slurm cluster here (sbatch, sinfo): "
                                "`.ci/slurm-up` starts a single-node one as root")


def _fill(folder, *extra, kill_at=None):
    env = {**os.environ, "OMP_NUM_THREADS": serial_threads()}  # the serial fill's threads: identical rows
    env.pop("XSTORE_KILL_AT", None)
    if kill_at:  # exported to the jobs by sbatch: each job process that reaches the point dies
        env["XSTORE_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "xstore", "fill", str(folder / "small.toml"), "--executor", "slurm",
                           "--gpus-per-job", "0", "--cpus-per-job", "1", "--mem-gb", "2", "--time-limit", "20", *extra],
                          env=env, capture_output=True, text=True, timeout=1200)


def _loads(folder):
    """kind, cells, processes and models loaded of each run's predictions of one kind."""
    from xstore.db import Store

    with Store(folder / "small.duckdb").connect(read_only=True) as con:
        return con.execute("""SELECT kind, count(*), count(DISTINCT pid), sum(models_loaded) FROM cell
                              WHERE kind LIKE 'predict%' GROUP BY kind, parents->>'run' ORDER BY ALL""").fetchall()


def _without_target_runs(filled_small, folder):
    """A copy of the serially filled grid less its target runs and all built on them (predictions, fits): what a
    cluster fill then computes starts with a training and ends with a calibration, in 8 jobs rather than 17."""
    from xstore.db import Store
    from xstore.delete import Selection, delete

    shutil.copytree(filled_small, folder, dirs_exist_ok=True)
    store = Store(folder / "small.duckdb")
    with store.connect(read_only=True) as con:
        runs = [key for key, in con.execute("SELECT key FROM training_run WHERE phase = 'target'").fetchall()]
    assert len(runs) == 2
    for run in runs:
        delete(store, Selection(run=run))


def test_a_fill_through_sbatch_stores_the_rows_of_a_serial_fill(filled_small, tmp_path):
    _without_target_runs(filled_small, tmp_path)
    # The two calibration fits' jobs die (SIGKILL, no result written): their cells become failure rows.
    first = _fill(tmp_path, kill_at="job:fit_calibration:1")
    assert first.returncode == 1, first.stderr[-3000:]
    lines = first.stderr.splitlines()
    assert sum("] stored " in line for line in lines) == 12
    assert sum("] failed fit_calibration" in line for line in lines) == 2
    # one line per cell: none of submitit's sacct warnings, nor sacct's own complaint
    assert not [line for line in lines if "sacct" in line or "accounting storage is disabled" in line]
    assert lines[0] == "Slurm accounting is off on this cluster: job states are read from squeue"
    # one job per run and kind: per target run its training, one job of clean predictions (3 cells), one of
    # perturbed (2) and one fit: 8 jobs, 14 cells
    jobs = list((tmp_path / "small.xstore" / "jobs").glob("*/*_submission.sh"))
    assert len(jobs) == 8 and all("#SBATCH" in job.read_text() for job in jobs)
    loads = _loads(tmp_path)
    assert loads == [("predict_clean", 3, 1, 1)] * 2 + [("predict_perturbed", 2, 1, 1)] * 2

    again = _fill(tmp_path, "--retry-failed")
    assert again.returncode == 0, again.stderr[-3000:]
    assert sum("] stored fit_calibration" in line for line in again.stderr.splitlines()) == 2
    assert_same_fill(snapshot(tmp_path), {**snapshot(filled_small), "failures": [(2,)]})  # the two failures stay, as history
