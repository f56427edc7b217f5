"""`xstore query --sql` reads the database and nothing else, and writes nothing: each try below, from the issue's
list and a careful attacker's, ends as stated, with no file changed anywhere under the watched folder (the
database, its checkpoints, its spec, another experiment's database, a private file, the home folder)."""

import shutil

import duckdb
import pytest

from conftest import run_cli
from watch import one_line_error, snapshot, spill_folders

OUTSIDE = "queries read the database and nothing else, and write nothing"
LOCKED = "queries are read-only and their settings are fixed"
READ_ONLY = "queries are read-only: "
FAILED = "query failed: "
ONLY_SELECT = "with --allow-read only SELECT statements run"


@pytest.fixture
def watched(small_copy, tmp_path, monkeypatch):
    """A folder holding a filled database (copy/), another experiment's database, a private file, a folder of
    the user's own files and a home folder; the CLI runs in it. Yields the database's path after checking, at
    the end of the test, that no file under the folder changed and no spill folder was left."""
    shutil.copy(small_copy / "small.duckdb", tmp_path / "other.duckdb")
    (tmp_path / "secret.txt").write_text("not for queries\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "labels.csv").write_text("language,weight\nen,1\nde,2\n")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # INSTALL and persistent secrets write under ~/.duckdb
    monkeypatch.chdir(tmp_path)  # relative paths in the SQL land in the watched folder
    before = snapshot(tmp_path)
    yield small_copy / "small.duckdb"
    assert snapshot(tmp_path) == before
    assert not spill_folders()


def _query(capsys, db, sql, *extra):
    return run_cli(["query", "--sql", sql, "--db", db, *extra], capsys)


REFUSED = [
    # the list
    ("ATTACH 'other.duckdb' AS o (READ_ONLY false); DROP TABLE o.prediction", OUTSIDE),
    ("COPY (SELECT 'oops') TO 'copy/small.toml' (FORMAT csv, HEADER false)", OUTSIDE),
    ("COPY prediction TO 'predictions.csv'", OUTSIDE),
    ("EXPORT DATABASE 'dump'", OUTSIDE),
    ("INSTALL httpfs", OUTSIDE),
    ("SELECT * FROM read_text('secret.txt')", OUTSIDE),
    ("SELECT * FROM read_csv('mine/labels.csv')", OUTSIDE),
    # writing the database itself
    ("DROP TABLE prediction", READ_ONLY),
    ("INSERT INTO task VALUES ('x', 1, 'r', 'h', '[]', '[]', '[]')", READ_ONLY),
    ("DELETE FROM cell", READ_ONLY),
    ("UPDATE prediction SET label = 0", READ_ONLY),
    ("CREATE TABLE t (x INTEGER)", READ_ONLY),
    ("CREATE MACRO twice(x) AS 2 * x", READ_ONLY),
    # table functions and scans that read files
    ("SELECT * FROM read_parquet('*.parquet')", OUTSIDE),
    ("SELECT * FROM read_json('mine/*.json')", OUTSIDE),
    ("SELECT * FROM read_blob('secret.txt')", OUTSIDE),
    ("SELECT * FROM glob('*')", OUTSIDE),
    ("SELECT * FROM sniff_csv('mine/labels.csv')", OUTSIDE),
    ("SELECT * FROM 'secret.txt'", FAILED),  # no replacement scan of a file name: "no such table"
    ("SELECT * FROM read_text('/etc/hostname')", OUTSIDE),
    ("COPY cell FROM 'mine/labels.csv'", OUTSIDE),
    ("PRAGMA import_database('dump')", OUTSIDE),
    # extensions and secrets
    ("LOAD httpfs", OUTSIDE),
    ("INSTALL httpfs FROM 'http://localhost:1'", OUTSIDE),
    ("CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", OUTSIDE),
    # settings: SET, RESET, PRAGMA and CALL that change them
    ("SET enable_external_access = true; COPY cell TO 'cells.csv'", LOCKED),
    ("RESET enable_external_access", LOCKED),
    ("SET lock_configuration = false", LOCKED),
    ("SET allowed_directories = ['/']", LOCKED),
    ("SET memory_limit = '1TB'", LOCKED),
    ("SET temp_directory = '.'", LOCKED),
    ("PRAGMA enable_profiling = 'json'", LOCKED),
    ("PRAGMA profiling_output = 'profile.json'", LOCKED),
    ("PRAGMA threads = 1", LOCKED),
    ("CALL enable_logging()", LOCKED),
    # other databases
    ("ATTACH ':memory:' AS m", READ_ONLY),
    ("DETACH small", FAILED),
    # several statements: each is sandboxed
    ("SELECT 1 AS x; DROP TABLE cell", READ_ONLY),
    ("SELECT 1 AS x; COPY cell TO 'cells.csv'", OUTSIDE),
    ("CREATE TEMP TABLE t AS SELECT * FROM cell; COPY t TO 'cells.csv'", OUTSIDE),
    ("EXPLAIN ANALYZE COPY cell TO 'cells.csv'", OUTSIDE),
    # not SQL, or SQL inside SQL
    (".read evil.sql", FAILED),
    (".import secret.txt cell", FAILED),
    ("SELECT * FROM query('COPY cell TO ''cells.csv''')", FAILED),
    # nothing to run
    ("", "no SQL to run"),
    ("   \n ", "no SQL to run"),
    ("-- only a comment", "no SQL to run"),
    ("/* a block comment */", "no SQL to run"),
]


@pytest.mark.parametrize("sql, message", REFUSED)
def test_refused(watched, capsys, sql, message):
    one_line_error(*_query(capsys, watched, sql), message)


ANSWERED = [
    ("SELECT count(*) AS n FROM cell", "23"),
    ("CHECKPOINT", ""),  # nothing to write back in read-only mode
    ("FORCE CHECKPOINT", ""),
    ("VACUUM", ""),
    ("PRAGMA version", "v"),
    ("CALL pragma_version()", "v"),
    ("SELECT current_setting('enable_external_access') AS external", "false"),
    ("CREATE TEMP TABLE t AS SELECT * FROM cell; SELECT count(*) AS n FROM t", "23"),  # in memory, then gone
    ("CREATE TEMP MACRO twice(x) AS 2 * x; SELECT twice(21) AS x", "42"),
    ("SET VARIABLE answer = 42; SELECT getvariable('answer') AS x", "42"),  # a variable, not a setting
    ("BEGIN; SELECT count(*) AS n FROM cell", "23"),
]


@pytest.mark.parametrize("sql, shown", ANSWERED)
def test_answered_without_writing(watched, capsys, sql, shown):
    code, out, err = _query(capsys, watched, sql, "-f", "csv")
    assert code == 0, err
    assert shown in out and "Traceback" not in out + err


def test_a_large_sort_spills_outside_the_watched_folder(watched, capsys, monkeypatch):
    monkeypatch.setenv("XSTORE_QUERY_MEMORY", "64MB")  # DuckDB spills the sort; its default folder is beside the db
    sql = "SELECT count(*) AS n FROM (SELECT range AS i, random() AS r FROM range(6000000) ORDER BY r)"
    code, out, err = _query(capsys, watched, sql, "-f", "csv")
    assert code == 0, err
    assert out == "n\n6000000\n"


def test_allow_read_reads_that_folder_and_nothing_else(watched, capsys):
    sql = ("SELECT p.language, count(*) AS n, any_value(w.weight) AS weight FROM prediction p "
           "JOIN read_csv('mine/labels.csv') w USING (language) GROUP BY ALL ORDER BY 1")
    code, out, err = _query(capsys, watched, sql, "--allow-read", "mine", "-f", "csv")
    assert code == 0, err
    with duckdb.connect(str(watched), read_only=True) as con:
        counts = dict(con.execute("SELECT language, count(*) FROM prediction GROUP BY ALL").fetchall())
    assert out.splitlines()[1:] == [f'"de",{counts["de"]},2', f'"en",{counts["en"]},1']
    one_line_error(*_query(capsys, watched, "SELECT * FROM read_text('secret.txt')", "--allow-read", "mine"), OUTSIDE)
    one_line_error(*_query(capsys, watched, "SELECT * FROM read_text('mine/../secret.txt')", "--allow-read", "mine"),
                   OUTSIDE)


@pytest.mark.parametrize("sql", [
    "COPY cell TO 'mine/cells.csv'",  # DuckDB's allowed_directories would let these three write in mine/
    "EXPLAIN ANALYZE COPY cell TO 'mine/cells.csv'",
    "ATTACH 'mine/new.duckdb' AS n (READ_ONLY false); CREATE TABLE n.t AS SELECT 1",
    "EXPORT DATABASE 'mine/dump'",
    "SELECT 1 AS x; COPY cell TO 'mine/cells.csv'",
    "SET enable_external_access = true",
])
def test_allow_read_never_writes(watched, capsys, sql):
    one_line_error(*_query(capsys, watched, sql, "--allow-read", "mine"), ONLY_SELECT)


@pytest.mark.parametrize("args, message", [
    (["ece_by_language", "--allow-read", "mine"], "--allow-read goes with --sql"),
    (["--sql", "SELECT 1", "--allow-read", "not-there"], "--allow-read not-there: not a folder"),
])
def test_allow_read_mistakes(watched, capsys, args, message):
    one_line_error(*run_cli(["query", *args, "--db", watched], capsys), message)


def test_python_api_is_sandboxed_too(watched):
    import xstore
    from xstore.errors import UserError

    db = xstore.open(watched)
    with pytest.raises(UserError, match=OUTSIDE):
        db.df(sql="COPY cell TO 'cells.csv'")
    with pytest.raises(UserError, match="no SQL to run"):
        db.df(sql="-- nothing")
    mine = xstore.open(watched, allow_read=["mine"])
    assert mine.df(sql="SELECT sum(weight) AS w FROM read_csv('mine/labels.csv')")["w"].tolist() == [3]
    with pytest.raises(UserError, match=ONLY_SELECT):
        mine.df(sql="COPY cell TO 'mine/cells.csv'")


def test_another_connection_in_this_process(watched):
    """DuckDB shares one open database per file within a process, and refuses a second connection with other
    settings: xstore says so, and never borrows (or leaves behind) a differently configured connection."""
    import xstore
    from xstore.db import Store
    from xstore.errors import UserError

    db = xstore.open(watched)
    mine = duckdb.connect(str(watched), read_only=True)
    with pytest.raises(UserError, match="already open in this Python process through another connection"):
        db.df(sql="SELECT 1 AS x")
    assert mine.execute("SELECT count(*) FROM cell").fetchall() == [(23,)]  # the user's connection is untouched
    mine.close()
    assert db.df(sql="SELECT count(*) AS n FROM cell")["n"].tolist() == [23]
    plain = duckdb.connect(str(watched), read_only=True)  # afterwards: the user's own settings, not the sandbox's
    assert plain.execute("SELECT current_setting('enable_external_access')").fetchall() == [(True,)]
    plain.close()
    with Store(watched).held(idle=60):  # a fill of this process holds the file read-write
        with pytest.raises(UserError, match="this process is filling"):
            db.df(sql="SELECT 1 AS x")
