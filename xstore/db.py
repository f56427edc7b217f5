"""The database layer: short-lived DuckDB connections, migrations, atomic cell writes, the fill lock.

DuckDB lets one process write a file at a time. Connections here are opened for one piece of work and
closed at once, so a reader can get in between; a separate lock file keeps two fills apart.

Opening a DuckDB file costs 25-30 ms (building the instance's catalogue), which is most of the time a
small cell spends on the database. So a serial fill keeps the file open between uses (`Store.held`):
it lets go after `XSTORE_HOLD_IDLE` seconds unused (default 1), which is whenever a model computes for
longer than that, and at once when another xstore process is waiting for the file: those announce
themselves with a file in `<db>.waiting/` while they retry.
"""

from __future__ import annotations

import fcntl
import importlib
import os
import re
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional

import duckdb

from xstore import faults, labels
from xstore.errors import UserError
from xstore.keys import canonical_json

_LOCK_PID = re.compile(r"PID (\d+)")
# A waiting process refreshes its file every retry; older files are from one that gave up or died.
_WAITER_FRESH_SECONDS = 2.0
# A held connection is closed (when unused) this long after opening, to give back DuckDB's block cache.
_HOLD_RENEW_SECONDS = 10.0


def _migration_modules() -> list:
    from xstore.migrations import MIGRATIONS

    return [importlib.import_module(f"xstore.migrations.{name}") for name in MIGRATIONS]


def latest_version() -> int:
    from xstore.migrations import MIGRATIONS

    return len(MIGRATIONS)


