"""Rows for the task-score query tests: catalogue task rows, tag_sentence, span_answer and BUCC predictions.

Not a conftest.py (see querydb.py). Each helper writes rows the way runners/predict.py does.
"""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa

from xstore.catalog import get_task


def add_tasks(qdb, *names: str) -> None:
    """The task rows a fill's load cells write, for catalogue tasks `names` (task_score reads their head)."""
    entries = [get_task(n) for n in names]
    qdb.insert("task", pa.table({
        "name": [e.name for e in entries], "version": pa.array([e.version for e in entries], pa.int32()),
        "role": [e.role for e in entries], "head": [e.head for e in entries],
        "labels": [json.dumps(list(e.labels)) for e in entries],
        "text_fields": [json.dumps(list(e.text_fields)) for e in entries],
        "languages": [json.dumps(list(e.languages)) for e in entries],
    }))


def add_cell(qdb, key: str, run_key: str, task: str, split: str, language: str, attack: str = "none") -> None:
    """A predict_clean cell row (span_answer reads its split and attack from it)."""
    now = datetime(2026, 1, 1)
    qdb.insert("cell", pa.table({
        "key": [key], "kind": ["predict_clean"],
        "params": [json.dumps({"task": task, "split": split, "language": language, "attack": attack})],
        "parents": [json.dumps({"run": run_key})], "host": ["h"], "pid": pa.array([1], pa.int32()),
        "started_at": [now], "finished_at": [now], "wall_seconds": [0.1],
    }))


def add_sentences(qdb, run_key: str, task: str, counts: list[tuple], *, split: str = "test", language: str = "en") -> None:
    """tag_sentence rows: counts = (words, correct_words, gold, predicted, correct entities), entities None for POS."""
    n = len(counts)
    column = lambda i: pa.array([c[i] for c in counts], pa.int32())  # noqa: E731
    qdb.insert("tag_sentence", pa.table({
        "cell_key": [f"tag-{run_key}-{split}-{language}"] * n, "example_id": [f"s{i}" for i in range(n)],
        "run_key": [run_key] * n, "task": [task] * n, "split": [split] * n, "language": [language] * n,
        "attack": ["none"] * n, "words": column(0), "scored_words": column(0), "correct_words": column(1),
        "gold_entities": column(2), "predicted_entities": column(3), "correct_entities": column(4),
    }))


def add_answers(qdb, run_key: str, task: str, scores: list[tuple[float, float]], *, split: str = "test",
                language: str = "en", normalization: str = "squad-v1.1") -> None:
    """span_answer rows with (exact_match, f1) per question, and their predict cell."""
    key = f"span-{run_key}-{split}-{language}"
    add_cell(qdb, key, run_key, task, split, language)
    n = len(scores)
    qdb.insert("span_answer", pa.table({
        "cell_key": [key] * n, "example_id": [f"q{i}" for i in range(n)], "run_key": [run_key] * n,
        "language": [language] * n, "answer": ["a"] * n, "answer_start": pa.array([0] * n, pa.int32()),
        "gold": ['["a"]'] * n, "candidates": ['["a"]'] * n,
        "exact_match": [float(e) for e, _ in scores], "f1": [float(f) for _, f in scores],
        "normalization": [normalization] * n,
    }))


def add_mined(qdb, run_key: str, cosines: list[float], hits: list[bool], *, split: str, language: str = "de") -> None:
    """BUCC prediction rows: the nearest English sentence's cosine (logits = cosine / 0.05, as the retrieval head
    stores them) and whether it is the gold translation (label 0) or not (label 1)."""
    logits = [[c / 0.05, c / 0.05 - 1] for c in cosines]
    qdb.add_predictions(run_key, logits, [0 if h else 1 for h in hits], task="bucc2018", split=split, language=language)
