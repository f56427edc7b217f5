"""Rendering query results: a rich table for the terminal, or CSV, JSON and Markdown for files and papers."""

from __future__ import annotations

import csv
import io
import json
import math

import pyarrow as pa
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json", "markdown")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render(table: pa.Table, fmt: str, console: Console | None = None, title: str | None = None) -> str | None:
    """Print `table` as a rich table (returns None) or return it as CSV, JSON or Markdown text."""
    rows = table.to_pylist()
    columns = table.column_names
    if fmt == "table":
        out = Table(title=title, show_lines=False, header_style="bold")
        for name in columns:
            numeric = pa.types.is_integer(table.schema.field(name).type) or pa.types.is_floating(table.schema.field(name).type)
            out.add_column(name, justify="right" if numeric else "left")
        for row in rows:
            out.add_row(*(_cell_text(row[c]) for c in columns))
        (console or Console()).print(out)
        return None
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[row[c] if not isinstance(row[c], (list, dict)) else json.dumps(row[c]) for c in columns] for row in rows])
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, default=str, indent=1) + "\n"
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(_cell_text(row[c]).replace("|", "\\|") for c in columns) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt!r}")
