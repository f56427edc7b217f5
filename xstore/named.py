"""Named queries: the SQL files in `queries/`, their header-declared parameters, and running them.

A file's header documents it and declares its parameters, one per line, with the values allowed:
    -- $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins
    -- $adjust VARCHAR in {holm, bh} = holm  p-value adjustment
(`[a, b]` includes its ends, `(a, b)` leaves them out, `{a, b}` lists the only values). Values are checked here, before anything runs, for the
CLI, the Python API and export alike, and bound as DuckDB prepared parameters, never pasted into the SQL text.
"""

from __future__ import annotations

import itertools
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Iterator, Optional, Sequence

from xstore.errors import UserError

_PARAM = re.compile(r"^--\s+\$(\w+)\s+(INTEGER|DOUBLE|VARCHAR|BOOLEAN)"
                    r"(?:\s+in\s+(?:([\[(])\s*([^,\s]+)\s*,\s*([^\])\s]+)\s*([\])])|\{([^}]*)\}))?"
                    r"\s*=\s*(\S+)\s+(.*)$")
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class Param:
    """A declared parameter: its type, default, the interval its values must lie in, and what it means."""

    name: str
    type: str
    default: object
    help: str
    low: Optional[float] = None
    high: Optional[float] = None
    closed: tuple[bool, bool] = (True, True)  # whether low and high themselves are allowed
    choices: Optional[tuple[str, ...]] = None  # the only values a VARCHAR may take, where it lists them

    @property
    def domain(self) -> str:
        """The allowed values, as written in the header: `INTEGER in [1, 1000]`, `VARCHAR in {holm, bh}`."""
        if self.choices is not None:
            return f"{self.type} in {{{', '.join(self.choices)}}}"
        if self.low is None:
            return self.type
        left, right = "[" if self.closed[0] else "(", "]" if self.closed[1] else ")"
        return f"{self.type} in {left}{_number(self.low)}, {_number(self.high)}{right}"

    def cast(self, value) -> object:
        """`value` (a CLI string or a Python value) as the declared type; UserError if it is not one in the domain."""
        try:
            typed = self._typed(value)
        except (ValueError, KeyError, TypeError, OverflowError):
            typed = None
        if typed is None or not self._inside(typed):
            raise UserError(f"parameter {self.name!r} must be {self.domain}, got {value!r}")
        return typed

    def _typed(self, value):
        if self.type == "VARCHAR":
            return str(value)
        if self.type == "BOOLEAN":
            return value if isinstance(value, bool) else _BOOLEANS[str(value).strip().lower()]
        if isinstance(value, bool):  # True is an int to Python, not a number of bins
            return None
        if self.type == "INTEGER":
            if isinstance(value, float):
                return int(value) if value.is_integer() else None
            return int(value.strip()) if isinstance(value, str) else int(value)
        number = float(value)
        return number if math.isfinite(number) else None

    def _inside(self, value) -> bool:
        if self.choices is not None:
            return value in self.choices
        if self.low is None or not isinstance(value, (int, float)):
            return True
        above = value >= self.low if self.closed[0] else value > self.low
        below = value <= self.high if self.closed[1] else value < self.high
        return above and below


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    sql: str
    params: dict[str, Param]

    def bind(self, given: dict) -> dict:
        """Defaults overlaid with `given` (strings from the CLI or typed values), each checked against its domain."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            allowed = ", ".join(self.params) or "none"
            raise UserError(f"query {self.name!r} has no parameter {unknown[0]!r} (parameters: {allowed})")
        return {name: p.cast(given[name]) if name in given else p.default for name, p in self.params.items()}


def from_cli(items: Sequence[str]) -> dict:
    """`--param key=value` items as a dict of strings; a key given twice is a mistake, not "the last one wins"."""
    given = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--param takes key=value, got {item!r}")
        if key in given:
            raise UserError(f"--param {key} is given twice ({given[key]!r} and {value!r}); give each parameter once")
        given[key] = value
    return given


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
            pname, ptype, left, low, high, right, listed, default, help_text = match.groups()
            bounds = {} if left is None else {"low": float(low), "high": float(high),
                                              "closed": (left == "[", right == "]")}
            if listed is not None:
                bounds["choices"] = tuple(choice.strip() for choice in listed.split(","))
            param = Param(pname, ptype, None, help_text.strip(), **bounds)
            try:
                typed = param.cast(default)
            except UserError as err:  # a mistake in the file itself, not the user's
                raise ValueError(f"queries/{name}.sql: default {err}") from None
            params[pname] = Param(pname, ptype, typed, help_text.strip(), **bounds)
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
    """The query in `queries/<name>.sql`; UserError naming the closest one when there is none."""
    # Its own file alone: parsing all 25 took ~8 ms a call, paid by every named query (bench/task_scores.py).
    entry = resources.files("xstore.queries").joinpath(f"{name}.sql")
    if re.fullmatch(r"\w+", name) and entry.is_file():
        return _parse(name, entry.read_text(encoding="utf-8"))
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


@contextmanager
def result(store, name: str | None = None, params: dict | None = None, sql: str | None = None,
           allow_read: Sequence = ()) -> Iterator:
    """A named query (parameters checked first) or ad-hoc SQL on a sandboxed read-only connection to `store`, as
    a lazy DuckDB relation: read it inside the block (e.g. `.to_arrow_reader()`, batch by batch)."""
    from xstore import sandbox

    if (name is None) == (sql is None):
        raise UserError("give either a query name or SQL, not both and not neither")
    if sql is None:
        query = get(name)
        sql, bound = query.sql, query.bind(params or {})
    elif params:
        raise UserError("parameters go with a named query; SQL of your own takes none")
    else:
        bound = None
    with sandbox.connect(store, allow_read) as con:
        sandbox.check_sql(con, sql, allow_read)
        relation = con.sql(sql, params=bound)
        if relation is None:
            raise UserError("the SQL ran but returns no rows to show: end it with a SELECT")
        yield relation


def run_readonly(store, name: str | None, params: dict | None = None, sql: str | None = None,
                 allow_read: Sequence = ()):
    """Run a named query, or ad-hoc SQL, on a sandboxed read-only connection to `store`; returns an Arrow table."""
    with result(store, name, params, sql, allow_read) as relation:
        return relation.to_arrow_table()
