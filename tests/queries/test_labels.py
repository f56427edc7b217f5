"""The label tables (target_run, baseline_run, attack_setting) hold their views' rows after every write, and
each prediction cell's score sums (cell_score) are written with it."""

import pyarrow as pa

from conftest import run_cli
from querydb import QueryDB
from xstore import labels
from xstore.db import Store


def _rows(con, name: str) -> list:
    return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def test_a_fill_stores_every_label(filled_small):
    with Store(filled_small / "small.duckdb").connect(read_only=True) as con:
        assert labels.stale(con) == []
        runs = con.execute("SELECT count(*) FROM training_run WHERE phase = 'target'").fetchone()[0]
        attacked = con.execute("SELECT count(*) FROM cell WHERE kind = 'predict_perturbed'").fetchone()[0]
        assert runs > 1 and attacked > 0
        assert [len(_rows(con, name)) for name in labels.LABELS] == [runs, runs, attacked]


def test_a_fill_stores_each_prediction_cells_score_sums(filled_small):
    with Store(filled_small / "small.duckdb").connect(read_only=True) as con:
        assert not labels.differs(con, "cell_score")
        predicted = con.execute("SELECT count(DISTINCT cell_key) FROM prediction").fetchone()[0]
        assert con.execute("SELECT count(*), sum(n) FROM cell_score").fetchone() == (
            predicted, con.execute("SELECT count(*) FROM prediction").fetchone()[0])


def test_deleting_a_run_relabels_the_rest_in_the_same_transaction(small_copy, capsys):
    db = small_copy / "small.duckdb"
    with Store(db).connect(read_only=True) as con:
        run = con.execute("SELECT run_key FROM target_run WHERE intermediate <> 'none' LIMIT 1").fetchone()[0]
    code, _, _ = run_cli(["delete", db, "--run", run, "--yes"], capsys)
    assert code == 0
    with Store(db).connect(read_only=True) as con:
        assert labels.stale(con) == []
        assert run not in {r for r, in con.execute("SELECT run_key FROM target_run").fetchall()}
        assert con.execute("SELECT count(*) FROM attack_setting WHERE run_key = ?", [run]).fetchone() == (0,)
        assert not labels.differs(con, "cell_score")
        assert con.execute("SELECT count(*) FROM cell_score WHERE run_key = ?", [run]).fetchone() == (0,)


def test_upgrade_labels_the_runs_an_older_database_holds(tmp_path):
    """Migration 0008 fills the tables from the views it renames: the same rows, variants included."""
    store = Store(tmp_path / "old.duckdb")
    store.upgrade(target=7)
    rows = [QueryDB.run_rows("a", hparams={"lr": 1e-5}), QueryDB.run_rows("b", hparams={"lr": 3e-5}),
            QueryDB.run_rows("c", intermediate="demo-sentiment", hparams={"lr": 1e-5})]
    with store.connect() as con:
        con.register("_rows", pa.concat_tables(rows))
        con.execute("INSERT INTO training_run BY NAME SELECT * FROM _rows")
        before = {name: _rows(con, name) for name in labels.LABELS}
    assert store.upgrade() == ["0008_stored_labels"]
    with store.connect(read_only=True) as con:
        assert {name: _rows(con, name) for name in labels.LABELS} == before
        assert labels.stale(con) == []
    assert {r[0]: r[4] for r in before["target_run"]} == {"a": "lr=0.00001", "b": "lr=0.00003", "c": "lr=0.00001"}
    assert sorted(before["baseline_run"]) == [("a", "a"), ("b", "b"), ("c", "a")]


def test_rows_written_by_hand_are_named_by_status_and_rewritten_by_upgrade(small_copy, capsys):
    db = small_copy / "small.duckdb"
    store = Store(db)
    with store.connect() as con:  # a second seed of a run, by hand: its label is missing, the others' stay
        con.execute("INSERT INTO training_run SELECT * REPLACE ('by-hand' AS key, 99 AS seed) FROM training_run "
                    "WHERE phase = 'target' LIMIT 1")
    code, out, _ = run_cli(["status", db], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "the label tables target_run, baseline_run no longer match their views" in flat
    code, out, _ = run_cli(["db", "upgrade", db], capsys)
    assert code == 0 and "rewrote the label tables target_run, baseline_run" in " ".join(out.split())
    with store.connect(read_only=True) as con:
        assert labels.stale(con) == []
        assert con.execute("SELECT seed FROM target_run WHERE run_key = 'by-hand'").fetchone() == (99,)
    code, out, _ = run_cli(["status", db], capsys)
    assert "no longer match" not in out
