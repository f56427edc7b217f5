"""Parameters of named queries are checked against the range their SQL file declares, before anything runs, by
the CLI, the Python API and export alike; values are bound, never pasted into SQL; a parameter given twice is a
mistake."""

import pytest

from conftest import run_cli
from watch import one_line_error, snapshot
from xstore.errors import UserError


@pytest.fixture
def db(small_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    yield small_copy / "small.duckdb"
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("query, param, message", [
    ("ece_by_language", "n_bins=0", "parameter 'n_bins' must be INTEGER in [1, 1000], got '0'"),
    ("reliability_bins", "n_bins=-3", "parameter 'n_bins' must be INTEGER in [1, 1000], got '-3'"),
    ("ece_by_language", "n_bins=1000000", "must be INTEGER in [1, 1000], got '1000000'"),
    ("ece_by_language", "n_bins=10.5", "must be INTEGER in [1, 1000], got '10.5'"),
    ("ece_by_language", "n_bins=", "must be INTEGER in [1, 1000], got ''"),
    ("metrics_bootstrap", "level=1", "parameter 'level' must be DOUBLE in (0, 1), got '1'"),
    ("metrics_bootstrap", "level=nan", "parameter 'level' must be DOUBLE in (0, 1), got 'nan'"),
    ("metrics_bootstrap", "n_boot=0", "parameter 'n_boot' must be INTEGER in [1, 10000]"),
    ("delta_vs_baseline", "seed=-1", "parameter 'seed' must be INTEGER in [0, 2147483647]"),
    ("confidence_on_successful_attacks", "threshold=1.5", "parameter 'threshold' must be DOUBLE in [0, 1]"),
    ("confidence_on_successful_attacks", "threshold=inf", "parameter 'threshold' must be DOUBLE in [0, 1]"),
    # values that carry SQL stay values
    ("ece_by_language", "n_bins=10; DROP TABLE cell", "must be INTEGER in [1, 1000], got '10; DROP TABLE cell'"),
    ("ece_by_language", "n_bins=10) OR (1=1", "must be INTEGER"),
    ("ece_by_language", "n_bins=10); COPY cell TO 'cells.csv'; --", "must be INTEGER"),
    ("ece_by_language", "n_bins='10'", "must be INTEGER"),
    ("ece_by_language", "bins=10", "query 'ece_by_language' has no parameter 'bins' (parameters: n_bins)"),
    ("ece_by_language", "n_bins", "--param takes key=value, got 'n_bins'"),
    ("ece_by_language", "=10", "--param takes key=value, got '=10'"),
])
def test_out_of_range_or_malformed(db, capsys, query, param, message):
    one_line_error(*run_cli(["query", query, "--param", param, "--db", db], capsys), message)


def test_a_parameter_given_twice_is_refused(db, capsys):
    args = ["query", "ece_by_language", "--param", "n_bins=5", "--param", "n_bins=15", "--db", db]
    one_line_error(*run_cli(args, capsys), "--param n_bins is given twice ('5' and '15'); give each parameter once")


def test_values_at_the_ends_of_a_closed_range_run(db, capsys):
    for value in ("1", "1000"):
        code, out, err = run_cli(["query", "ece_by_language", "-p", f"n_bins={value}", "--db", db, "-f", "csv"], capsys)
        assert code == 0, err
        assert len(out.splitlines()) > 1


@pytest.mark.parametrize("args, message", [
    (["--table", "ece", "--n-bins", "0"], "parameter 'n_bins' must be INTEGER in [1, 1000], got 0"),
    (["--table", "mce", "--n-bins", "5000"], "parameter 'n_bins' must be INTEGER in [1, 1000], got 5000"),
    (["--figure", "reliability", "--n-bins", "0", "--language", "de", "--intermediate", "none", "--seed", "1"],
     "parameter 'n_bins' must be INTEGER in [1, 1000], got 0"),  # was a ZeroDivisionError traceback
])
def test_export_checks_the_same_ranges(db, capsys, args, message):
    one_line_error(*run_cli(["export", db, *args], capsys), message)


def test_report_checks_the_same_ranges(db, capsys, tmp_path):
    one_line_error(*run_cli(["report", db, "--n-bins", "-1", "--out", tmp_path / "r.md"], capsys),
                   "parameter 'n_bins' must be INTEGER in [1, 1000], got -1")


@pytest.mark.parametrize("params, message", [
    ({"n_bins": 0}, "must be INTEGER in [1, 1000], got 0"),
    ({"n_bins": True}, "must be INTEGER in [1, 1000], got True"),  # a bool is an int to Python, not a bin count
    ({"n_bins": 10.5}, "got 10.5"),
    ({"n_bins": "10; DROP TABLE cell"}, "got '10; DROP TABLE cell'"),
    ({"n_bins": None}, "got None"),
])
def test_python_api_checks_the_same_ranges(db, params, message):
    import xstore

    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        xstore.open(db).df("ece_by_language", **params)


def test_python_api_accepts_numbers_in_range(db):
    import xstore

    handle = xstore.open(db)
    assert handle.df("ece_by_language", n_bins=10.0).equals(handle.df("ece_by_language", n_bins=10))
    assert handle.df("ece_by_language", n_bins="10").equals(handle.df("ece_by_language"))
