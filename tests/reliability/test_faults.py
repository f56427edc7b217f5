"""SIGKILL at 20 seeded moments (training, prediction, perturbation, commit, ingest, migration):
after restarts the database holds exactly the rows of an uninterrupted fill."""

import os
import random
import subprocess
import sys

from conftest import assert_same_fill, serial_threads, snapshot, write_spec
from xstore.db import Store
from xstore.migrations import MIGRATIONS

KILLS = 20


def _kill_points(folder):
    """Kill points this fill will still pass, each with how many times: only missing cells run."""
    from xstore.planner import declare, plan
    from xstore.spec import load_spec

    spec = load_spec(folder / "small.toml")
    store = Store(spec.database_path)
    if not store.path.exists():
        return {"migration": 2}
    with store.connect(read_only=True) as con:
        missing = plan(con, declare(spec)).missing
    points = {"commit": len(missing)}
    for cell in missing:
        points[f"runner:{cell.kind}"] = points.get(f"runner:{cell.kind}", 0) + 1
    return {k: v for k, v in points.items() if v}


def _fill(folder, kill_at=None, *extra):
    env = {**os.environ, "XSTORE_LOCK_WAIT": "60", "OMP_NUM_THREADS": serial_threads()}
    env.pop("XSTORE_KILL_AT", None)
    if kill_at:
        env["XSTORE_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "xstore", "fill", str(folder / "small.toml"), *extra],
                          env=env, capture_output=True, text=True, timeout=600)


def test_twenty_kills_then_the_same_rows(filled_small, tmp_path):
    folder = tmp_path / "faults"
    folder.mkdir()
    write_spec(folder)
    rng = random.Random(7)
    kills, attempts = 0, 0
    while kills < KILLS:
        points = _kill_points(folder)
        assert points and attempts < 3 * KILLS, "ran out of work before 20 kills"
        point = rng.choice(sorted(points))
        # kill early (first or second pass) so that every run makes a little progress and dies
        at = f"{point}:{rng.randint(1, min(2, points[point]))}"
        # every fourth attempt runs the cluster path, so kills also land while ingesting shards
        extra = ["--executor", "local", "--workers", "2"] if attempts % 4 == 3 else []
        done = _fill(folder, at, *extra)
        assert done.returncode in (0, -9), (at, done.stderr[-2000:])
        kills += done.returncode == -9
        attempts += 1
    final = _fill(folder)
    assert final.returncode == 0, final.stderr[-2000:]
    assert_same_fill(snapshot(folder), snapshot(filled_small))
    assert not [p for p in folder.rglob("*.tmp-*")]
    staging = folder / "small.xstore" / "staging"
    assert not staging.exists() or not list(staging.iterdir())


def test_killed_upgrade_leaves_the_old_version_then_completes(tmp_path):
    store = Store(tmp_path / "old.duckdb")
    store.upgrade(target=1)
    env = {**os.environ, "XSTORE_KILL_AT": "migration:1"}
    done = subprocess.run([sys.executable, "-m", "xstore", "db", "upgrade", str(store.path)], env=env,
                          capture_output=True, text=True)
    assert done.returncode == -9
    with store.connect(read_only=True) as con:
        assert store.schema_version(con) == 1
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "training_step" not in tables
    assert store.upgrade() == list(MIGRATIONS[1:])


def test_killed_creation_leaves_no_database(tmp_path):
    write_spec(tmp_path)
    done = _fill(tmp_path, "migration:2")
    assert done.returncode == -9
    assert not (tmp_path / "small.duckdb").exists()
    env = {**os.environ}
    env.pop("XSTORE_KILL_AT", None)
    done = subprocess.run([sys.executable, "-m", "xstore", "plan", str(tmp_path / "small.toml")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0
