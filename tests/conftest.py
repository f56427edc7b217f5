"""Shared test helpers: a small spec, running the CLI in-process, and a filled database built once."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The demo grid cut down to what the tests need: both intermediate settings, two languages, one seed,
# clean and perturbed, with and without temperature scaling; a few optimizer steps per phase.
SMALL_SPEC = """
database = "small.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["none", "demo-sentiment"]
targets = ["demo-nli"]
languages = {languages}
seeds = {seeds}
attacks = ["none", "charnoise"]
calibration = ["none", "temperature"]

[train.intermediate]
learning_rate = 1e-3
batch_size = 16
grad_accum_steps = 1
max_steps = 6
log_every = 2
max_length = 48

[train.target]
learning_rate = 1e-3
batch_size = 16
grad_accum_steps = 2
max_steps = 8
log_every = 2
max_length = 48

[predict]
max_length = 48
"""


def write_spec(folder: Path, languages=("en", "de"), seeds=(1,), name="small.toml") -> Path:
    """Write the small spec into `folder` with the given languages and seeds; returns its path."""
    path = folder / name
    path.write_text(SMALL_SPEC.format(languages=list(languages), seeds=list(seeds)).replace("'", '"'))
    return path


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run `xstore ARGS` in this process; returns (exit code, stdout, stderr)."""
    from xstore.cli import main

    old = sys.argv
    sys.argv = ["xstore", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def serial_threads() -> str:
    """The CPU threads a serial fill's torch uses here. Local workers default to their share of the
    cores, and float sums then round differently (training drifts, ~1e-5 in a logit on the demo grid);
    tests that compare a worker's rows bit for bit with a serial fill's give workers this many (OMP_NUM_THREADS)."""
    import torch

    return str(torch.get_num_threads())


def real_data(folder: str) -> Path:
    """`$XSTORE_TEST_DATA/folder`: real task data (the XTREME layout: xnli/, pawsx/, sst2/, csqa/, ...), never
    part of the repository. Skips the test, naming the variable, when it is unset or lacks the folder."""
    root = os.environ.get("XSTORE_TEST_DATA")
    if not root:
        pytest.skip("real task data: set XSTORE_TEST_DATA to a folder holding xnli/, pawsx/, sst2/, csqa/")
    path = Path(root) / folder
    if not path.is_dir():
        pytest.skip(f"real task data: XSTORE_TEST_DATA={root} has no {folder}/")
    return path


def offline_hub_message(monkeypatch, tmp_path: Path, name: str, split: str, language: str) -> str:
    """Read catalogue task `name` with the hub offline and nothing cached; return the UserError's message
    once it passes what every task's offline message must say: the task, HF_HUB_OFFLINE, the `[data]`
    line to add and the local layout to put there."""
    from xstore.errors import UserError
    from xstore.tasks import TASKS

    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path))  # nothing cached
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # read at call time, though datasets may be imported already
    with pytest.raises(UserError) as caught:
        TASKS[name].read(split, language)
    message = str(caught.value)
    assert f"task {name!r}" in message and "HF_HUB_OFFLINE" in message
    assert f'[data] "{name}" = "path/to/folder"' in message and TASKS[name].layout in message
    return message


def snapshot(folder: Path, db: str = "small.duckdb") -> dict:
    """Every stored result of a filled folder, without timings: equal snapshots mean equal fills."""
    from xstore.db import Store

    with Store(folder / db).connect(read_only=True) as con:
        return {
            "cells": con.execute("SELECT key, kind FROM cell ORDER BY key").fetchall(),
            "predictions": con.execute("SELECT cell_key, example_id, perturbation_id, logits FROM prediction ORDER BY ALL").fetchall(),
            "runs": con.execute("SELECT key, checkpoint_sha256, steps FROM training_run ORDER BY key").fetchall(),
            "steps": con.execute("SELECT run_key, step, loss FROM training_step ORDER BY ALL").fetchall(),
            "perturbations": con.execute("SELECT id, text_a, text_b FROM perturbation ORDER BY id").fetchall(),
            "fits": con.execute("SELECT key, temperature FROM calibration_fit ORDER BY key").fetchall(),
            "examples": con.execute("SELECT count(*), count(DISTINCT id) FROM example").fetchall(),
            "failures": con.execute("SELECT count(*) FROM failure").fetchall(),
            "labels": [con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
                       for name in ("target_run", "baseline_run", "attack_setting")],
        }


def assert_same_fill(got: dict, expected: dict) -> None:
    """Two snapshots hold the same results: everything equal, logits within 1e-5. A run's prediction cells of
    one kind are scored in one length-sorted pass (runners/predict.py), so which cells shared a batch (after a
    kill, only those still missing) moves a logit by float noise (~1e-9), never a key, a label or a text."""
    import numpy as np

    assert got.keys() == expected.keys()
    for name in expected:
        if name != "predictions":
            assert got[name] == expected[name], name
    ours, theirs = got["predictions"], expected["predictions"]
    assert [row[:3] for row in ours] == [row[:3] for row in theirs], "predictions: other rows"
    for a, b in zip(ours, theirs):
        assert len(a[3]) == len(b[3]) and np.allclose(a[3], b[3], rtol=0, atol=1e-5), ("predictions", a[:3], a[3], b[3])


@pytest.fixture(scope="session")
def filled_small(tmp_path_factory) -> Path:
    """A folder holding the small spec, filled once for the whole session (copy it before changing it)."""
    from xstore.db import Store
    from xstore.fill import fill
    from xstore.spec import load_spec

    folder = tmp_path_factory.mktemp("filled")
    spec = load_spec(write_spec(folder))
    report = fill(spec, Store(spec.database_path))
    assert report.exit_code == 0, report.failed
    return folder


@pytest.fixture
def small_copy(filled_small, tmp_path) -> Path:
    """A private copy of the filled folder (database and checkpoints) that a test may change."""
    target = tmp_path / "copy"
    shutil.copytree(filled_small, target)
    return target
