"""`xstore query` cannot change the database, and parameter values never become SQL."""

import pytest

from conftest import run_cli


@pytest.mark.parametrize("sql", ["DROP TABLE prediction", "INSERT INTO task VALUES ('x', 1, 'r', 'h', '[]', '[]', '[]')",
                                 "DELETE FROM cell", "UPDATE prediction SET label = 0", "CREATE TABLE t (x INTEGER)"])
def test_writes_through_sql_are_refused(small_copy, capsys, sql):
    db = small_copy / "small.duckdb"
    code, _, before = run_cli(["query", "--sql", "SELECT count(*) AS n FROM cell", "--db", db, "-f", "csv"], capsys)
    code, _, err = run_cli(["query", "--sql", sql, "--db", db], capsys)
    assert code == 2 and "read-only" in err
    code, after, _ = run_cli(["query", "--sql", "SELECT count(*) AS n FROM cell", "--db", db, "-f", "csv"], capsys)
    assert code == 0 and after == "n\n23\n"


@pytest.mark.parametrize("value", ["10; DROP TABLE cell", "10) OR (1=1", "'10'"])
def test_parameters_are_values_not_sql(small_copy, capsys, value):
    db = small_copy / "small.duckdb"
    code, _, err = run_cli(["query", "ece_by_language", "--param", f"n_bins={value}", "--db", db], capsys)
    assert code == 2 and "must be INTEGER" in err
    code, out, _ = run_cli(["query", "--sql", "SELECT count(*) AS n FROM cell", "--db", db, "-f", "csv"], capsys)
    assert out == "n\n23\n"
