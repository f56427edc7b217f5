"""A database made by the previous release upgrades, and every named query gives the answers it gave then.

tests/fixtures/schema3/small.duckdb.gz is a database at schema version 3, filled by xstore at commit
cbc35e9 (issue 16, the release before migration 0004) from tests/conftest.py's small spec: two runs (none
and demo-sentiment, seed 1), English and German, clean and charnoise, with and without temperature scaling.
answers.json.gz holds what each of the 20 named queries of that commit answered on it, with default
parameters (n_boot = 100 for the two bootstrap queries), as {query: {params, columns, rows}}. The bootstrap
intervals and p-values are left out of the comparison: migration 0004 changed how replicates draw their
weights.
"""

from __future__ import annotations

import gzip
import json
import math
import shutil
from pathlib import Path

import pytest

from xstore import named
from migrations import MIGRATIONS
from xstore.db import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "schema3"
# Columns that identify a row of any query's answer.
IDENTITY = ("base_model", "intermediate", "target", "seed", "split", "language", "attack", "calibration", "metric",
            "bin", "example_id", "run_key")
REDRAWN = {"ci_low", "ci_high", "se", "p_value"}  # bootstrap draws: changed on purpose


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("schema3")
    path = folder / "small.duckdb"
    with gzip.open(FIXTURE / "small.duckdb.gz", "rb") as packed, open(path, "wb") as out:
        shutil.copyfileobj(packed, out)
    store = Store(path)
    with store.connect(read_only=True) as con:
        assert store.schema_version(con) == 3
    assert store.upgrade() == list(MIGRATIONS[3:])  # 0004 (the view) and every later one
    return store


def _same(old, new) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        if old == "nan" or (isinstance(old, float) and math.isnan(old)):
            return isinstance(new, float) and math.isnan(new)
        return old is not None and new is not None and math.isclose(old, new, rel_tol=1e-12, abs_tol=1e-12)
    return old == new


ANSWERS = json.loads(gzip.decompress((FIXTURE / "answers.json.gz").read_bytes()))


def test_every_query_was_recorded():
    """Every query of that release is still there (queries added since have no old answer to keep)."""
    assert set(ANSWERS) <= set(named.available())


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_answers_are_unchanged(upgraded, name):
    old = ANSWERS[name]
    with upgraded.connect(read_only=True) as con:
        result = named.run(con, name, old["params"])
        columns = [d[0] for d in result.description]
        new_rows = [dict(zip(columns, row)) for row in result.fetchall()]
    assert set(old["columns"]) <= set(columns), "a column of the old answer is gone"
    keys = [c for c in IDENTITY if c in old["columns"]]
    new_by_key = {tuple(row[k] for k in keys): row for row in new_rows}
    assert len(new_by_key) == len(new_rows) == len(old["rows"])
    compared = [c for c in old["columns"] if not (name in ("metrics_bootstrap", "delta_vs_baseline") and c in REDRAWN)]
    for values in old["rows"]:
        row = dict(zip(old["columns"], values))
        new = new_by_key[tuple(row[k] for k in keys)]
        for column in compared:
            assert _same(row[column], new[column]), (column, row[column], new[column])
    # one setting of each attack and one variant: the labels look as they did
    if "variant" in columns:
        assert {row["variant"] for row in new_rows} == {"default"}


def test_upgrade_fills_the_new_columns(upgraded):
    with upgraded.connect(read_only=True) as con:
        changed = dict(con.execute("SELECT attack, count(*) FILTER (WHERE input_changed) FROM prediction "
                                   "GROUP BY attack").fetchall())
        unknown = con.execute("SELECT count(*) FROM prediction WHERE input_changed IS NULL").fetchone()[0]
        # a perturbed input counts as changed exactly when its stored text differs from the example's
        expected = con.execute("""SELECT count(*) FROM perturbation AS x JOIN example AS e ON e.id = x.example_id
                                  JOIN prediction AS p ON p.perturbation_id = x.id
                                  WHERE x.text_a <> e.text_a OR x.text_b IS DISTINCT FROM e.text_b""").fetchone()[0]
        fits = con.execute("SELECT temperature, at_bound FROM calibration_fit ORDER BY temperature").fetchall()
    assert unknown == 0 and changed["none"] == 0 and changed["charnoise"] == expected > 0
    # the old search range was [0.05, 20]: a fit within a factor 1.25 of either end is flagged
    assert fits and all(flag == (t <= 0.0625 or t >= 16.0) for t, flag in fits)
