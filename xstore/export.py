"""Writing query results: a rich table of the first rows for the terminal, or CSV, JSON and Markdown streamed
batch by batch from Arrow record batches, so that a result of any size prints in bounded memory."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import TYPE_CHECKING, Iterator, Optional, TextIO

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json", "markdown")
TABLE_ROWS = 100  # rows the table format shows unless --limit says otherwise: a terminal's worth, scrolled
BATCH_ROWS = 65_536  # rows per Arrow record batch read from DuckDB: a few MiB for tens of columns

# DuckDB types that pyarrow's CSV writer prints as they are; other columns are converted in DuckDB first:
# nested ones (lists such as `logits`, structs, maps) to JSON text, the rest (intervals, UUIDs, blobs...) to text.
_CSV_NATIVE = {"boolean", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger", "ubigint",
               "float", "double", "decimal", "varchar", "date", "timestamp", "timestamp with time zone"}
_NESTED = {"list", "array", "struct", "map", "union"}

if TYPE_CHECKING:
    import pyarrow as pa


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _printable(relation, nested_as_json: bool):
    """The relation with every column of a type that Arrow and pyarrow's CSV writer print badly (intervals, UUIDs,
    128-bit integers...) converted by DuckDB: to text, or for nested ones to JSON text if asked."""
    columns, changed = [], False
    for position, (name, dtype) in enumerate(zip(relation.columns, relation.types), start=1):
        column = f"#{position}"  # by position: a result may repeat a column name
        if dtype.id in _NESTED:
            if nested_as_json:
                column, changed = f"to_json({column})", True
        elif dtype.id in ("hugeint", "uhugeint"):  # DuckDB's sum() of integers; 38 digits print as numbers
            column, changed = f"TRY_CAST({column} AS DECIMAL(38, 0))", True
        elif dtype.id not in _CSV_NATIVE:
            column, changed = f"CAST({column} AS VARCHAR)", True
        columns.append(f"{column} AS {_quoted(name)}")
    return relation.project(", ".join(columns)) if changed else relation


def _batches(relation, limit: Optional[int], counted: list) -> Iterator[pa.RecordBatch]:
    """The relation's rows in record batches, cut after `limit` rows; the rows after it are read and only
    counted, so that `counted[0]` ends as the result's whole size."""
    total = 0
    for batch in relation.to_arrow_reader(BATCH_ROWS):
        if limit is None or total + batch.num_rows <= limit:
            yield batch
        elif total < limit:
            yield batch.slice(0, limit - total)
        total += batch.num_rows
        counted[0] = total


def write(relation, fmt: str, out: TextIO, console: Optional[Console] = None, title: Optional[str] = None,
          limit: Optional[int] = None) -> tuple[int, int]:
    """Print a DuckDB relation as a rich table on `console`, or write it to `out` as CSV, JSON or Markdown.

    `limit`: the most rows shown, 0 for all (default: TABLE_ROWS for the table format, all for the others).
    Returns (rows shown, rows in the result).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if limit is None:
        limit = TABLE_ROWS if fmt == "table" else 0
    limit = limit or None
    counted = [0]
    if fmt == "table":
        shown = _table(relation.columns, _batches(_printable(relation, False), limit, counted), relation.types,
                       console or Console(), title)
    elif fmt == "csv":
        shown = _csv(relation, limit, counted, out)
    elif fmt == "json":
        shown = _json(relation, limit, counted, out)
    else:
        shown = _markdown(relation.columns, _batches(_printable(relation, False), limit, counted), out)
    out.flush()
    return shown, counted[0]


def _table(columns, batches, types, console: Console, title: Optional[str]) -> int:
    table = Table(title=title, show_lines=False, header_style="bold")
    for name, dtype in zip(columns, types):
        numeric = dtype.id in {"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
                               "uinteger", "ubigint", "float", "double", "decimal"}
        table.add_column(name, justify="right" if numeric else "left")
    shown = 0
    for batch in batches:
        for row in _rows(batch):
            table.add_row(*map(_cell_text, row))
            shown += 1
    console.print(table)
    return shown


def _csv(relation, limit, counted, out: TextIO) -> int:
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(relation.columns)
    out.write(header.getvalue())
    plain = _printable(relation, nested_as_json=True)
    from pyarrow import csv as pacsv

    options = pacsv.WriteOptions(include_header=False)
    shown = 0
    for batch in _batches(plain, limit, counted):
        sink = io.BytesIO()
        pacsv.write_csv(batch, sink, options)  # C++: about 1 million rows/s where Python's csv writes 40,000
        out.write(sink.getvalue().decode("utf-8"))
        shown += batch.num_rows
    return shown


def _json(relation, limit, counted, out: TextIO) -> int:
    """A JSON array with one object per line, each made by DuckDB's to_json (lists stay lists)."""
    rows = relation.set_alias("_xstore_row").project("to_json(_xstore_row) AS row")
    out.write("[")
    shown = 0
    for batch in _batches(rows, limit, counted):
        lines = batch.column(0).to_pylist()
        if lines:
            out.write(("\n" if shown == 0 else ",\n") + ",\n".join(lines))
            shown += len(lines)
    out.write("\n]\n")
    return shown


def _markdown(columns, batches, out: TextIO) -> int:
    out.write("| " + " | ".join(columns) + " |\n" + "|" + "|".join("---" for _ in columns) + "|\n")
    shown = 0
    for batch in batches:
        out.write("".join("| " + " | ".join(_cell_text(v).replace("|", "\\|") for v in row) + " |\n"
                          for row in _rows(batch)))
        shown += batch.num_rows
    return shown


def _rows(batch: pa.RecordBatch) -> Iterator[tuple]:
    """A batch's rows as tuples, by position (a result may repeat a column name)."""
    return zip(*(column.to_pylist() for column in batch.columns))
