"""A fill killed with SIGKILL at random moments and restarted ends with the rows of an uninterrupted fill."""

import os
import random
import signal
import subprocess
import sys
import time

from conftest import snapshot, write_spec

KILLS = 3


def _fill(folder):
    return subprocess.Popen([sys.executable, "-m", "xstore", "fill", str(folder / "small.toml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_killed_fills_resume_to_the_same_rows(filled_small, tmp_path):
    folder = tmp_path / "killed"
    folder.mkdir()
    write_spec(folder)
    rng = random.Random(20261125)
    kills_that_hit = 0
    for _ in range(KILLS):
        proc = _fill(folder)
        time.sleep(rng.uniform(1.0, 14.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills_that_hit += 1
        proc.wait()
    assert kills_that_hit >= 1
    proc = _fill(folder)
    assert proc.wait(timeout=600) == 0
    expected, got = snapshot(filled_small), snapshot(folder)
    assert got["examples"][0][0] == got["examples"][0][1]  # no duplicate example rows
    assert got["failures"] == [(0,)]  # a killed cell is not a failure: it just was not stored
    for name in expected:
        assert got[name] == expected[name], name
    # no half-written checkpoint folders are left behind
    assert not [p for p in (folder / "small.xstore").rglob("*.tmp-*")]
