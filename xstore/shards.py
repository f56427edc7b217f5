"""Parquet shards: how a worker hands a computed cell to the one process that writes the database.

A worker writes each table of its cell to Parquet in a private folder, adds a manifest (row counts
and sha256 of every file), and renames the folder into place: a shard is complete or absent. The
coordinator checks the manifest, inserts the rows and the `cell` row in one transaction, and removes
the shard. A shard that fails its check is reported and deleted, so the cell is computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from xstore.cells import CellFailure
from xstore.db import Store
from xstore.keys import canonical_json

MANIFEST = "manifest.json"


def staging_dir(store: Store) -> Path:
    return store.artifacts / "staging"


def shard_folder(staging: Path, key: str) -> Path:
    """Where the shard of cell `key` is, once it is complete (a result or a failure)."""
    return staging / key


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _publish(folder: Path, tmp: Path, manifest: dict) -> Path:
    (tmp / MANIFEST).write_text(canonical_json(manifest))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


def write_shard(staging: Path, cell_row: dict, tables: dict[str, pa.Table]) -> Path:
    """Write a computed cell as a shard folder `staging/<key>/`; returns the folder. The time it takes is the
    first part of the cell's `write_seconds` (the coordinator's ingest adds the rest)."""
    t0 = time.perf_counter()
    folder = shard_folder(staging, cell_row["key"])
    tmp = staging / f".{cell_row['key']}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    files = {}
    for table, rows in tables.items():
        if rows is None or rows.num_rows == 0:
            continue
        path = tmp / f"{table}.parquet"
        pq.write_table(rows, path)
        files[table] = {"file": path.name, "rows": rows.num_rows, "sha256": _sha256(path)}
    row = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in cell_row.items()}
    row["write_seconds"] = (row.get("write_seconds") or 0.0) + time.perf_counter() - t0
    return _publish(folder, tmp, {"status": "done", "cell": row, "tables": files})


def write_failure_shard(staging: Path, key: str, kind: str, params: dict, failure: CellFailure) -> Path:
    """Report a failed cell from a worker, for the coordinator to record as a `failure` row."""
    folder = shard_folder(staging, key)
    tmp = staging / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return _publish(folder, tmp, {
        "status": "failed", "key": key, "kind": kind, "params": params, "error": failure.message,
        "user_error": failure.user_error, "traceback": failure.traceback, "storage": failure.storage,
        "host": failure.host, "pid": failure.pid,
    })


class BadShard(Exception):
    """A shard whose files do not match its manifest: cut short, corrupted or tampered with."""


def read_manifest(folder: Path) -> dict:
    """The shard's manifest, after checking every file's row count and hash against it."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise BadShard(f"shard {folder.name}: unreadable manifest ({err})") from None
    for table, entry in manifest.get("tables", {}).items():
        path = folder / entry["file"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise BadShard(f"shard {folder.name}: {entry['file']} is missing or does not match its hash")
        if pq.ParquetFile(path).metadata.num_rows != entry["rows"]:
            raise BadShard(f"shard {folder.name}: {entry['file']} has the wrong number of rows")
    return manifest


def ingest(store: Store, folder: Path) -> dict:
    """Insert one checked shard in one transaction (a no-op for a cell already stored); remove it.

    Returns the manifest. Raises BadShard, after deleting the shard, when it fails its check. Checking and
    reading the shard count in the cell's `write_seconds`, with the worker's writing of it.
    """
    t0 = time.perf_counter()
    try:
        manifest = read_manifest(folder)
    except BadShard:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if manifest["status"] == "failed":
        CellFailure.from_manifest(manifest).record(store, manifest["key"], manifest["kind"], manifest["params"])
    else:
        tables = {t: pq.read_table(folder / e["file"]) for t, e in manifest["tables"].items()}
        row = manifest["cell"]
        store.write_cell({**row, "write_seconds": (row.get("write_seconds") or 0.0) + time.perf_counter() - t0}, tables)
    shutil.rmtree(folder, ignore_errors=True)
    return manifest


def finished_shards(staging: Path) -> list[Path]:
    """Complete shard folders (temporary ones start with a dot and are skipped)."""
    if not staging.is_dir():
        return []
    return sorted(p for p in staging.iterdir() if p.is_dir() and not p.name.startswith("."))
