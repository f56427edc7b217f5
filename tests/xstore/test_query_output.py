"""`xstore query` output: the table format shows the first rows and says how many there were; CSV, JSON and
Markdown write every row, batch by batch (bench/output.py measures their memory at 10 million rows)."""

import csv
import io
import json

import pytest

from conftest import run_cli
from xstore import export
from xstore.db import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("output") / "o.duckdb")
    store.upgrade()
    return store.path


def _query(capsys, db, sql, *extra):
    code, out, err = run_cli(["query", "--sql", sql, "--db", db, *extra], capsys)
    assert code == 0, err
    return out, err


def test_table_shows_the_first_rows_and_how_many_there_were(db, capsys):
    out, _ = _query(capsys, db, "SELECT range AS i FROM range(250000)")
    shown = [line for line in out.splitlines() if line.startswith("│")]
    assert len(shown) == export.TABLE_ROWS and shown[-1].split()[1] == str(export.TABLE_ROWS - 1)
    assert out.splitlines()[-1].startswith("showing the first 100 of 250,000 rows: --limit N shows more (0: all)")
    out, _ = _query(capsys, db, "SELECT range AS i FROM range(250000)", "--limit", "3")
    assert len([line for line in out.splitlines() if line.startswith("│")]) == 3
    out, _ = _query(capsys, db, "SELECT range AS i FROM range(150)", "--limit", "0")
    assert len([line for line in out.splitlines() if line.startswith("│")]) == 150
    assert out.splitlines()[-1] == "150 rows"
    out, _ = _query(capsys, db, "SELECT 1 AS one")
    assert out.splitlines()[-1] == "1 row"


def test_a_limit_across_record_batches_is_exact(db, capsys):
    n = export.BATCH_ROWS + 1000
    out, err = _query(capsys, db, "SELECT range AS i FROM range(200000)", "-f", "csv", "--limit", str(n))
    assert out.splitlines()[1:] == [str(i) for i in range(n)]
    assert err.strip() == f"wrote the first {n:,} of 200,000 rows (--limit {n})"


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_every_row_of_a_large_result_is_written(db, capsys, fmt):
    out, err = _query(capsys, db, "SELECT range AS i, range % 7 AS k FROM range(250000)", "-f", fmt)
    assert err == ""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0] == ["i", "k"] and len(rows) == 250001 and rows[-1] == ["249999", str(249999 % 7)]
    elif fmt == "json":
        rows = json.loads(out)
        assert len(rows) == 250000 and rows[12345] == {"i": 12345, "k": 12345 % 7}
    else:
        lines = out.splitlines()
        assert lines[:2] == ["| i | k |", "|---|---|"] and len(lines) == 250002 and lines[-1] == f"| 249999 | {249999 % 7} |"


VALUES = ("SELECT 'a,b' AS text, 'say \"hi\"' AS quoted, [0.5::FLOAT, -1.25] AS logits, {'k': 2} AS st, "
          "INTERVAL 1 DAY AS iv, NULL::INTEGER AS nothing, true AS yes, 2.5::DOUBLE AS x, 3::HUGEINT AS h, "
          "1 AS a, 2 AS a")


def test_csv_round_trips_awkward_values(db, capsys):
    out, _ = _query(capsys, db, VALUES, "-f", "csv")
    header, row = list(csv.reader(io.StringIO(out)))
    assert header[:9] == ["text", "quoted", "logits", "st", "iv", "nothing", "yes", "x", "h"]
    assert row[:2] == ["a,b", 'say "hi"']
    assert json.loads(row[2]) == [0.5, -1.25] and json.loads(row[3]) == {"k": 2}  # nested values as JSON
    assert row[4:9] == ["1 day", "", "true", "2.5", "3"]
    assert row[9:] == ["1", "2"]  # a repeated column name keeps both values


def test_json_keeps_nested_values_and_markdown_escapes_pipes(db, capsys):
    out, _ = _query(capsys, db, VALUES.replace("'a,b'", "'a|b'"), "-f", "json")
    (row,) = json.loads(out)
    assert row["logits"] == [0.5, -1.25] and row["st"] == {"k": 2} and row["nothing"] is None and row["yes"] is True
    out, _ = _query(capsys, db, VALUES.replace("'a,b'", "'a|b'"), "-f", "markdown")
    assert out.splitlines()[2].startswith("| a\\|b | say \"hi\" | [0.5, -1.25] | {\"k\": 2} | 1 day |  | True | 2.5")


def test_empty_results(db, capsys):
    for fmt, expected in (("csv", "i\n"), ("json", "[\n]\n"), ("markdown", "| i |\n|---|\n")):
        out, _ = _query(capsys, db, "SELECT range AS i FROM range(3) WHERE false", "-f", fmt)
        assert out == expected
    out, _ = _query(capsys, db, "SELECT range AS i FROM range(3) WHERE false")
    assert out.splitlines()[-1] == "0 rows"
