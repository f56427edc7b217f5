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
import time
from dataclasses import dataclass
from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from xstore import integrity
from xstore.errors import UserError
from xstore.runners import CellKind
from xstore.runners.common import example_dicts, quiet_transformers


def run(ctx) -> dict[str, pa.Table]:
    """Fetch the run's checkpoint and the inputs, score them with the task's head, return the rows."""
    ((_, result),) = run_batch([ctx])
    if isinstance(result, Exception):
        raise result
    return result


def run_batch(ctxs: list) -> Iterator[tuple[object, dict | Exception]]:
    """Score several cells of one run together; yield (ctx, its tables or the exception it failed with) per cell.

    The cells whose head scores each input on its own (`PER_INPUT`) and that share a task and max_length are
    encoded and sorted by length together, so batches are cut from all their inputs rather than padded cell by
    cell; the scores are split back per cell and each cell's rows are checked (NaN logits) and built on their
    own. Their shared seconds (encoding and the model) are split in proportion to each cell's tokens
    (`CellTimes.compute`); loading the model counts for the cell that loaded it. Should the shared pass fail,
    each cell is scored alone, so only a failing cell fails.
    """
    groups: dict[tuple, list[_Cell]] = {}
    for ctx in ctxs:
        t0, read = time.perf_counter(), ctx.times.read
        try:
            job = _prepare(ctx)
        except Exception as err:
            _raise_interrupt(err)
            yield ctx, err
            continue
        job.own = time.perf_counter() - t0 - (ctx.times.read - read)
        merge = (str(job.checkpoint), job.sha256, job.task.name, ctx.cell.params["max_length"])
        groups.setdefault(merge if getattr(job.head, "PER_INPUT", False) else (id(job),), []).append(job)
    for group in groups.values():
        yield from _score_group(group)


@dataclass
class _Cell:
    """One cell's part of a batch: its task and head, the run's checkpoint, and its inputs."""

    ctx: object
    task: object
    head: object
    checkpoint: object
    sha256: str
    inputs: pa.Table
    examples: list[dict]
    own: float = 0.0  # seconds this cell computed on its own (outside the shared pass)


def _prepare(ctx) -> _Cell:
    """The run's checkpoint and the cell's inputs (read from the database)."""
    from xstore.catalog import get_task
    from xstore.runners.heads import head_module

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
    return _Cell(ctx, task, head, checkpoint, run_row["checkpoint_sha256"], inputs, example_dicts(inputs))


def _score_group(group: list[_Cell]) -> Iterator[tuple[object, dict | Exception]]:
    """Score the group's inputs in one sorted pass, then build each cell's rows (see `run_batch`)."""
    from xstore.runners.heads._batches import feature_length
    from xstore.runners.model_cache import model_for

    first = group[0]
    t0, loading = time.perf_counter(), first.ctx.times.load
    try:
        # the process's model cache: the run's next cells (the fill computes them together) find it loaded
        model, tokenizer = model_for(first.ctx, first.checkpoint, first.sha256, first.head.model_class())
        examples = [e for job in group for e in job.examples]
        features = first.head.encode(tokenizer, examples, first.ctx.cell.params["max_length"])
        scored = first.head.predict(model, tokenizer, examples, features, first.ctx.spec.predict.batch_size)
    except Exception as err:
        _raise_interrupt(err)
        if len(group) == 1:
            yield first.ctx, err
            return
        for job in group:  # which cell fails it: each alone (the model stays in the cache)
            yield from _score_group([job])
        return
    shared = time.perf_counter() - t0 - (first.ctx.times.load - loading)
    bounds = np.cumsum([0] + [len(job.examples) for job in group])
    # one feature per input for the PER_INPUT heads, so a cell's tokens are its features' lengths
    tokens = [sum(feature_length(f) for f in features[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]
    for job, lo, hi, n_tokens in zip(group, bounds[:-1], bounds[1:], tokens):
        t1 = time.perf_counter()
        try:
            tables = _tables(job, _part(scored, lo, hi) if len(group) > 1 else scored)
        except Exception as err:
            _raise_interrupt(err)
            yield job.ctx, err
            continue
        share = shared * (n_tokens / sum(tokens) if sum(tokens) else 1 / len(group))
        job.ctx.times.compute = job.own + share + time.perf_counter() - t1
        yield job.ctx, tables


def _part(scored: dict, lo: int, hi: int) -> dict:
    """The rows of a group's `scored` output that belong to inputs lo..hi-1, indexed from 0 again."""
    example = np.asarray(scored["example"])
    rows = np.flatnonzero((example >= lo) & (example < hi))
    part = {}
    for name, value in scored.items():
        if name == "example":
            part[name] = example[rows] - lo
        elif isinstance(value, np.ndarray):
            part[name] = value[rows]
        else:  # ragged logits: a list with one row per output row
            part[name] = [value[i] for i in rows]
    return part


def _tables(job: _Cell, scored: dict) -> dict[str, pa.Table]:
    """A cell's rows from its scored inputs (non-finite logits fail the cell: `scored_table`)."""
    cell, p = job.ctx.cell, job.ctx.cell.params
    tables = {"prediction": scored_table(cell, job.inputs, scored)}
    if "span_answer" in scored:
        answers = job.head.official_scores(scored["span_answer"], job.task.name, p["language"])
        tables["span_answer"] = span_answer_table(cell, job.inputs, answers)
    if job.task.head == "tagging":
        tables["tag_sentence"] = tag_sentence_table(
            cell, job.inputs, job.head.sentence_scores(job.examples, scored, job.task.labels))
    return tables


def _raise_interrupt(err: Exception) -> None:
    """Ctrl-C arriving during a DuckDB statement stops the fill; it is never one cell's failure."""
    if isinstance(err, duckdb.InterruptException):
        raise err


KINDS = (
    CellKind("predict_clean", order=3, version=1, run=run, run_batch=run_batch),
    CellKind("predict_perturbed", order=5, version=1, run=run, run_batch=run_batch),  # after `perturb`, whose rows it reads
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
