"""The human check of attacks: a seeded sample of perturbations out as CSV, people's judgements back in as rows.

`write_sample` runs the named query `perturbation_sample`; `import_file` reads a filled-in copy of that CSV and
stores one `annotation` row per judged row, after checking the whole file against the database: a file
that names unknown perturbations, shows other texts than the database holds, or has a judgement that is
not yes, no or unsure is refused with one message, and nothing is written. `attack_validity` then answers
"what share of successful attacks keeps its gold label", and `validated` feeds paper tables.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Optional, TextIO

import duckdb
import pyarrow as pa

from xstore import integrity, named
from xstore.db import rollback_quietly
from xstore.errors import UserError

JUDGEMENTS = ("yes", "no", "unsure")
# Columns the file must have: the id, the judgement, and the texts as exported, compared with the database.
REQUIRED = ("perturbation_id", "label_holds", "annotator", "original_a", "original_b", "perturbed_a", "perturbed_b")


def write_sample(store, out: TextIO, n: int, seed: int = 0, attack: Optional[str] = None) -> int:
    """Write up to `n` successful perturbations per attack setting and language, drawn with `seed`, to `out` as
    CSV (streamed: `export.write`); returns the rows written. Refused, writing nothing, when there are none."""
    from xstore import export

    if n < 1:
        raise UserError(f"--n must be at least 1 (got {n})")
    params = {"n": n, "seed": seed, "attack": attack or "all"}
    with named.result(store, "perturbation_sample", params) as relation:
        if not relation.limit(1).fetchall():
            raise UserError(f"{store.path} has no successful perturbation{' of ' + attack if attack else ''} to sample")
        return export.write(relation, "csv", out)[0]


def import_file(store, path: Path, annotator: Optional[str] = None) -> dict:
    """Store the judgements of a filled-in sample; returns counts: imported, and rows left blank.

    `annotator` fills the annotator column where a row leaves it empty.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
        rows, columns = list(reader), reader.fieldnames or []
    except FileNotFoundError:
        raise UserError(f"{path} does not exist") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise UserError(f"{path} is not a UTF-8 CSV file ({err}); nothing was imported") from None
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise UserError(f"{path} is not an annotation file: it lacks the column(s) {', '.join(missing)} "
                        f"(export one with `xstore export DB --table perturbation_sample`); nothing was imported")
    judged = [(number, row) for number, row in enumerate(rows, start=1) if (row["label_holds"] or "").strip()]
    source = f"{path.name} sha256:{hashlib.sha256(raw).hexdigest()}"
    if not store.path.exists():  # opening for writing would create an empty database
        raise UserError(f"database {store.path} does not exist")
    # A writer like fill and delete: under the fill lock, on a read-write connection (questions go through the
    # read-only sandbox, which refuses writes); the check and the insert see the same rows.
    with store.fill_lock(), store.connect() as con:
        store.check_version(con)
        integrity.check(store, con)
        records = _check(path, judged, _stored(con, [row["perturbation_id"] for _, row in judged]), annotator)
        if records:
            table = pa.table({
                "perturbation_id": [r[0] for r in records], "annotator": [r[1] for r in records],
                "label_holds": [r[2] for r in records], "note": [r[3] for r in records],
                "source_file": [source] * len(records),
                "imported_at": pa.array([datetime.now()] * len(records), pa.timestamp("us")),
            })
            con.register("_annotations", table)
            con.begin()
            try:
                # A later file with the same annotator and perturbation replaces the earlier judgement.
                con.execute("INSERT OR REPLACE INTO annotation BY NAME SELECT * FROM _annotations")
                con.commit()
            except duckdb.Error as err:  # a full disk, say: one message, and the transaction left nothing
                rollback_quietly(con)
                raise UserError(f"cannot write {store.path}: {str(err).splitlines()[0]}; nothing was imported") from None
    return {"imported": len(records), "blank": len(rows) - len(judged)}


def _stored(con, ids: list[str]) -> dict:
    """id -> (original a, original b, perturbed a, perturbed b) for the ids the database has."""
    con.register("_ids", pa.table({"id": pa.array(sorted(set(ids)), pa.string())}))
    try:
        found = con.execute("""SELECT p.id, e.text_a, e.text_b, p.text_a, p.text_b FROM perturbation AS p
                               JOIN example AS e ON e.id = p.example_id JOIN _ids AS i ON i.id = p.id""").fetchall()
    finally:
        con.unregister("_ids")
    return {row[0]: tuple(x or "" for x in row[1:]) for row in found}


def _check(path: Path, judged: list, stored: dict, annotator: Optional[str]) -> list[tuple]:
    """The (id, annotator, judgement, note) records, or one UserError naming the first mismatch and how many
    other rows do not match."""
    problems, records, seen = [], [], set()
    for number, row in judged:
        pid, who = row["perturbation_id"].strip(), (row["annotator"] or "").strip() or (annotator or "")
        value = row["label_holds"].strip().lower()
        texts = tuple(row[c] or "" for c in ("original_a", "original_b", "perturbed_a", "perturbed_b"))
        if value not in JUDGEMENTS:
            problems.append(f"label_holds must be yes, no or unsure (row {number} has {row['label_holds'].strip()!r})")
        elif pid not in stored:
            problems.append(f"perturbation {pid!r} (row {number}) is not in this database")
        elif stored[pid] != texts:
            problems.append(f"row {number} shows other texts than the database holds for perturbation {pid!r}")
        elif not who:
            problems.append(f"row {number} names no annotator (fill the column or pass --annotator)")
        elif (pid, who) in seen:
            problems.append(f"row {number} judges perturbation {pid!r} a second time for annotator {who!r}")
        else:
            seen.add((pid, who))
            records.append((pid, who, value, (row.get("note") or "").strip()))
    if problems:
        more = f" ({len(problems) - 1} more row(s) do not match either)" if len(problems) > 1 else ""
        raise UserError(f"{path} does not match the database: {problems[0]}{more}; nothing was imported")
    return records


def validated(store, min_share: float) -> set[tuple[str, str, str]]:
    """(attack setting, task, language) whose judged successful perturbations keep their label at a share of at
    least `min_share`, from the named query `attack_validity`; the setting is labelled as the prediction queries'
    `attack` column labels it, so a table keeps exactly the settings people validated."""
    counts: dict[tuple, list[int]] = {}
    for row in named.run_readonly(store, "attack_validity", {}).to_pylist():
        pooled = counts.setdefault((row["setting"], row["task"], row["language"]), [0, 0])
        pooled[0] += row["holds"]
        pooled[1] += row["holds"] + row["broken"]
    return {key for key, (holds, decided) in counts.items() if decided and holds / decided >= min_share}
