"""Property tests: for random grids and random stored subsets, the plan is exactly declared minus stored,
and storing the planned cells leaves nothing to plan."""

import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xstore.db import Store
from xstore.planner import declare, plan
from xstore.spec import load_spec

GRID = """
database = "p.duckdb"
[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = {intermediate}
targets = ["demo-nli"]
languages = {languages}
seeds = {seeds}
attacks = {attacks}
calibration = {calibration}
"""


def _subset(values):
    return st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True)


grids = st.fixed_dictionaries({
    "intermediate": _subset(["none", "demo-sentiment"]),
    "languages": _subset(["en", "de", "fr", "es", "ru"]),
    "seeds": st.lists(st.integers(0, 50), min_size=1, max_size=3, unique=True),
    "attacks": _subset(["none", "charnoise"]),
    "calibration": _subset(["none", "temperature"]),
})


def _store(cells, folder):
    store = Store(Path(folder) / "p.duckdb")
    if not store.path.exists():
        store.upgrade()
    now = datetime.now()
    with store.connect() as con:
        for c in cells:
            con.execute("INSERT INTO cell (key, kind, params, parents, host, pid, started_at, finished_at, wall_seconds) "
                        "VALUES (?, ?, '{}', '{}', 'h', 1, ?, ?, 0.0)", [c.key, c.kind, now, now]).fetchall()
    return store


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=grids, stored_mask=st.lists(st.booleans(), min_size=300, max_size=300),
       foreign=st.integers(0, 5))
def test_plan_is_declared_minus_stored(grid, stored_mask, foreign):
    with tempfile.TemporaryDirectory() as folder:
        spec_path = Path(folder) / "p.toml"
        spec_path.write_text(GRID.format(**{k: str(v).replace("'", '"') for k, v in grid.items()}))
        cells = declare(load_spec(spec_path))
        stored = [c for c, keep in zip(cells, stored_mask) if keep]
        store = _store(stored, folder)
        # cells of some other spec in the same database must not disturb this plan
        other = GRID.format(intermediate='["none"]', languages='["ru"]', seeds=f"[{100 + foreign}]",
                            attacks='["none"]', calibration='["none"]')
        other_path = Path(folder) / "other.toml"
        other_path.write_text(other)
        _store([c for c in declare(load_spec(other_path)) if c.key not in {s.key for s in cells}], folder)
        with store.connect(read_only=True) as con:
            result = plan(con, cells)
        assert {c.key for c in result.missing} == {c.key for c in cells} - {c.key for c in stored}
        assert [c.key for c in result.missing] == [c.key for c in cells if c.key not in {s.key for s in stored}]
        _store(result.missing, folder)
        with store.connect(read_only=True) as con:
            assert plan(con, cells).missing == []
