"""The `load` cell: read one task split in one language from its source into `example` rows."""

from __future__ import annotations

import json

import pyarrow as pa

from xstore.catalog import get_task
from xstore.errors import UserError
from xstore.keys import content_key
from xstore.runners import CellKind
from xstore.schema import DataSource, Task
from xstore.runners.rows import model_rows


def example_id(task: str, version: int, split: str, language: str, idx: int) -> str:
    """An example's key: stable across fills, distinct across task versions."""
    return content_key("example", task, version, split, language, idx)


def run(ctx) -> dict[str, pa.Table]:
    p = ctx.cell.params
    task = get_task(p["task"])
    loaded = task.read(p["split"], p["language"], ctx.spec.data_dir(task.name))
    rows = loaded.rows
    if not rows:
        raise UserError(f"task {task.name!r} {p['split']}/{p['language']}: the source holds no rows")
    ids = [example_id(task.name, task.version, p["split"], p["language"], r["idx"]) for r in rows]
    if len(set(ids)) != len(ids):
        raise UserError(f"task {task.name!r} {p['split']}/{p['language']}: duplicate example indices")
    examples = pa.table({
        "id": ids,
        "cell_key": [ctx.cell.key] * len(rows),
        "task": [task.name] * len(rows),
        "task_version": pa.array([task.version] * len(rows), pa.int32()),
        "split": [p["split"]] * len(rows),
        "language": [p["language"]] * len(rows),
        "idx": pa.array([r["idx"] for r in rows], pa.int32()),
        "text_a": [r["text_a"] for r in rows],
        "text_b": pa.array([r["text_b"] for r in rows], pa.string()),
        "label": pa.array([r["label"] for r in rows], pa.int32()),
        "fields": pa.array([None if r.get("fields") is None else json.dumps(r["fields"], ensure_ascii=False)
                            for r in rows], pa.string()),
    })
    source = DataSource(cell_key=ctx.cell.key, task=task.name, task_version=task.version, split=p["split"],
                        language=p["language"], origin=loaded.origin, location=loaded.location,
                        revision=loaded.revision, fingerprint=loaded.fingerprint, n_rows=len(rows))
    task_row = Task(name=task.name, version=task.version, role=task.role, head=task.head,
                    labels=list(task.label_set(ctx.spec.data_dir(task.name))), text_fields=list(task.text_fields), languages=list(task.languages))
    return {"task": model_rows([task_row]), "example": examples, "data_source": model_rows([source])}


KINDS = (CellKind("load", order=0, version=1, run=run),)
