"""What a database and its checkpoint folder must hold for xstore to read or fill them, and one message when
they do not: a table or column missing (a file changed by hand or half-upgraded), a run's checkpoint missing (a
database copied without its `<db>.xstore/` folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from xstore.errors import UserError


def damage(store, con) -> Optional[str]:
    """The message for a database that lacks tables, columns or views of the schema (xstore.schema), or None.

    Imports the SQLModel classes (about a second), so question paths call it only once DuckDB has said that a
    table or column does not exist; a fill calls it before it starts.
    """
    from xstore.labels import LABELS
    from xstore.schema import TABLES, VIEWS

    try:
        rows = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'main'").fetchall()
        version = store.schema_version(con)
    except Exception:  # noqa: BLE001  (a connection left unusable by the failed statement: no diagnosis)
        return None
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(table, set()).add(column)
    problems = []
    for name, table in sorted(TABLES.items()):
        if name not in present:
            problems.append(f"table {name!r} is missing")
            continue
        missing = [c.name for c in table.columns if c.name not in present[name]]
        problems += [f"table {name!r} has no column {c!r}" for c in missing]
    problems += [f"view {name!r} is missing" for name in VIEWS if name not in present]  # views have columns too
    problems += [f"table {name!r} is missing" for name in LABELS if name not in present]
    if not problems:
        return None
    shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
    return (f"{store.path} is damaged (changed by hand, or half-upgraded): {shown}, which schema version {version} "
            "has. xstore cannot read or fill it as it is: restore the file from a copy")


def check(store, con) -> None:
    """Raise UserError when the database lacks tables, columns or views of the schema."""
    message = damage(store, con)
    if message:
        raise UserError(message)


def checkpoint(store, relative: str, run_key: str) -> Path:
    """The folder of a stored run's checkpoint under `<db>.xstore/`; a UserError that says what to copy if it is
    not there (a database copied or moved without its checkpoint folder)."""
    path = store.artifacts / relative
    if (path / "config.json").is_file():
        return path
    if not store.artifacts.is_dir():
        where = (f"the whole checkpoint folder {store.artifacts} is missing: the database was copied or moved "
                 f"without it. Copy the folder that lies beside the original database (named like it, ending in "
                 f".xstore) to {store.artifacts}")
    else:
        where = (f"{store.artifacts} does not hold it. Copy {relative} from the checkpoint folder beside the "
                 f"original database into {store.artifacts}")
    raise UserError(f"the checkpoint of training run {run_key[:12]} is missing: expected {path}; {where}, or "
                    f"remove the run and what was computed from it (`xstore delete {store.path} --run {run_key[:12]}`) "
                    "to train it again")


def check_checkpoints(store, con, cells) -> None:
    """Before a fill computes `cells`: the checkpoint of every stored run they read is there (else UserError, with
    nothing written), rather than one failed cell per missing checkpoint."""
    parents = sorted({key for cell in cells for key in cell.parents.values()})
    if not parents:
        return
    rows = con.execute("SELECT key, checkpoint_path FROM training_run WHERE key IN (SELECT unnest(?::VARCHAR[])) "
                       "ORDER BY key", [parents]).fetchall()
    for key, relative in rows:
        checkpoint(store, relative, key)
