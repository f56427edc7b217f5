"""bench/task_scores.py checks the named task-score queries against minimal ones before it times them: that check
must neither pass a real difference nor fail on a missing value both sides share (it stopped at --rows 20000)."""

import importlib.util
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "task_scores.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_task_scores", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agreement_takes_null_and_nan_alike_on_both_sides_only(bench):
    bench._agree({"a": (1.0, None, math.nan)}, {"a": (1.0 + 1e-12, None, math.nan)}, "same")
    bench._agree({("r", "en"): 2.0}, {("r", "en"): 2.0}, "scalars")
    for ours, theirs in (((1.0, None), (1.0, math.nan)), ((1.0, None), (1.0, 3.0)), ((math.nan,), (3.0,)),
                         ((1.0,), (1.0 + 1e-8,))):
        with pytest.raises(AssertionError, match="the named query gives"):
            bench._agree({"a": ours}, {"a": theirs}, "differs")
    with pytest.raises(AssertionError, match="different rows"):
        bench._agree({"a": 1.0}, {"b": 1.0}, "rows")


def test_named_and_minimal_queries_agree_on_few_rows_per_group(bench, tmp_path):
    """20,000 token rows: 1,000 sentences for 500 run x language groups, so some sums have no entity at all."""
    db = tmp_path / "scores.duckdb"
    bench.load(db, 20_000)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        per_run = con.sql("SELECT count(DISTINCT language) FROM tag_sentence GROUP BY run_key").fetchall()
        empty = con.sql("SELECT count(*) FROM (SELECT run_key, language FROM tag_sentence GROUP BY ALL "
                        "HAVING sum(gold_entities) + sum(predicted_entities) = 0)").fetchall()[0][0]
    assert len(per_run) == bench.RUNS and {n for (n,) in per_run} == {len(bench.LANGUAGES)}
    assert empty > 0  # the case the minimal queries once turned into NaN
    for name, (named, minimal) in bench.PAIRS.items():
        bench._agree(named(db, None, 1), minimal(db, None, 1), name)
    with pytest.raises(ValueError, match="at least 10,000"):
        bench.load(tmp_path / "small.duckdb", 9_999)
