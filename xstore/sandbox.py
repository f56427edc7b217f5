"""The one way xstore opens a database to answer a question (query, status, plan, export, report, xstore.open):
read-only, with DuckDB's own sandbox settings, so that SQL reads the database and nothing else, and writes nothing.

`read_only=True` alone is no sandbox; `enable_external_access = false` refuses every file system operation but
the database's own, and `lock_configuration = true` then refuses every SET and RESET, so the settings below hold
for the connection's whole life (measured: docs/dependencies.md, "Read-only is not a sandbox")."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence

import duckdb

from xstore.errors import UserError

# What a query may use, at most; e.g. XSTORE_QUERY_MEMORY=8GB. Default: half the machine's memory, so that a fill
# on the same machine keeps the rest (DuckDB's own default is 80%). Larger sorts and joins spill to disk.
MEMORY_ENV = "XSTORE_QUERY_MEMORY"

ALLOW_READ_HINT = "--allow-read DIR lets SELECT read the files in DIR; xstore.open(..., allow_read=[DIR]) in Python"


def settings() -> dict:
    """The DuckDB settings of every question connection, given when it opens (none can change after the lock)."""
    return {
        "memory_limit": os.environ.get(MEMORY_ENV) or _half_the_memory(),
        # Spill files go to a folder of this process under the system's temporary folder; DuckDB's default is
        # `<db>.tmp` beside the database, which would write there, or fail in a read-only folder.
        "temp_directory": str(Path(tempfile.gettempdir()) / f"xstore-query-{os.getpid()}"),
        # Never fetch or load an extension: INSTALL writes under ~/.duckdb and downloads.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
    }


def _half_the_memory() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not Linux: DuckDB's own default
        return "80%"
    return f"{max(total // 2 // 2**20, 256)}MB"


@contextmanager
def connect(store, allow_read: Sequence[os.PathLike | str] = (), wait: Optional[float] = None,
            check: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only, sandboxed connection to `store`, closed on exit; DuckDB errors in the block become UserError.

    `allow_read`: folders whose files SQL may read (DuckDB's `allowed_directories`); see `check_sql` for why
    only SELECT statements then run. `check`: refuse a database at another schema version.
    """
    from xstore.db import held_here

    if store.path.is_dir():
        raise UserError(f"{store.path} is a folder, not a database file")
    if not store.path.exists():
        raise UserError(f"database {store.path} does not exist")
    if held_here(store.path):
        raise UserError(f"this process is filling {store.path}; ask it questions when the fill is done, or from "
                        "another process (which reads between cells)")
    folders = [_folder(f) for f in allow_read]
    con = store._open(True, wait, config=settings())
    try:
        _lock(con, folders)
        try:
            if check:
                store.check_version(con)
            yield con
        except duckdb.InterruptException:  # Ctrl-C while DuckDB ran the query
            raise KeyboardInterrupt from None
        except duckdb.Error as err:
            raise explain(err, store, con) from None
    finally:
        con.close()
        _remove_spill_folder()


def _folder(folder: os.PathLike | str) -> str:
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise UserError(f"--allow-read {folder}: not a folder")
    return str(path).rstrip("/") + "/"  # a folder, not a name prefix: /data/a must never allow /data/ab


def _lock(con: duckdb.DuckDBPyConnection, folders: list[str]) -> None:
    """Allow reading `folders`, switch external access off, lock the configuration; then check that it held.

    `allowed_directories` can only be set on a running database whose external access is still on, and the
    progress bar per connection, so these are statements rather than `config` entries; nothing else runs on the
    connection before them.
    """
    if folders:
        listed = ", ".join("'" + folder.replace("'", "''") + "'" for folder in folders)
        con.execute(f"SET allowed_directories = [{listed}]")
    con.execute("SET enable_progress_bar = false")  # DuckDB draws it on stdout, amid CSV rows, after 2 s
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    held = con.execute("SELECT current_setting('enable_external_access'), current_setting('lock_configuration')").fetchall()
    if held != [(False, True)]:  # never expected: a DuckDB whose settings behave otherwise must not be trusted
        raise RuntimeError(f"DuckDB did not take the sandbox settings: {held}")


def _remove_spill_folder() -> None:
    try:
        os.rmdir(settings()["temp_directory"])
    except OSError:  # never made, or still used by another connection of this process
        pass


def check_sql(con: duckdb.DuckDBPyConnection, sql: str, allow_read: Sequence = ()) -> None:
    """Refuse SQL with no statement, and with --allow-read anything but SELECT statements.

    DuckDB's `allowed_directories` also lets COPY ... TO, EXPORT DATABASE, ATTACH and EXPLAIN ANALYZE COPY write
    in those folders (docs/dependencies.md), so with it only statements that DuckDB's own parser calls SELECT
    run (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE; a SELECT cannot write a file).
    """
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as err:
        raise UserError(f"query failed: {str(err).splitlines()[0]}") from None
    if not statements:
        raise UserError("no SQL to run: --sql is empty or holds only comments")
    if allow_read:
        other = [s for s in statements if s.type != duckdb.StatementType.SELECT]
        if other:
            kind = other[0].type.name
            raise UserError(f"with --allow-read only SELECT statements run: DuckDB would let this {kind} statement "
                            "write in an allowed folder")


def explain(err: duckdb.Error, store, con: duckdb.DuckDBPyConnection) -> UserError:
    """One line for a DuckDB error on a question connection: a damaged database, the sandbox, or the SQL itself."""
    from xstore import integrity

    first = str(err).splitlines()[0] if str(err) else type(err).__name__
    if isinstance(err, (duckdb.CatalogException, duckdb.BinderException)):
        damage = integrity.damage(store, con)
        if damage:
            return UserError(damage)
    if isinstance(err, duckdb.PermissionException) or "disabled by configuration" in first:
        return UserError(f"queries read the database and nothing else, and write nothing: {first} ({ALLOW_READ_HINT})")
    if "configuration has been locked" in first:
        return UserError(f"queries are read-only and their settings are fixed: {first}")
    if "read-only" in first or "read only" in first:
        return UserError(f"queries are read-only: {first}")
    if isinstance(err, duckdb.OutOfMemoryException):
        return UserError(f"the query needs more memory than it may use: {first}; set {MEMORY_ENV} (e.g. 8GB) "
                         "to allow more")
    return UserError(f"query failed: {first}")
