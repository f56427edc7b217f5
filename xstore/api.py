"""The notebook API: open a database and get named queries or SQL back as Arrow, pandas or polars."""

from __future__ import annotations

import os
from typing import Sequence

from xstore import named
from xstore.db import Store


class Database:
    """A read-only handle on an xstore database file; every call opens and closes its own sandboxed connection
    (see xstore.sandbox: SQL reads the database and nothing else, and writes nothing).

    Example:
        >>> db = xstore.open("demo.duckdb")
        >>> db.df("ece_by_language", n_bins=15)
    """

    def __init__(self, path: os.PathLike | str, allow_read: Sequence[os.PathLike | str] = ()):
        self.store = Store(path)
        self.allow_read = tuple(allow_read)
        if not self.store.path.exists():
            from xstore.errors import UserError

            raise UserError(f"database {self.store.path} does not exist")

    def arrow(self, name: str | None = None, sql: str | None = None, **params):
        """A named query (parameters as keywords, checked against their declared ranges) or ad-hoc `sql`, as a
        pyarrow Table. With `allow_read`, `sql` may also read files in those folders (SELECT statements only)."""
        return named.run_readonly(self.store, name, params, sql, self.allow_read)

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

    def table(self, metric: str, **options):
        """A metric rolled up over seeds (rows: intermediate settings; columns: languages and their average;
        for "xtreme", the targets and their average), as an `xstore.tables.PaperTable`; options as for `export`."""
        from xstore import paper

        return paper.build(self.store, metric, **options)

    def export(self, metric: str, fmt: str = "latex", digits: int = 3, percent: bool = False, **options) -> str:
        """The paper table of `metric` as LaTeX (booktabs), Markdown or CSV text.

        Options: split ("test"), attack ("none" for clean metrics, "all" for adversarial ones; an attack setting
        or an attack's name), calibration ("none"), n_bins (10), base_model, target, delta (False: differences
        from the no-intermediate baseline of the same seed), languages and settings (column and row order),
        changed_only (False: adversarial metrics over the inputs the attack changed only).

        Example:
            >>> print(db.export("ece", "markdown", calibration="temperature"))
        """
        from xstore import tables

        return tables.render(self.table(metric, **options), fmt, digits=digits, percent=percent)

    def reliability_diagram(self, path: os.PathLike | str, *, language: str, **selection) -> list:
        """Draw a reliability diagram of one run x language x attack to PATH.png and PATH.pdf; the run is
        `run_key=...` or `intermediate=..., seed=...` (and `variant=...` where there are several); also attack
        (a setting as the queries label it), calibration, split, n_bins."""
        from xstore import figures

        return figures.reliability_diagram(figures.select_bins(self.store, language=language, **selection), path)

    def confidence_histogram(self, path: os.PathLike | str, *, language: str, **selection) -> list:
        """Draw the confidence histogram (right and wrong stacked) of one run x language x attack to PATH.png
        and PATH.pdf; selection as for `reliability_diagram`."""
        from xstore import figures

        return figures.confidence_histogram(figures.select_bins(self.store, language=language, **selection), path)

    def report(self, path: os.PathLike | str, fmt: str | None = None, figures: bool = True, **options) -> list:
        """Write the one-page Markdown (or, for .html, HTML) report of the database; returns the files written."""
        from xstore import report

        return report.write(self.store, path, fmt=fmt, figures=figures, **options)


def open(path: os.PathLike | str, allow_read: Sequence[os.PathLike | str] = ()) -> Database:  # noqa: A001
    """Open an xstore database for reading (the name mirrors duckdb.connect); `allow_read` names folders whose
    files your SQL may read too, e.g. `read_csv('labels/extra.csv')`."""
    return Database(path, allow_read)
