"""Named queries: the SQL files in `queries/`, their header-declared parameters, and running them.

A file's header documents it and declares its parameters, one per line:
    -- $n_bins INTEGER = 10  number of equal-width confidence bins
Values are always bound as DuckDB prepared parameters, never pasted into the SQL text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from importlib import resources

from xstore.errors import UserError

_PARAM = re.compile(r"^--\s+\$(\w+)\s+(INTEGER|DOUBLE|VARCHAR|BOOLEAN)\s*=\s*(\S+)\s+(.*)$")
_CASTS = {
    "INTEGER": int,
    "DOUBLE": float,
    "VARCHAR": str,
    "BOOLEAN": lambda v: {"true": True, "false": False}[str(v).lower()],
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object
    help: str

    def cast(self, value) -> object:
        try:
            return _CASTS[self.type](value)
        except (ValueError, KeyError):
            raise UserError(f"parameter {self.name!r} must be {self.type}, got {value!r}") from None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    sql: str
    params: dict[str, Param]

    def bind(self, given: dict) -> dict:
        """Defaults overlaid with `given` (strings from the CLI or typed values), each cast to its type."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            allowed = ", ".join(self.params) or "none"
            raise UserError(f"query {self.name!r} has no parameter {unknown[0]!r} (parameters: {allowed})")
        return {name: p.cast(given.get(name, p.default)) for name, p in self.params.items()}


def _parse(name: str, text: str) -> NamedQuery:
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line)
    # "-- name: what it answers", continued on lines indented past "--" (the whole question, not its first line)
    continued = [header[0]] + list(itertools.takewhile(lambda line: line.startswith("--  "), header[1:])) if header else []
    summary = " ".join(line.lstrip("- ").strip() for line in continued).split(":", 1)[-1].strip()
    params = {}
    for line in header:
        match = _PARAM.match(line)
        if match:
            pname, ptype, default, help_text = match.groups()
            param = Param(pname, ptype, None, help_text.strip())
            params[pname] = Param(pname, ptype, param.cast(default), help_text.strip())
    return NamedQuery(name=name, summary=summary, sql=text, params=params)


def available() -> dict[str, NamedQuery]:
    """Every query in the `queries` folder, by file name without `.sql`."""
    folder = resources.files("xstore.queries")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            name = entry.name[: -len(".sql")]
            out[name] = _parse(name, entry.read_text(encoding="utf-8"))
    return out


def get(name: str) -> NamedQuery:
    queries = available()
    if name not in queries:
        import difflib

        hint = difflib.get_close_matches(name, list(queries), n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise UserError(f"no query named {name!r}{suggestion} (known: {', '.join(queries)})")
    return queries[name]


def run(con, name: str, params: dict | None = None):
    """Run a named query on an open connection; returns the DuckDB relation result."""
    query = get(name)
    return con.execute(query.sql, query.bind(params or {}))


def run_readonly(store, name: str | None, params: dict | None = None, sql: str | None = None):
    """Run a named query, or ad-hoc SQL, on a read-only connection to `store`; returns an Arrow table."""
    import duckdb

    if sql is None:
        query = get(name)
        sql, bound = query.sql, query.bind(params or {})
    else:
        bound = None
    with store.connect(read_only=True) as con:
        store.check_version(con)
        try:
            return con.sql(sql, params=bound).to_arrow_table()
        except duckdb.Error as error:
            first = str(error).splitlines()[0]
            if "read-only" in first:
                raise UserError(f"queries are read-only: {first}") from None
            raise UserError(f"query failed: {first}") from None
