"""The notebook API: open a database and get named queries or SQL back as Arrow, pandas or polars."""

from __future__ import annotations

import os

from xstore import named
from xstore.db import Store


class Database:
    """A read-only handle on an xstore database file; every call opens and closes its own connection.

    Example:
        >>> db = xstore.open("demo.duckdb")
        >>> db.df("ece_by_language", n_bins=15)
    """

    def __init__(self, path: os.PathLike | str):
        self.store = Store(path)
        if not self.store.path.exists():
            from xstore.errors import UserError

            raise UserError(f"database {self.store.path} does not exist")

    def arrow(self, name: str | None = None, sql: str | None = None, **params):
        """A named query (parameters as keywords) or ad-hoc `sql`, as a pyarrow Table."""
        return named.run_readonly(self.store, name, params, sql)

    def df(self, name: str | None = None, sql: str | None = None, **params):
        """The same as `arrow`, as a pandas DataFrame."""
        return self.arrow(name, sql, **params).to_pandas()

    def pl(self, name: str | None = None, sql: str | None = None, **params):
        """The same as `arrow`, as a polars DataFrame."""
        import polars

        return polars.from_arrow(self.arrow(name, sql, **params))

    def queries(self) -> dict[str, str]:
        """Named queries and what each answers."""
        return {q.name: q.summary for q in named.available().values()}


def open(path: os.PathLike | str) -> Database:  # noqa: A001  (xstore.open mirrors duckdb.connect)
    """Open an xstore database for reading."""
    return Database(path)
