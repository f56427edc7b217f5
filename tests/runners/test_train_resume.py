"""A training killed mid-way resumes from its last state (TrainSettings.checkpoint_every) and ends with the
model, training_step rows and prediction logits of an uninterrupted run; the resume folder goes at the end."""

import hashlib
import os
import subprocess
import sys

import pytest

from xstore.db import Store

# One seed of demo-sentiment -> demo-nli. Batches of 128: 4 steps an epoch in phase 2 (500 examples; 8
# steps, dev evaluations at 4 and 8) and 5 in phase 3 (600 examples; 12 steps, evaluations at 5, 10, 12).
SPEC = """
database = "r.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["demo-sentiment"]
targets = ["demo-nli"]
languages = ["en", "de"]
seeds = [1]

[train.intermediate]
learning_rate = 1e-3
batch_size = 128
grad_accum_steps = 1
max_steps = 8
log_every = 2
max_length = 32
checkpoint_every = {every}

[train.target]
learning_rate = 1e-3
batch_size = 128
grad_accum_steps = 1
epochs = 3.0
max_steps = 12
log_every = 2
max_length = 32
checkpoint_every = {every}

[predict]
max_length = 32
"""


def _folder(parent, name, every=2):
    folder = parent / name
    folder.mkdir()
    (folder / "r.toml").write_text(SPEC.format(every=every))
    return folder


def _fill(folder, kill_at=None):
    env = {**os.environ, "COLUMNS": "200"}  # a wide console, so that log lines stay on one line
    env.pop("XSTORE_KILL_AT", None)
    if kill_at:
        env["XSTORE_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "xstore", "fill", str(folder / "r.toml")], env=env,
                          capture_output=True, text=True, timeout=600)


