"""The `load` cell: read one task split in one language from its source into `example` rows."""

from __future__ import annotations

import json

import pyarrow as pa

from xstore import alternatives
from xstore.catalog import get_task
from xstore.errors import UserError
from xstore.keys import content_key
from xstore.runners import CellKind
from xstore.schema import DataSource, Task
from xstore.tasks.mlm import mlm_entry
from xstore.tasks.translated import base_task, translated_entry
from xstore.runners.rows import model_rows


def example_id(task: str, version: int, split: str, language: str, idx: int) -> str:
    """An example's key: stable across fills, distinct across task versions."""
    return content_key("example", task, version, split, language, idx)


def run(ctx) -> dict[str, pa.Table]:
    p = ctx.cell.params
    task, folder = _source(p, ctx.spec)
    loaded = task.read(p["split"], p["language"], folder)
    rows = loaded.rows
    if not rows:
        raise UserError(f"task {task.name!r} {p['split']}/{p['language']}: the source holds no rows")
    ids = [example_id(task.name, task.version, p["split"], p["language"], r["idx"]) for r in rows]
    if p["task"] == alternatives.MLM:  # text of several sources and lengths may share a database: ids per load
        ids = [content_key("example", ctx.cell.key, r["idx"]) for r in rows]
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
                    labels=list(task.label_set(folder)), text_fields=list(task.text_fields), languages=list(task.languages))
    return {"task": model_rows([task_row]), "example": examples, "data_source": model_rows([source])}


def _source(p: dict, spec):
    """The entry a load reads through and its local folder: a catalogue task and its [data] folder, or one of
    Phang et al. 2020's alternatives: MLM text ([mlm]) or a task's translations ([translated.TASK])."""
    if p["task"] == alternatives.MLM:
        return mlm_entry(p["source"], [p["language"]], p["lines_per_language"]), alternatives.mlm_folder(spec)
    if "translation_version" in p:
        task = base_task(p["task"])
        return translated_entry(p["task"]), alternatives.translated_folder(spec, task)
    return get_task(p["task"]), spec.data_dir(p["task"])


KINDS = (CellKind("load", order=0, version=1, run=run),)
