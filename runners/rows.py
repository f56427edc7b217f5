"""Turning a runner's rows into Arrow tables for one bulk insert, validated by the SQLModel classes."""

from __future__ import annotations

import pyarrow as pa
from sqlmodel import SQLModel

from xstore.keys import canonical_json


def model_rows(objects: list[SQLModel]) -> pa.Table:
    """Few rows (runs, fits, tasks) as an Arrow table; dict and list fields become JSON text."""
    records = []
    for obj in objects:
        record = obj.model_dump()
        records.append({k: canonical_json(v) if isinstance(v, (dict, list)) else v for k, v in record.items()})
    return pa.Table.from_pylist(records)
