"""A fill killed with SIGKILL at random moments and restarted ends with the rows of an uninterrupted fill."""

import os
import random
import signal
import subprocess
import sys
import time

from conftest import write_spec
from xstore.db import Store

KILLS = 3


def _rows(folder):
    with Store(folder / "small.duckdb").connect(read_only=True) as con:
        return {
            "cells": con.execute("SELECT key, kind FROM cell ORDER BY key").fetchall(),
            "predictions": con.execute("SELECT cell_key, example_id, perturbation_id, logits FROM prediction ORDER BY ALL").fetchall(),
            "runs": con.execute("SELECT key, checkpoint_sha256, steps FROM training_run ORDER BY key").fetchall(),
            "steps": con.execute("SELECT run_key, step, loss FROM training_step ORDER BY ALL").fetchall(),
            "perturbations": con.execute("SELECT id, text_a, text_b FROM perturbation ORDER BY id").fetchall(),
            "fits": con.execute("SELECT key, temperature FROM calibration_fit ORDER BY key").fetchall(),
            "examples": con.execute("SELECT count(*), count(DISTINCT id) FROM example").fetchall(),
            "failures": con.execute("SELECT count(*) FROM failure").fetchall(),
        }


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
    expected, got = _rows(filled_small), _rows(folder)
    assert got["examples"][0][0] == got["examples"][0][1]  # no duplicate example rows
    assert got["failures"] == [(0,)]  # a killed cell is not a failure: it just was not stored
    for name in expected:
        assert got[name] == expected[name], name
    # no half-written checkpoint folders are left behind
    assert not [p for p in (folder / "small.xstore").rglob("*.tmp-*")]
