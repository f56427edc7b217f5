"""A fill killed with SIGKILL (its whole process group) and restarted ends with the rows of an uninterrupted fill.

The kills are placed by progress, never by the clock, so they land however fast the machine is: after the
k-th cell a fill reports stored (the kill then falls wherever the next cell happens to be: loading, training,
writing a checkpoint, committing), or at the n-th optimizer step inside a training cell.
"""

import os
import random
import signal
import subprocess
import sys

from conftest import assert_same_fill, snapshot, write_spec

KILLS = 4


def _missing(folder):
    """The cells a fill of `folder` still has to compute."""
    from xstore.db import Store
    from xstore.planner import declare, plan
    from xstore.spec import load_spec

    spec = load_spec(folder / "small.toml")
    store = Store(spec.database_path)
    cells = declare(spec)
    if not store.path.exists():
        return cells
    with store.connect(read_only=True) as con:
        return plan(con, cells).missing


def _fill(folder, kill_at=None):
    env = {**os.environ, "XSTORE_LOCK_WAIT": "60"}
    env.pop("XSTORE_KILL_AT", None)
    if kill_at:
        env["XSTORE_KILL_AT"] = kill_at
    return subprocess.Popen([sys.executable, "-m", "xstore", "fill", str(folder / "small.toml")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _kill_after_stored(folder, k: int) -> int:
    """Run a fill and SIGKILL its process group as soon as it has reported `k` cells stored."""
    proc = _fill(folder)
    stored = 0
    for line in proc.stderr:  # one plain line per finished cell when stderr is not a terminal
        stored += "] stored " in line
        if stored == k:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.stderr.close()
    return proc.wait(timeout=600)


def _kill_inside_training(folder, step: int) -> int:
    """Run a fill that kills itself at its `step`-th optimizer step (xstore.faults)."""
    proc = _fill(folder, f"train_step:{step}")
    proc.stderr.read()
    proc.stderr.close()
    return proc.wait(timeout=600)


def test_killed_fills_resume_to_the_same_rows(filled_small, tmp_path):
    folder = tmp_path / "killed"
    folder.mkdir()
    write_spec(folder)
    rng = random.Random(20261125)
    for attempt in range(KILLS):
        missing = _missing(folder)
        trainings = [c for c in missing if c.kind.startswith("train_")]
        assert len(missing) >= 2, f"the fill ran out of cells before kill {attempt + 1}"
        if attempt % 2 == 1 and trainings:
            # the small spec trains 6 (intermediate) or 8 (target) steps per cell
            code = _kill_inside_training(folder, rng.randint(1, 6))
            assert code == -signal.SIGKILL, f"kill {attempt + 1} did not land (exit {code})"
        else:
            # keep at least one cell after the k-th, so the fill is still working when the kill comes
            k = rng.randint(1, min(4, len(missing) - 1))
            code = _kill_after_stored(folder, k)
            assert code == -signal.SIGKILL, f"kill {attempt + 1} did not land (exit {code})"
            assert len(_missing(folder)) <= len(missing) - k, "the cells reported stored must be kept"
    proc = _fill(folder)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    expected, got = snapshot(filled_small), snapshot(folder)
    assert got["examples"][0][0] == got["examples"][0][1]  # no duplicate example rows
    assert got["failures"] == [(0,)]  # a killed cell is not a failure: it just was not stored
    assert_same_fill(got, expected)
    # no half-written checkpoint folders are left behind
    assert not [p for p in (folder / "small.xstore").rglob("*.tmp-*")]