def _results(folder, db="r.duckdb"):
    """What a training determines: runs, logged steps, checkpoint files and prediction logits."""
    from xstore.runners.models import weights_hash

    store = Store(folder / db)
    with store.connect(read_only=True) as con:
        runs = con.execute("SELECT key, checkpoint_path, checkpoint_sha256, steps, dev_score, selected_step "
                           "FROM training_run ORDER BY key").fetchall()
        return {
            "cells": con.execute("SELECT key FROM cell ORDER BY key").fetchall(),
            "runs": runs,
            "files": [weights_hash(store.artifacts / path) for _, path, *_ in runs],
            "steps": con.execute("SELECT run_key, step, loss, learning_rate, dev_score FROM training_step "
                                 "ORDER BY run_key, step").fetchall(),
            "logits": con.execute("SELECT cell_key, example_id, logits FROM prediction ORDER BY ALL").fetchall(),
        }


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The spec filled in one go, writing no resumable states at all (checkpoint_every = 0)."""
    folder = _folder(tmp_path_factory.mktemp("uninterrupted"), "plain", every=0)
    done = _fill(folder)
    assert done.returncode == 0, done.stderr[-2000:]
    results = _results(folder)
    # model selection ran: two phases, each with its dev evaluations at epoch ends
    assert [(steps, selected) for _, _, _, steps, _, selected in results["runs"]] in ([(12, 5), (8, 4)], [(8, 4), (12, 5)])
    assert sorted(step for _, step, _, _, score in results["steps"] if score is not None) == [4, 5, 8, 10, 12]
    assert len(results["logits"]) == 300
    return results


def test_killed_in_both_phases_then_resumed_gives_the_same_model(uninterrupted, tmp_path):
    folder = _folder(tmp_path, "killed")
    runs = folder / "r.xstore" / "runs"

    # phase 2, after step 5: the state of step 4 is on disk, with the best checkpoint it selected (step 4)
    done = _fill(folder, "train_step:5")
    assert done.returncode == -9, done.stderr[-2000:]
    (resume,) = runs.glob("*.resume")
    assert sorted(p.name for p in resume.iterdir()) == ["best-4", "spent.json", "state-4"]
    assert (resume / "state-4" / "manifest.json").is_file()

    # resumed: phase 2 goes on from step 5 and ends (4 more passes), then phase 3 is killed after its
    # step 5, whose dev evaluation wrote best-5 after the last state (step 4): a checkpoint no state names
    done = _fill(folder, "train_step:9")
    assert done.returncode == -9, done.stderr[-2000:]
    assert "train_intermediate" in done.stderr and "resumed from step 4 of 8" in done.stderr
    assert not resume.exists()  # phase 2 ended: its resume folder went with it
    (resume,) = runs.glob("*.resume")
    assert sorted(p.name for p in resume.iterdir()) == ["best-5", "spent.json", "state-4"]

    done = _fill(folder)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "train_target" in done.stderr and "resumed from step 4 of 12" in done.stderr
    assert _results(folder) == uninterrupted


def _spent(folder) -> float:
    """The seconds the killed attempts of the training in flight recorded (runners/resume.py)."""
    import json

    (spent,) = (folder / "r.xstore" / "runs").glob("*.resume/spent.json")
    return json.loads(spent.read_text())["seconds"]


def _resumed_time(folder) -> dict:
    """kind: (the cell's wall seconds, its resumed seconds, its run's wall seconds) of both trainings."""
    with Store(folder / "r.duckdb").connect(read_only=True) as con:
        rows = con.execute("SELECT c.kind, c.wall_seconds, c.resumed_seconds, r.wall_seconds FROM cell c "
                           "JOIN training_run r ON r.key = c.key").fetchall()
    return {kind: times for kind, *times in rows}


def test_after_success_no_resume_folder_is_left(uninterrupted, tmp_path):
    folder = _folder(tmp_path, "whole", every=2)
    done = _fill(folder, "train_step:7")  # phase 2 leaves its state of step 6
    assert done.returncode == -9
    assert [p.name for p in (folder / "r.xstore" / "runs").glob("*.resume/state-*")] == ["state-6"]
    earlier = _spent(folder)
    assert earlier > 0
    done = _fill(folder)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resumed from step 6 of 8" in done.stderr
    artifacts = folder / "r.xstore"
    assert not list(artifacts.rglob("*.resume")) and not list(artifacts.rglob("state-*"))
    assert not list(artifacts.rglob("*.tmp-*")) and not list(artifacts.rglob("*.partial-*"))
    # the two checkpoints and nothing else
    assert sorted(p.name for p in (artifacts / "runs").iterdir()) == sorted(key for key, *_ in uninterrupted["runs"])
    assert _results(folder) == uninterrupted
    # the killed attempt's seconds (its 7 steps, loading included) count in the run's time with this attempt's
    times = _resumed_time(folder)
    cell, resumed, run = times["train_intermediate"]
    assert resumed == earlier and earlier < run <= earlier + cell
    cell, resumed, run = times["train_target"]
    assert resumed == 0.0 and 0 < run <= cell  # trained in one go


def test_a_training_killed_before_its_first_state_starts_afresh(uninterrupted, tmp_path):
    folder = _folder(tmp_path, "early")
    done = _fill(folder, "train_step:1")
    assert done.returncode == -9
    assert not list((folder / "r.xstore").rglob("state-*"))
    earlier = _spent(folder)
    done = _fill(folder)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resumed" not in done.stderr
    assert _results(folder) == uninterrupted
    cell, resumed, run = _resumed_time(folder)["train_intermediate"]  # started again, its first try still counts
    assert earlier > 0 and resumed == earlier and earlier < run <= earlier + cell


# -- in process: scripted dev scores, so that the best checkpoint is neither the first nor the last --

IN_PROCESS_SPEC = """
database = "p.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["none"]
targets = ["demo-nli"]
languages = ["en"]
seeds = [1]

[train.target]
learning_rate = 1e-3
batch_size = 32
grad_accum_steps = 1
max_steps = 12
log_every = 4
max_length = 32
eval_every = 3
checkpoint_every = {every}

