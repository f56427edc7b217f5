"""`xstore delete`: a run, a task version or an attack version goes with everything built on it."""

import pytest

from conftest import run_cli
from xstore.db import Store
from xstore.schema import CELL_TABLES


def _q(folder, sql, params=None):
    with Store(folder / "small.duckdb").connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _no_orphans(folder):
    for table, column in CELL_TABLES.items():
        assert _q(folder, f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT key FROM cell)") == [(0,)], table
    # every stored cell's parents are stored
    assert _q(folder, """SELECT count(*) FROM cell c, unnest(json_extract_string(c.parents, '$.*')) AS p(key)
                         WHERE p.key NOT IN (SELECT key FROM cell)""") == [(0,)]


def test_dry_run_then_delete_an_intermediate_run(small_copy, capsys):
    before = _q(small_copy, "SELECT count(*) FROM cell")[0][0]
    run = _q(small_copy, "SELECT key FROM training_run WHERE phase = 'intermediate'")[0][0]
    code, out, _ = run_cli(["delete", small_copy / "small.duckdb", "--run", run[:8], "--dry-run"], capsys)
    # the phase-2 run, the phase-3 run built on it, its 3 clean and 2 perturbed predictions, its fit
    assert code == 0 and "would remove 8 cells" in out
    assert _q(small_copy, "SELECT count(*) FROM cell")[0][0] == before
    code, out, _ = run_cli(["delete", small_copy / "small.duckdb", "--run", run[:8], "--yes"], capsys)
    assert code == 0 and "removed 8 cells" in out
    assert _q(small_copy, "SELECT count(*) FROM cell")[0][0] == before - 8
    assert _q(small_copy, "SELECT DISTINCT intermediate FROM training_run") == [("none",)]
    assert not (small_copy / "small.xstore" / "runs" / run).exists()
    _no_orphans(small_copy)
    code, out, _ = run_cli(["fill", small_copy / "small.toml"], capsys)
    assert code == 0 and "computed 8 cells" in out


def test_delete_an_attack_version(small_copy, capsys):
    from xstore.catalog import ATTACKS

    version = str(ATTACKS["charnoise"].version)
    with Store(small_copy / "small.duckdb").connect() as con:  # a person's judgement of one perturbation
        con.execute("""INSERT INTO annotation SELECT id, 'ann', 'yes', '', 'f.csv', now()::TIMESTAMP
                       FROM perturbation LIMIT 1""")
    code, out, _ = run_cli(["delete", small_copy / "small.duckdb", "--attack", "charnoise", "--version", version, "--yes"],
                           capsys)
    assert code == 0 and "removed 6 cells" in out  # 2 perturb cells, 4 perturbed predictions
    assert _q(small_copy, "SELECT count(*) FROM perturbation") == [(0,)]
    # judgements are people's rows, not the cell's: they stay, and apply again when the cell is recomputed
    assert _q(small_copy, "SELECT count(*) FROM annotation") == [(1,)]
    assert _q(small_copy, "SELECT DISTINCT attack FROM prediction") == [("none",)]
    _no_orphans(small_copy)


def test_delete_a_task_removes_everything_built_on_it(small_copy, capsys):
    code, out, _ = run_cli(["delete", small_copy / "small.duckdb", "--task", "demo-nli", "--yes"], capsys)
    assert code == 0
    # only the sentiment data and the phase-2 run trained on it remain
    assert sorted(k for (k,) in _q(small_copy, "SELECT kind FROM cell")) == ["load", "load", "train_intermediate"]
    _no_orphans(small_copy)


@pytest.mark.parametrize("args, message", [
    (["--run", "x", "--task", "demo-nli"], "choose exactly one"),
    ([], "choose exactly one"),
    (["--run", "x", "--version", "2"], "--version goes with --task or --attack"),
])
def test_bad_delete_requests(small_copy, capsys, args, message):
    code, _, err = run_cli(["delete", small_copy / "small.duckdb", *args, "--yes"], capsys)
    assert code == 2 and message in err


def test_nothing_matches(small_copy, capsys):
    code, out, _ = run_cli(["delete", small_copy / "small.duckdb", "--attack", "charnoise", "--version", "7", "--yes"], capsys)
    assert code == 0 and "nothing matches" in out
