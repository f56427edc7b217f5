"""Slurm through submitit on clusters without job accounting: job states from squeue, and a quiet log.

submitit learns a job's state from `sacct`. Many small clusters run without an accounting database, and
there `sacct` fails on every poll: submitit then logs a warning each time (78 of 119 lines of a demo fill
on a single-node cluster) and never learns that a job ended, so a job that dies without writing its
result (killed, out of memory, node failure) would be waited on forever. Where `sacct` says accounting is
off, jobs are watched with `squeue` instead: a job that has left the queue has ended, and submitit then
reads its result file, or reports the job as failed when there is none.
"""

from __future__ import annotations

import getpass
import logging
import subprocess


def accounting_off() -> bool:
    """Whether this cluster's `sacct` refuses to answer because accounting storage is disabled."""
    try:
        done = subprocess.run(["sacct", "-n", "-X", "-j", "1"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode != 0 and "accounting storage is disabled" in (done.stderr + done.stdout).lower()


def use_squeue_if_no_accounting(executor) -> bool:
    """Make a submitit Slurm executor watch its jobs with squeue when sacct cannot; True if it does.

    submitit's own warnings about sacct are silenced either way: the fill reports every job's end itself.
    """
    logging.getLogger("submitit").setLevel(logging.ERROR)
    if not accounting_off():
        return False
    inner = getattr(executor, "_executor", executor)  # AutoExecutor wraps the SlurmExecutor
    inner.job_class = _squeue_job_class()
    return True


def _squeue_job_class():
    from submitit.slurm.slurm import SlurmInfoWatcher, SlurmJob

    class SqueueWatcher(SlurmInfoWatcher):
        """Job states from `squeue` (pending and running jobs); a registered job missing from it has ended."""

        def _make_command(self):
            if not self._registered - self._finished:
                return None
            return ["squeue", "-h", "-u", getpass.getuser(), "-o", "%i|%T"]

        def read_info(self, string):
            text = string.decode() if isinstance(string, bytes) else string
            queued = {}
            for line in text.splitlines():
                job_id, _, state = line.strip().partition("|")
                if job_id:  # an array task shows as 12_3, pending ones as 12_[4-9]: also listed by 12
                    queued[job_id] = queued[job_id.split("_")[0]] = {"JobID": job_id, "State": state}
            # Not in the queue any more: ended. "COMPLETED" lets submitit read the result file, and its
            # absence is then reported as a failed job.
            ended = {"State": "COMPLETED"}
            return {job_id: queued.get(job_id) or queued.get(job_id.split("_")[0]) or {"JobID": job_id, **ended}
                    for job_id in self._registered}

    class SqueueSlurmJob(SlurmJob):
        watcher = SqueueWatcher(delay_s=60)

    return SqueueSlurmJob