[predict]
max_length = 32
"""


class _Killed(BaseException):
    """Stands in for SIGKILL: fill records no failure for it and lets it through."""


def test_the_best_checkpoint_and_its_score_survive_the_kill(tmp_path, monkeypatch):
    from xstore import faults
    from xstore.fill import fill
    from xstore.runners import train
    from xstore.spec import load_spec

    # Scores by the weights evaluated, in order of first sight: a resumed run that evaluates the same
    # weights gets the same score. 0.7 at step 6 is the best; the kill comes after step 9.
    scripted, seen = [0.3, 0.7, 0.5, 0.6], {}

    def dev_score(models, *_):
        (model,) = models.values()
        digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
        if digest not in seen:
            seen[digest] = scripted[len(seen)]
        return seen[digest]

    monkeypatch.setattr(train, "_dev_score", dev_score)
    passes = {"train_step": 0}

    def reached(point):
        if point == "train_step":
            passes[point] += 1
            if passes[point] == kill_at:
                raise _Killed()

    monkeypatch.setattr(faults, "reached", reached)

    def filled(name, every):
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        (folder / "p.toml").write_text(IN_PROCESS_SPEC.format(every=every))
        spec = load_spec(folder / "p.toml")
        assert fill(spec, Store(spec.database_path)).exit_code == 0
        return folder

    kill_at = None
    expected = _results(filled("plain", every=0), db="p.duckdb")
    ((_, _, _, steps, score, selected),) = expected["runs"]
    assert (steps, score, selected) == (12, 0.7, 6)
    assert [(step, s) for _, step, _, _, s in expected["steps"] if s is not None] == [(3, 0.3), (6, 0.7), (9, 0.5), (12, 0.6)]

    kill_at, passes["train_step"] = 9, 0
    with pytest.raises(_Killed):
        filled("killed", every=2)
    (resume,) = (tmp_path / "killed" / "p.xstore" / "runs").glob("*.resume")
    assert sorted(p.name for p in resume.iterdir()) == ["best-6", "spent.json", "state-8"]
    kill_at = None
    assert _results(filled("killed", every=2), db="p.duckdb") == expected
    assert not resume.exists()


def test_resume_settings_stay_out_of_cell_keys_unless_they_change_results(tmp_path):
    from xstore.planner import declare
    from xstore.spec import TrainSettings, load_spec

    assert "checkpoint_every" not in TrainSettings(checkpoint_every=5).model_dump()
    assert "eval_every" not in TrainSettings().model_dump()
    assert TrainSettings(eval_every=3).model_dump()["eval_every"] == 3
    assert TrainSettings(checkpoint_every=5).for_task(None).checkpoint_every == 5

    def keys(text):
        (tmp_path / "k.toml").write_text(text)
        return {cell.key for cell in declare(load_spec(tmp_path / "k.toml"))}

    plain = keys(SPEC.replace("checkpoint_every = {every}\n", ""))
    assert keys(SPEC.format(every=2)) == plain == keys(SPEC.format(every=0))
    assert keys(SPEC.format(every="3\neval_every = 2")) != plain


def test_only_a_complete_state_is_resumed(tmp_path):
    """A state counts when its manifest is there, its files have their sizes, and its best checkpoint exists."""
    import json

    from xstore.runners.resume import Resume

    resume = Resume(tmp_path / "key.resume", every=2, total=10)

    def state(step, total=10, best=None, size=None):
        folder = resume.folder / f"state-{step}"
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"x" * 8)
        files = {"model.safetensors": size or 8}
        (folder / "manifest.json").write_text(json.dumps({"step": step, "total": total, "best": best, "files": files}))

    assert resume._latest() is None  # no folder at all
    state(2, best=2)
    (resume.folder / "best-2").mkdir()
    (resume.folder / "state-6.partial-123").mkdir()  # killed while writing: no manifest, not a state
    assert resume._latest() == resume.folder / "state-2"
    state(4, size=9)  # a file cut short
    assert resume._latest() is None
    resume._prune(keep_state=2, keep_best=2)
    assert sorted(p.name for p in resume.folder.iterdir()) == ["best-2", "state-2"]
    assert Resume(resume.folder, every=2, total=12)._latest() is None  # another number of steps: not this training's
    (resume.folder / "best-2").rmdir()  # its model-selection checkpoint is gone
    assert resume._latest() is None
