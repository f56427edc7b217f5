"""A refused command writes nothing (lock files included); a damaged or partial database, and one moved without
its checkpoint folder, end in one message across commands; Ctrl-C on a fill says what was kept."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import run_cli, write_spec
from watch import one_line_error, snapshot
from xstore.db import Store, latest_version


def _refused_fill(tmp_path, capsys, message):
    before = snapshot(tmp_path)
    one_line_error(*run_cli(["fill", tmp_path / "small.toml"], capsys), message)
    assert snapshot(tmp_path) == before  # no lock file, no checkpoint folder, no temporary database


def test_a_database_path_that_is_a_folder(tmp_path, capsys):
    write_spec(tmp_path)
    (tmp_path / "small.duckdb").mkdir()
    _refused_fill(tmp_path, capsys, "small.duckdb is a folder, not a database file")


def test_a_text_file_where_the_database_should_be(tmp_path, capsys):
    write_spec(tmp_path)
    (tmp_path / "small.duckdb").write_text("my notes\n" * 100)
    _refused_fill(tmp_path, capsys, "small.duckdb is not a DuckDB database file")


def test_another_programs_duckdb_file(tmp_path, capsys):
    write_spec(tmp_path)
    with duckdb.connect(str(tmp_path / "small.duckdb")) as con:
        con.execute("CREATE TABLE sales AS SELECT 1 AS amount")
    _refused_fill(tmp_path, capsys, "is a DuckDB file but not an xstore database (no schema_version table)")


def test_a_database_newer_than_the_code(tmp_path, capsys):
    write_spec(tmp_path)
    store = Store(tmp_path / "small.duckdb")
    store.upgrade()
    with store.connect() as con:
        con.execute("INSERT INTO schema_version VALUES (99, '0099_future', now())")
    _refused_fill(tmp_path, capsys, "newer than this xstore understands")


def test_a_second_fill_leaves_the_first_ones_lock_alone(small_copy, capsys):
    store = Store(small_copy / "small.duckdb")
    lock = small_copy / "small.duckdb.lock"
    with store.fill_lock():
        held = lock.read_text()
        one_line_error(*run_cli(["fill", small_copy / "small.toml"], capsys), f"is being filled by {held}")
        assert lock.read_text() == held
    assert not lock.exists()  # and the first fill takes it away when it ends


def test_a_database_moved_without_its_checkpoints(small_copy, tmp_path, capsys):
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(small_copy / "small.duckdb", moved)
    spec = (small_copy / "small.toml").read_text().replace('"en", "de"]', '"en", "de", "fr"]')
    (moved / "small.toml").write_text(spec)  # French needs predictions from the stored runs' checkpoints
    before = snapshot(moved)
    code, out, err = run_cli(["fill", moved / "small.toml"], capsys)
    one_line_error(code, out, err, "the checkpoint of training run ")
    assert f"is missing: expected {moved / 'small.xstore' / 'runs'}" in err
    assert f"the whole checkpoint folder {moved / 'small.xstore'} is missing: the database was copied or moved " \
           "without it. Copy the folder that lies beside the original database" in err
    assert "Use `repo_type`" not in err
    assert snapshot(moved) == before  # refused before anything: no failure rows, no lock, no folder
    (moved / "small.xstore" / "runs").mkdir(parents=True)  # the folder, but not that run
    code, out, err = run_cli(["fill", moved / "small.toml"], capsys)
    one_line_error(code, out, err, "does not hold it. Copy runs/")


def _damage(db, sql):
    with duckdb.connect(str(db)) as con:
        con.execute(sql)


@pytest.mark.parametrize("change, problem", [
    ("DROP TABLE prediction", "table 'prediction' is missing"),
    ("ALTER TABLE training_run DROP COLUMN steps", "table 'training_run' has no column 'steps'"),
    ("DROP VIEW calibrated_prediction", "view 'calibrated_prediction' is missing"),
])
def test_a_damaged_database_gets_one_message_everywhere(small_copy, tmp_path, capsys, change, problem):
    db = small_copy / "small.duckdb"
    _damage(db, change)
    before = snapshot(small_copy)
    message = (f"{db} is damaged (changed by hand, or half-upgraded): {problem}, which schema version "
               f"{latest_version()} has")
    one_line_error(*run_cli(["status", db], capsys), message)
    one_line_error(*run_cli(["fill", small_copy / "small.toml"], capsys), message)
    if change.startswith("DROP"):  # the commands that read the missing table or view
        dropped = change.split()[-1]
        for args in (["query", "ece_by_language", "--db", db], ["export", db, "--table", "ece"],
                     ["report", db, "--out", tmp_path / "report.md"],
                     ["query", "--sql", f"SELECT count(*) FROM {dropped}", "--db", db]):
            one_line_error(*run_cli(args, capsys), message)
    assert snapshot(small_copy) == before


def test_a_half_upgraded_database(tmp_path, capsys):
    """Version 2 recorded, but a table of migration 3 already there (made by hand or another tool)."""
    store = Store(tmp_path / "half.duckdb")
    store.upgrade(target=2)
    _damage(store.path, "CREATE TABLE span_answer (x INTEGER)")
    one_line_error(*run_cli(["status", store.path], capsys), f"has schema version 2; this xstore needs {latest_version()}")
    before = snapshot(tmp_path)
    one_line_error(*run_cli(["db", "upgrade", store.path], capsys),
                   "migration 0003_structured_tasks failed on ")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_ctrl_c_on_a_fill_says_what_was_kept(tmp_path, executor):
    """SIGINT to the fill's whole process group, as a terminal sends it, once two cells are stored (read from the
    fill's own per-cell lines): exit 130, one line with the cells this run stored and the command that goes on;
    no failure row for what was in flight, no traceback (local workers leave Ctrl-C to the coordinator), and no
    process of the fill left running."""
    spec = write_spec(tmp_path)
    env = {**os.environ, "XSTORE_LOCK_WAIT": "60"}
    command = ["xstore", "fill", str(spec)] + (["--executor", "local", "--workers", "2"] if executor == "local" else [])
    fill = subprocess.Popen([sys.executable, "-m", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    stored = 0
    while stored < 2:
        line = fill.stderr.readline()
        assert line, "the fill ended before two cells were stored"
        stored += " stored " in line
    os.killpg(fill.pid, signal.SIGINT)
    out, err = fill.communicate(timeout=300)
    assert fill.returncode == 130, err
    store = Store(tmp_path / "small.duckdb")
    with store.connect(read_only=True) as con:
        cells = con.execute("SELECT count(*) FROM cell").fetchall()[0][0]
        failures = con.execute("SELECT count(*) FROM failure").fetchall()[0][0]
    assert cells >= 2 and failures == 0
    dropped = "the cell in flight was dropped" if executor == "serial" else "the cells in flight were dropped"
    last = err.strip().splitlines()[-1]
    assert last == (f"interrupted: this run stored {cells} cells ({dropped}); run the same command again to go on "
                    f"from there: `{' '.join(command)}`")
    assert "Traceback" not in err and not (tmp_path / "small.duckdb.lock").exists()
    assert _running_in_group(fill.pid) == []  # the workers went with the coordinator (zombies wait for init)


def _running_in_group(group: int) -> list[str]:
    """The processes of process group `group` that still run (Linux /proc: state, parent, group follow the name)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().rsplit(")", 1)
        except OSError:  # ended meanwhile
            continue
        state, _, pgrp = rest.split()[:3]
        if int(pgrp) == group and state != "Z":
            running.append(f"{stat.parent.name} {name.split('(', 1)[1]} {state}")
    return running


