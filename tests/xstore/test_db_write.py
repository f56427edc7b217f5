"""`Store.write_cell`: a cell's rows and its `cell` row in one transaction, at most once per key."""

from datetime import datetime

import duckdb
import pyarrow as pa
import pytest

from xstore.db import Store


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "w.duckdb")
    store.create_or_check()
    return store


def _cell(key, **changes):
    row = {"key": key, "kind": "load", "params": {"n": 1}, "parents": {}, "host": "h", "pid": 1,
           "started_at": datetime.now(), "finished_at": datetime.now(), "wall_seconds": 0.5}
    return {**row, **changes}


def _examples(cell_key, ids):
    n = len(ids)
    return pa.table({"id": ids, "cell_key": [cell_key] * n, "task": ["t"] * n, "task_version": [1] * n,
                     "split": ["test"] * n, "language": ["de"] * n, "idx": list(range(n)),
                     "text_a": ["Hallo Welt"] * n, "text_b": [None] * n, "label": [0] * n})


def _count(store, sql):
    with store.connect(read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


def test_a_stored_cell_is_not_written_again(store):
    assert store.write_cell(_cell("c1"), {"example": _examples("c1", ["e1", "e2"])})
    # the same key with other rows: refused whole, nothing of it lands
    assert not store.write_cell(_cell("c1"), {"example": _examples("c1", ["e3"])})
    assert _count(store, "SELECT count(*) FROM example") == 2
    assert _count(store, "SELECT count(*) FROM example WHERE id = 'e3'") == 0
    assert _count(store, "SELECT count(*) FROM cell") == 1


def test_a_malformed_cell_row_raises_and_leaves_nothing(store):
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
        store.write_cell(_cell("c2", started_at=None), {"example": _examples("c2", ["e1"])})
    assert _count(store, "SELECT count(*) FROM cell") == 0


def test_a_clash_in_the_rows_rolls_back_the_cell_row_too(store):
    store.write_cell(_cell("c1"), {"example": _examples("c1", ["e1"])})
    with pytest.raises(duckdb.ConstraintException, match="(?i)duplicate key"):
        store.write_cell(_cell("c2"), {"example": _examples("c2", ["e1"])})  # e1 is c1's
    assert _count(store, "SELECT count(*) FROM cell WHERE key = 'c2'") == 0
