"""The `predict_clean` and `predict_perturbed` cells: full logit vectors for every input of one language.

The task's head (runners/heads) encodes and scores the inputs: one row per input for classification,
multiple choice, span extraction and retrieval, one per word for tagging, plus a span_answer row per
question for span extraction (scored by the task's official script) and a tag_sentence row per tagged
sentence (the counts its token accuracy and entity F1 sum). Inputs are sorted by length and padded per
batch, and run under `torch.inference_mode`; each row keeps the whole float32 logit vector, so any
calibration metric can be computed later in SQL. Perturbed inputs are sentence classification only. The
run's model comes from the process's model cache (runners/model_cache.py): a run's cells of one kind load
it once.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from xstore import integrity
from xstore.errors import UserError
from xstore.runners import CellKind
from xstore.runners.common import example_dicts, quiet_transformers


def run(ctx) -> dict[str, pa.Table]:
    """Fetch the run's checkpoint and the inputs, score them with the task's head, return the rows."""
    from xstore.catalog import get_task
    from xstore.runners.heads import head_module
    from xstore.runners.model_cache import model_for

    quiet_transformers()
    cell, p = ctx.cell, ctx.cell.params
    task = get_task(p["task"])
    head = head_module(task.head)
    run_row = ctx.fetch("SELECT checkpoint_path, checkpoint_sha256 FROM training_run WHERE key = ?",
                        [cell.parents["run"]]).to_pylist()[0]
    checkpoint = integrity.checkpoint(ctx.store, run_row["checkpoint_path"], cell.parents["run"])
    if "examples" in cell.parents:
        inputs = ctx.fetch(
            "SELECT id AS example_id, NULL::VARCHAR AS perturbation_id, text_a, text_b, label, fields, "
            "false AS input_changed FROM example WHERE cell_key = ? ORDER BY idx", [cell.parents["examples"]])
    elif task.head != "classification":
        raise UserError(f"perturbed predictions are for sentence classification; {task.name!r} is a {task.head} task")
    else:
        inputs = ctx.fetch(
            "SELECT p.example_id, p.id AS perturbation_id, p.text_a, p.text_b, e.label, NULL::VARCHAR AS fields, "
            "(p.text_a IS DISTINCT FROM e.text_a OR p.text_b IS DISTINCT FROM e.text_b) AS input_changed "
            "FROM perturbation p JOIN example e ON e.id = p.example_id "
            "WHERE p.cell_key = ? ORDER BY e.idx", [cell.parents["perturbations"]])
    examples = example_dicts(inputs)
    # the process's model cache: the run's next cells (the fill computes them together) find it loaded
    model, tokenizer = model_for(ctx, checkpoint, run_row["checkpoint_sha256"], head.model_class())
    features = head.encode(tokenizer, examples, p["max_length"])
    scored = head.predict(model, tokenizer, examples, features, ctx.spec.predict.batch_size)
    tables = {"prediction": scored_table(cell, inputs, scored)}
    if "span_answer" in scored:
        answers = head.official_scores(scored["span_answer"], task.name, p["language"])
        tables["span_answer"] = span_answer_table(cell, inputs, answers)
    if task.head == "tagging":
        tables["tag_sentence"] = tag_sentence_table(cell, inputs, head.sentence_scores(examples, scored, task.labels))
    return tables


KINDS = (
    CellKind("predict_clean", order=3, version=1, run=run),
    CellKind("predict_perturbed", order=5, version=1, run=run),  # after `perturb`, whose rows it reads
)


def prediction_table(cell, inputs: pa.Table, logits: np.ndarray) -> pa.Table:
    """Prediction rows for `inputs` (one per input, unit 0); non-finite logits fail the cell instead of being stored."""
    n = logits.shape[0]
    return scored_table(cell, inputs, {"example": np.arange(n), "unit": np.zeros(n, dtype=np.int32),
                                       "label": inputs.column("label").to_numpy(zero_copy_only=False), "logits": logits})


def scored_table(cell, inputs: pa.Table, scored: dict) -> pa.Table:
    """Prediction rows from a head's scored output: `example` indexes `inputs`; logits a matrix or ragged rows.

    pred_label is the arg-max and confidence the max softmax probability of each row (for span and
    retrieval rows, sorted descending, that is index 0). Non-finite logits fail the cell.
    """
    logits = scored["logits"]
    if isinstance(logits, np.ndarray) and logits.ndim == 2:
        lengths = np.full(logits.shape[0], logits.shape[1], dtype=np.int64)
        flat = logits.reshape(-1)
    else:
        lengths = np.array([len(row) for row in logits], dtype=np.int64)
        flat = np.concatenate([np.asarray(row, dtype=np.float32) for row in logits]) if len(logits) else np.zeros(0, np.float32)
    n = len(lengths)
    if (lengths == 0).any():
        raise UserError(f"{int((lengths == 0).sum())} of {n} inputs were scored with no logits; nothing was stored for this cell")
    finite = np.isfinite(flat)
    if not finite.all():
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        bad = int((np.add.reduceat((~finite).astype(np.int64), starts) > 0).sum())
        raise UserError(f"{bad} of {n} inputs gave NaN or infinite logits; nothing was stored for this cell")
    if isinstance(logits, np.ndarray) and logits.ndim == 2:
        pred = logits.argmax(axis=1)
        shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
        confidence = 1.0 / np.exp(shifted).sum(axis=1)
    else:
        pred = np.array([int(np.argmax(row)) for row in logits], dtype=np.int64)
        confidence = np.array([1.0 / np.exp(np.asarray(row, np.float64) - np.max(row)).sum() for row in logits])
    p, rows = cell.params, pa.array(np.asarray(scored["example"], dtype=np.int64))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.table({
        "cell_key": pa.array([cell.key] * n, pa.string()),
        "example_id": inputs.column("example_id").take(rows),
        "perturbation_id": inputs.column("perturbation_id").cast(pa.string()).take(rows),
        "run_key": pa.array([cell.parents["run"]] * n, pa.string()),
        "task": pa.array([p["task"]] * n, pa.string()),
        "split": pa.array([p["split"]] * n, pa.string()),
        "language": pa.array([p["language"]] * n, pa.string()),
        "attack": pa.array([p["attack"]] * n, pa.string()),
        "label": pa.array(np.asarray(scored["label"]).astype(np.int32)),
        "logits": pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, pa.float32())),
        "pred_label": pa.array(pred.astype(np.int32)),
        "confidence": pa.array(confidence),
        "unit": pa.array(np.asarray(scored["unit"]).astype(np.int32)),
        "input_changed": (inputs.column("input_changed").take(rows) if "input_changed" in inputs.column_names
                          else pa.nulls(n, pa.bool_())),
    })


def span_answer_table(cell, inputs: pa.Table, answers: list[dict]) -> pa.Table:
    """One span_answer row per question; gold and candidates as JSON text."""
    ids = inputs.column("example_id").to_pylist()
    n = len(answers)
    return pa.table({
        "cell_key": pa.array([cell.key] * n, pa.string()),
        "example_id": pa.array([ids[a["example"]] for a in answers], pa.string()),
        "run_key": pa.array([cell.parents["run"]] * n, pa.string()),
        "language": pa.array([cell.params["language"]] * n, pa.string()),
        "answer": pa.array([a["answer"] for a in answers], pa.string()),
        "answer_start": pa.array([a["answer_start"] for a in answers], pa.int32()),
        "gold": pa.array([json.dumps(a["gold"], ensure_ascii=False) for a in answers], pa.string()),
        "candidates": pa.array([json.dumps(a["candidates"], ensure_ascii=False) for a in answers], pa.string()),
        "exact_match": pa.array([float(a["exact_match"]) for a in answers], pa.float64()),
        "f1": pa.array([float(a["f1"]) for a in answers], pa.float64()),
        "normalization": pa.array([a["normalization"] for a in answers], pa.string()),
    })


def tag_sentence_table(cell, inputs: pa.Table, sentences: list[dict]) -> pa.Table:
    """One tag_sentence row per tagged sentence: the counts its token accuracy and entity F1 sum."""
    ids = inputs.column("example_id").to_pylist()
    n, p = len(sentences), cell.params
    counts = {name: pa.array([s[name] for s in sentences], pa.int32())
              for name in ("words", "scored_words", "correct_words", "gold_entities", "predicted_entities",
                           "correct_entities")}
    return pa.table({
        "cell_key": pa.array([cell.key] * n, pa.string()),
        "example_id": pa.array([ids[s["example"]] for s in sentences], pa.string()),
        "run_key": pa.array([cell.parents["run"]] * n, pa.string()),
        "task": pa.array([p["task"]] * n, pa.string()),
        "split": pa.array([p["split"]] * n, pa.string()),
        "language": pa.array([p["language"]] * n, pa.string()),
        "attack": pa.array([p["attack"]] * n, pa.string()),
        **counts,
    })