class Store:
    """One xstore database file and the artifact folder beside it (`demo.duckdb` -> `demo.xstore/`)."""

    def __init__(self, path: os.PathLike | str):
        self.path = Path(path).resolve()
        self.artifacts = self.path.with_suffix(".xstore")

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def connect(self, read_only: bool = False, wait: Optional[float] = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one piece of work, closed on exit. Lock and format errors become UserError.

        While another process holds the file (DuckDB: one writer, or readers only), retry for up to
        `wait` seconds (default $XSTORE_LOCK_WAIT, else 30): the other side's connections are short too.
        Inside `held()` this is a cursor on the held connection (read-write, whatever `read_only` says).
        """
        keeper = _KEEPERS.get(self.path)
        if keeper is not None:
            with keeper.cursor(wait) as con:
                yield con
            return
        if read_only and not self.path.exists():
            raise UserError(f"database {self.path} does not exist")
        con = self._open(read_only, wait)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def held(self, idle: Optional[float] = None) -> Iterator[None]:
        """Keep one read-write connection open between this process's uses of the file, for a fill.

        It is closed after `idle` seconds unused (default $XSTORE_HOLD_IDLE, else 1), as soon as another
        xstore process waits for the file, and on exit. Only the process holding the fill lock should hold.
        """
        if idle is None:
            idle = float(os.environ.get("XSTORE_HOLD_IDLE", "1"))
        keeper = _Keeper(self, idle)
        _KEEPERS[self.path] = keeper
        try:
            yield
        finally:
            del _KEEPERS[self.path]
            keeper.stop()

    def _open(self, read_only: bool, wait: Optional[float], config: Optional[dict] = None) -> duckdb.DuckDBPyConnection:
        if self.path.is_dir():
            raise UserError(f"{self.path} is a folder, not a database file")
        if not read_only and not self.path.parent.is_dir():
            raise UserError(f"folder {self.path.parent} does not exist")
        if wait is None:
            wait = float(os.environ.get("XSTORE_LOCK_WAIT", "30"))
        deadline = time.monotonic() + wait
        waiting = None
        try:
            while True:
                try:
                    return duckdb.connect(str(self.path), read_only=read_only, config=config or {})
                except duckdb.IOException as err:
                    if "lock" in str(err).lower() and time.monotonic() < deadline:
                        waiting = self._announce_waiting(waiting)
                        time.sleep(0.05)
                        continue
                    raise UserError(self._explain_open_error(err)) from None
                except duckdb.Error as err:
                    raise UserError(self._explain_open_error(err)) from None
        finally:
            if waiting is not None:
                waiting.unlink(missing_ok=True)
                try:
                    waiting.parent.rmdir()
                except OSError:  # another process is still waiting
                    pass

    @property
    def _waiting_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".waiting")

    def _announce_waiting(self, waiting: Optional[Path]) -> Optional[Path]:
        """Create (or refresh) this process's file in `<db>.waiting/`, asking a holder to let go."""
        try:
            if waiting is None:
                self._waiting_dir.mkdir(exist_ok=True)
                waiting = self._waiting_dir / f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident()}"
            waiting.touch()
        except OSError:  # a read-only folder: wait without announcing
            return None
        return waiting

    def others_waiting(self) -> bool:
        """Whether another process is retrying to open the file (a fresh file in `<db>.waiting/`)."""
        try:
            entries = list(os.scandir(self._waiting_dir))
        except OSError:
            return False
        now = time.time()
        for entry in entries:
            try:
                if now - entry.stat().st_mtime < _WAITER_FRESH_SECONDS:
                    return True
            except OSError:
                continue
        return False

    def _explain_open_error(self, err: Exception) -> str:
        text = str(err)
        if "lock" in text.lower():
            pid = _LOCK_PID.search(text)
            holder = f"process {pid.group(1)}" if pid else "another process"
            return f"database {self.path} is in use by {holder} (DuckDB allows one writer); try again when it is done"
        if "different configuration" in text:  # DuckDB shares one open instance per file within a process
            return (f"{self.path} is already open in this Python process through another connection (your own "
                    "duckdb.connect, or a fill); xstore reads it through a sandboxed connection of its own: close "
                    "the other connection first")
        if "not a valid DuckDB database" in text or "Invalid Input" in text or "database file" in text:
            return f"{self.path} is not a DuckDB database file"
        for reason in ("Permission denied", "Read-only file system", "No space left on device"):
            if reason in text:
                return f"cannot write {self.path}: {reason.lower()}; nothing was changed"
        return f"cannot open {self.path}: {text.splitlines()[0]}"

    # -- schema ------------------------------------------------------------------------------

    def schema_version(self, con: duckdb.DuckDBPyConnection) -> int:
        """The highest applied migration, 0 for an empty database."""
        has_table = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchall()[0][0]
        if not has_table:
            tables = con.execute("SELECT count(*) FROM information_schema.tables").fetchall()[0][0]
            if tables:
                raise UserError(f"{self.path} is a DuckDB file but not an xstore database (no schema_version table)")
            return 0
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]

    def check_version(self, con: duckdb.DuckDBPyConnection) -> int:
        """Raise UserError unless the database is at the code's schema version."""
        version, latest = self.schema_version(con), latest_version()
        if version > latest:
            raise UserError(
                f"{self.path} has schema version {version}, newer than this xstore understands ({latest}); "
                "upgrade xstore to use it"
            )
        if version < latest:
            raise UserError(
                f"{self.path} has schema version {version}; this xstore needs {latest}: "
                f"run `xstore db upgrade {self.path}` first"
            )
        return version

    def upgrade(self, target: Optional[int] = None) -> list[str]:
        """Apply pending migrations up to `target` (default: all), each in its own transaction."""
        applied = []
        with self.connect() as con:
            current = self.schema_version(con)
            latest = latest_version()
            if current > latest:
                self.check_version(con)
            target = latest if target is None else target
            for number, module in enumerate(_migration_modules(), start=1):
                if number <= current or number > target:
                    continue
                name = module.__name__.rsplit(".", 1)[-1]
                con.begin()
                try:
                    module.up(con)
                    faults.reached("migration")
                    con.execute(
                        "INSERT INTO schema_version VALUES (?, ?, ?)", [number, name, datetime.now()]
                    ).fetchall()
                    con.commit()
                except duckdb.Error as err:  # e.g. a table of this migration already there: a half-upgraded file
                    rollback_quietly(con)
                    raise UserError(f"migration {name} failed on {self.path}: {str(err).splitlines()[0]}; the database "
                                    f"stays at schema version {number - 1}. Was it changed by hand or by another "
                                    "tool? Restore it from a copy") from None
                except BaseException:
                    rollback_quietly(con)
                    raise
                applied.append(name)
        return applied

    def create_or_check(self) -> None:
        """Create a new database at the latest schema, or check an existing one's version.

        A new database is built under a temporary name and renamed into place once every migration
        has run, so a crash while creating it leaves no half-made file behind.
        """
        if not self.path.exists():
            for stale in self.path.parent.glob(f".{self.path.name}.tmp-*"):  # from a creation that crashed
                stale.unlink(missing_ok=True)
            tmp = Store(self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}"))
            tmp.path.unlink(missing_ok=True)
            try:
                tmp.upgrade()
                os.replace(tmp.path, self.path)
            finally:
                tmp.path.unlink(missing_ok=True)
                tmp.path.with_name(tmp.path.name + ".wal").unlink(missing_ok=True)
            return
        with self.connect() as con:
            if self.schema_version(con) == 0:
                pass
            else:
                self.check_version(con)
                from xstore import integrity

                integrity.check(self, con)
                self.heal_labels(con)
                return
        self.upgrade()

    def heal_labels(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Rewrite the label tables that no longer match their views (rows written by hand), in one transaction;
        returns their names. xstore's own writers keep them current, so this is nearly always a no-op."""
        stale = labels.stale(con)
        if stale:
            con.begin()
            try:
                labels.refresh(con)
                con.commit()
            except BaseException:
                rollback_quietly(con)
                raise
        return stale

    # -- writing cells -----------------------------------------------------------------------

    def write_cell(self, cell_row: dict, tables: dict) -> bool:
        """Insert a cell's rows (Arrow tables by table name) and its `cell` row in one transaction.

        Returns False, writing nothing, when the cell is already stored. Rows of a reference table
        (`schema.REFERENCE_TABLES`) that are there already are kept as they are. The `cell` row goes in
        last, its `write_seconds` (whatever the caller counted already, e.g. a worker's shard) plus the time
        from opening the connection to that insert: the commit after it cannot be timed in the row it commits.
        """
        # Imported here: the schema needs SQLModel (~0.7 s to import), which reading a database never does.
        from xstore.schema import REFERENCE_TABLES

        t0 = time.perf_counter()
        with self.connect() as con:
            con.begin()
            try:
                if con.execute("SELECT count(*) FROM cell WHERE key = ?", [cell_row["key"]]).fetchall()[0][0]:
                    con.rollback()
                    return False
                for table, rows in tables.items():
                    if rows is None or rows.num_rows == 0:
                        continue
                    verb = "INSERT OR IGNORE" if table in REFERENCE_TABLES else "INSERT"
                    con.register("_xstore_rows", rows)
                    con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM _xstore_rows").fetchall()
                    con.unregister("_xstore_rows")
                spent = (cell_row.get("write_seconds") or 0.0) + time.perf_counter() - t0
                _insert_row(con, "cell", {**cell_row, "write_seconds": spent})
                if cell_row.get("kind") in labels.LABELLED_KINDS:  # after the cell row: attack labels read it
                    # the run or attacked cell and its labels are committed together
                    labels.refresh(con, labels.LABELLED_KINDS[cell_row["kind"]])
                if any(rows is not None and rows.num_rows for t, rows in tables.items() if t in labels.SCORED_TABLES):
                    labels.score_cell(con, cell_row["key"])
                faults.reached("commit")
                con.commit()
            except BaseException:
                rollback_quietly(con)
                raise
        return True

    def record_failure(self, key: str, kind: str, params: dict, error: str, traceback_text: str,
                       host: Optional[str] = None, pid: Optional[int] = None) -> None:
        """Add a failure row (attempt number one higher than the last) in its own short transaction;
        `host` and `pid` say where the attempt ran (default: this process)."""
        with self.connect() as con:
            attempt = con.execute(
                "SELECT coalesce(max(attempt), 0) + 1 FROM failure WHERE cell_key = ?", [key]
            ).fetchall()[0][0]
            _insert_row(con, "failure", {
                "cell_key": key, "attempt": attempt, "kind": kind, "params": params,
                "error": error, "traceback": traceback_text, "host": host or socket.gethostname(),
                "pid": pid or os.getpid(), "failed_at": datetime.now(),
            })

    # -- the fill lock -----------------------------------------------------------------------

    @contextmanager
    def fill_lock(self) -> Iterator[None]:
        """Hold `<db>.lock` for a whole fill, so a second fill on the same file stops at once.

        The file goes when the fill ends (refused, interrupted or done), so a command leaves nothing behind. Whoever
        locks it checks that it is still the file at that path: one that was removed meanwhile is no lock.
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        while True:
            try:
                handle = open(lock_path, "a+")
            except OSError as err:
                raise UserError(f"cannot write in {self.path.parent}: {err.strerror.lower()}; nothing was changed") from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise UserError(f"{self.path} is being filled by {holder}; wait for it or stop it first") from None
            if _same_file(handle, lock_path):
                break
            handle.close()  # its holder removed it as we opened it: take the new one
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            lock_path.unlink(missing_ok=True)  # while still locked, so nobody takes the old file meanwhile
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


def _same_file(handle, path: Path) -> bool:
    try:
        return os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


class _Keeper:
    """The held connection of `Store.held`: opened on first use, closed by a watcher thread when idle.

    It is also renewed every `_HOLD_RENEW_SECONDS`: an open DuckDB instance keeps every block it has
    read or written cached up to its memory limit (80% of RAM), and closing it is what gives that back
    (bench/memory.py: +116 MiB over 2.5 million rows held for good, ~5 MiB renewed).
    """

    def __init__(self, store: Store, idle: float):
        self.store, self.idle = store, idle
        self.con: Optional[duckdb.DuckDBPyConnection] = None
        self.in_use, self.last_used, self.opened = 0, time.monotonic(), time.monotonic()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="xstore-db-holder", daemon=True)
        self.watcher.start()

    @contextmanager
    def cursor(self, wait: Optional[float]) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock:
            if self.con is None:
                self._let_waiters_in()
                self.con = self.store._open(False, wait)
                self.opened = time.monotonic()
            cursor = self.con.cursor()
            self.in_use += 1
        try:
            yield cursor
        finally:
            cursor.close()
            with self.lock:
                self.in_use -= 1
                self.last_used = time.monotonic()

    def _let_waiters_in(self, limit: float = 5.0) -> None:
        """Before reopening, give processes that asked for the file up to `limit` seconds to open it."""
        deadline = time.monotonic() + limit
        while self.store.others_waiting() and time.monotonic() < deadline:
            time.sleep(0.02)

    def _watch(self) -> None:
        while not self.stopped.wait(0.05):
            with self.lock:
                if self.con is None or self.in_use:
                    continue
                now = time.monotonic()
                if (now - self.last_used > self.idle or now - self.opened > _HOLD_RENEW_SECONDS
                        or self.store.others_waiting()):
                    self._close()

    def _close(self) -> None:
        con, self.con = self.con, None
        if con is not None:
            con.close()

    def stop(self) -> None:
        self.stopped.set()
        self.watcher.join()
        with self.lock:
            self._close()


# Path -> the connection held for it by this process (see Store.held).
_KEEPERS: dict[Path, _Keeper] = {}


def held_here(path: Path) -> bool:
    """Whether this process holds a read-write connection to `path` for a fill (Store.held)."""
    return Path(path).resolve() in _KEEPERS


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open: a failed COMMIT (a full disk) has already ended it,
    and the error that matters is the one being raised, not a second one from here."""
    try:
        con.rollback()
    except duckdb.Error:
        pass


def _insert_row(con: duckdb.DuckDBPyConnection, table: str, row: dict) -> None:
    """Insert one row given as a dict; dicts and lists go in as JSON text."""
    columns = list(row)
    values = [canonical_json(v) if isinstance(v, (dict, list)) else v for v in row.values()]
    placeholders = ", ".join("?" for _ in columns)
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", values).fetchall()
