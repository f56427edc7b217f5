"""`Store.held`: a serial fill keeps the file open between uses, and lets it go for other processes."""

import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime

import duckdb
import pyarrow as pa
import pytest

from conftest import write_spec
from xstore.db import Store

READER = textwrap.dedent("""
    import sys
    from xstore.db import Store
    with Store(sys.argv[1]).connect(read_only=True, wait=float(sys.argv[2])) as con:
        print(con.execute("SELECT count(*) FROM cell").fetchall()[0][0])
""")


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "held.duckdb")
    store.create_or_check()
    return store


@pytest.fixture
def opens(monkeypatch):
    """Counts the DuckDB files opened in this process."""
    calls = []
    real = duckdb.connect

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting)
    return calls


def _cell(key: str) -> dict:
    return {"key": key, "kind": "load", "params": {}, "parents": {}, "host": "h", "pid": 1,
            "started_at": datetime.now(), "finished_at": datetime.now(), "wall_seconds": 0.0}


def _reader(store: Store, wait: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", READER, str(store.path), str(wait)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_held_store_opens_the_file_once_for_many_reads_and_writes(store, opens):
    with store.held(idle=60):
        for i in range(10):
            with store.connect(read_only=True) as con:
                assert con.execute("SELECT count(*) FROM cell").fetchall()[0][0] == i
            assert store.write_cell(_cell(f"k{i}"), {"task": pa.table({"name": [f"t{i}"]}).slice(0, 0)})
        assert len(opens) == 1
    with store.connect(read_only=True) as con:  # written for good, and the file is free again
        assert con.execute("SELECT count(*) FROM cell").fetchall()[0][0] == 10
    assert len(opens) == 2


def test_without_holding_every_use_opens_the_file(store, opens):
    for _ in range(5):
        with store.connect(read_only=True) as con:
            con.execute("SELECT 1").fetchall()
    assert len(opens) == 5


def _wait_until_released(store: Store, limit: float = 30.0) -> None:
    """Wait (on progress, not a fixed sleep) until this process's held connection is closed."""
    import xstore.db

    deadline = time.monotonic() + limit
    while xstore.db._KEEPERS[store.path].con is not None:
        assert time.monotonic() < deadline, "the held connection was never let go"
        time.sleep(0.01)


def test_held_file_is_let_go_when_idle(store):
    with store.held(idle=0.2):
        store.write_cell(_cell("a"), {})
        _wait_until_released(store)  # unused for longer than `idle`: another process may open it at once
        reader = _reader(store, wait=0)
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        assert out.strip() == "1"
        store.write_cell(_cell("b"), {})  # and the holder opens it again when it needs it
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM cell").fetchall()[0][0] == 2


def test_held_connection_is_renewed_to_give_back_duckdbs_cache(store, opens, monkeypatch):
    """Used without pause, the held connection is still closed and reopened every renewal period."""
    import xstore.db

    monkeypatch.setattr(xstore.db, "_HOLD_RENEW_SECONDS", 0.2)
    uses, deadline = 0, time.monotonic() + 60
    with store.held(idle=60):
        while len(opens) < 3:  # renewed at least twice, however slow the machine is
            assert time.monotonic() < deadline, f"renewed {len(opens) - 1} times in 60 s"
            with store.connect(read_only=True) as con:
                con.execute("SELECT count(*) FROM cell").fetchall()
            uses += 1
            time.sleep(0.01)
    assert uses >= 2 * len(opens)  # still held between uses: renewed, not reopened for each one


def test_a_waiting_process_gets_the_file_from_a_busy_holder(store):
    """The holder never idles long enough to let go; a waiting reader still gets in, and sees a
    consistent snapshot; the holder waits for it, then goes on writing."""
    written = 0
    with store.held(idle=60):
        store.write_cell(_cell("first"), {})
        written += 1
        reader = _reader(store, wait=20)
        deadline = time.monotonic() + 30
        while reader.poll() is None and time.monotonic() < deadline:
            assert store.write_cell(_cell(f"busy{written}"), {})
            written += 1
            time.sleep(0.01)
        out, err = reader.communicate(timeout=30)
        store.write_cell(_cell("after"), {})
    assert reader.returncode == 0, err
    assert 1 <= int(out) <= written  # whole cells only, and from before the holder went on
    assert not store.path.with_name(store.path.name + ".waiting").exists()
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM cell").fetchall()[0][0] == written + 1


def test_query_during_a_serial_fill_reads_whole_cells(tmp_path):
    """`xstore query` while a serial fill runs in another process: each answer is a consistent snapshot (only
    whole cells), holds at least the cells the fill had reported stored when the query began, the counts never
    go down, and the fill finishes. Queries start on the fill's progress lines, not on a clock."""
    spec = write_spec(tmp_path)
    xstore_bin = os.path.join(os.path.dirname(sys.executable), "xstore")
    env = {**os.environ, "XSTORE_LOCK_WAIT": "600"}
    fill = subprocess.Popen([xstore_bin, "fill", str(spec)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(fill.stderr), daemon=True)  # one line per stored cell
    reader.start()
    db = tmp_path / "small.duckdb"
    sql = ("SELECT (SELECT count(*) FROM cell) AS cells, "
           "(SELECT count(DISTINCT cell_key) FROM prediction WHERE cell_key NOT IN (SELECT key FROM cell)) "
           "AS rows_without_cell")
    answers = []
    while True:
        running = fill.poll() is None
        reported = sum(" stored " in line for line in list(lines))
        if running and reported == 0:
            time.sleep(0.05)  # until the first cell is stored
            continue
        done = subprocess.run([xstore_bin, "query", "--sql", sql, "--db", str(db), "--format", "csv"],
                              capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        cells, orphans = (int(v) for v in done.stdout.strip().splitlines()[-1].split(","))
        answers.append((reported, cells, orphans))
        if not running:
            break
    fill.wait()
    reader.join()
    assert fill.returncode == 0, "".join(lines)[-2000:]
    assert all(orphans == 0 for _, _, orphans in answers)  # rows are seen only with their cell
    assert all(cells >= reported for reported, cells, _ in answers)
    counts = [cells for _, cells, _ in answers]
    assert counts == sorted(counts) and counts[-1] == 23
