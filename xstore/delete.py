"""Deleting cells: a selection (a run, a task or attack version, one cell) and everything built on it.

Dependants are found through the `cell` table's parent keys with one recursive query, so nothing that
was computed from a deleted cell survives it; rows, the `cell` rows and checkpoint folders all go.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from xstore import labels
from xstore.db import Store, rollback_quietly
from xstore.errors import UserError
from xstore.schema import CELL_COLUMNS


@dataclass
class Selection:
    """What to delete: exactly one of run, task, attack or cell (a key or a unique key prefix)."""

    run: str | None = None
    task: str | None = None
    attack: str | None = None
    cell: str | None = None
    version: int | None = None  # with task or attack: only that version

    def where(self) -> tuple[str, list]:
        chosen = [name for name in ("run", "task", "attack", "cell") if getattr(self, name)]
        if len(chosen) != 1:
            raise UserError("choose exactly one of --run, --task, --attack or --cell")
        if self.version is not None and chosen[0] not in ("task", "attack"):
            raise UserError("--version goes with --task or --attack")
        if self.run:
            return "kind IN ('train_intermediate', 'train_target') AND starts_with(key, ?)", [self.run]
        if self.cell:
            return "starts_with(key, ?)", [self.cell]
        field = "task" if self.task else "attack"
        kind = "load" if self.task else "perturb"
        sql = f"kind = '{kind}' AND params->>'{field}' = ?"
        args = [self.task or self.attack]
        if self.version is not None:
            sql += f" AND (params->>'{field}_version')::INTEGER = ?"
            args.append(self.version)
        return sql, args


_CLOSURE = """
WITH RECURSIVE doomed(key) AS (
    SELECT key FROM cell WHERE {where}
    UNION
    SELECT c.key FROM cell AS c JOIN doomed AS d
        ON list_contains(json_extract_string(c.parents, '$.*'), d.key)
)
SELECT c.key, c.kind FROM cell AS c JOIN doomed USING (key) ORDER BY c.kind, c.key
"""


def _doomed(con, selection: Selection) -> list[tuple[str, str]]:
    where, args = selection.where()
    rows = con.execute(_CLOSURE.format(where=where), args).fetchall()
    if selection.run or selection.cell:
        roots = {k for k, _ in con.execute(f"SELECT key, kind FROM cell WHERE {where}", args).fetchall()}
        if len(roots) > 1:
            raise UserError(f"{selection.run or selection.cell!r} matches {len(roots)} cells; give more of the key")
    return rows


def plan_delete(store: Store, selection: Selection) -> dict:
    """What a delete would remove: cells by kind and rows by table, without changing anything."""
    with store.connect(read_only=True) as con:
        store.check_version(con)
        doomed = _doomed(con, selection)
        keys = [k for k, _ in doomed]
        kinds: dict[str, int] = {}
        for _, kind in doomed:
            kinds[kind] = kinds.get(kind, 0) + 1
        rows = {table: con.execute(f"SELECT count(*) FROM {table} WHERE {column} IN (SELECT unnest(?))", [keys]).fetchall()[0][0]
                for table, column in CELL_COLUMNS.items() if table != "cell"}
    return {"keys": keys, "kinds": kinds, "rows": rows}


def delete(store: Store, selection: Selection) -> dict:
    """Delete the selection and its dependants in one transaction; then their checkpoint folders."""
    with store.fill_lock():
        summary = plan_delete(store, selection)
        keys = summary["keys"]
        if not keys:
            return summary
        with store.connect() as con:
            con.begin()
            try:
                for table, column in CELL_COLUMNS.items():
                    con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT unnest(?))", [keys]).fetchall()
                labels.refresh(con)  # the remaining runs' variants can change when a run goes
                con.commit()
            except BaseException:
                rollback_quietly(con)
                raise
        for key in keys:
            shutil.rmtree(store.artifacts / "runs" / key, ignore_errors=True)
    return summary