def test_the_human_check_on_a_filled_database_and_its_refusals(small_copy, tmp_path, capsys):
    """The annotators' CSV from a real fill (charnoise), judgements back in, attack_validity; an export with nothing
    to sample, and an import while a fill holds the database or into a database that is not there, write nothing."""
    db, sample = small_copy / "small.duckdb", tmp_path / "sample.csv"
    before = snapshot(tmp_path)
    one_line_error(*run_cli(["export", db, "--table", "perturbation_sample", "--attack", "deepwordbug", "--out", sample],
                            capsys), "has no successful perturbation of deepwordbug to sample")
    assert snapshot(tmp_path) == before  # no CSV, no temporary file
    with duckdb.connect(str(db), read_only=True) as con:  # 3 per perturb cell (one per language and split) at most
        expected = con.execute("""SELECT sum(least(3, n)) FROM (SELECT count(*) AS n FROM perturbation AS p
                                  JOIN example AS e ON e.id = p.example_id WHERE p.text_a <> e.text_a
                                  OR p.text_b IS DISTINCT FROM e.text_b GROUP BY p.cell_key)""").fetchall()[0][0]
    code, _, err = run_cli(["export", db, "--table", "perturbation_sample", "--n", "3", "--out", sample], capsys)
    assert code == 0 and f"wrote {expected} perturbations to {sample}" in err, err
    with open(sample, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["attack"] for r in rows} == {"charnoise"} and len(rows) == expected >= 2
    for k, row in enumerate(rows):
        row["label_holds"] = "no" if k == 0 else "yes"
    with open(sample, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = snapshot(small_copy)
    with Store(db).fill_lock():
        held = (small_copy / "small.duckdb.lock").read_text()
        one_line_error(*run_cli(["annotate", "import", sample, "--db", db, "--annotator", "a"], capsys),
                       f"is being filled by {held}")
    assert snapshot(small_copy) == before
    one_line_error(*run_cli(["annotate", "import", sample, "--db", tmp_path / "none.duckdb", "--annotator", "a"], capsys),
                   "none.duckdb does not exist")
    assert not (tmp_path / "none.duckdb").exists()
    code, out, err = run_cli(["annotate", "import", sample, "--db", db, "--annotator", "a"], capsys)
    assert code == 0 and f"imported {expected} judgements" in out, err
    assert not (small_copy / "small.duckdb.lock").exists()
    code, out, err = run_cli(["query", "attack_validity", "--db", db, "--format", "json"], capsys)
    got = {(r["language"], r["split"]): (r["judged"], r["holds"], r["broken"]) for r in json.loads(out)}
    votes = {}
    for row in rows:  # the file's own judgements, counted per language and split
        votes.setdefault((row["language"], row["split"]), []).append(row["label_holds"])
    assert got == {key: (len(v), v.count("yes"), v.count("no")) for key, v in votes.items()}
