"""Hand-made perturbations and judgements for the validity queries: rows written the way the perturb runner
and `xstore annotate import` write them, each test stating only what it varies."""

from __future__ import annotations

from datetime import datetime

from xstore.keys import canonical_json

LABELS = ["entailment", "neutral", "contradiction"]


def _insert(qdb, table: str, row: dict) -> None:
    values = [canonical_json(v) if isinstance(v, (dict, list)) else v for v in row.values()]
    with qdb.store.connect() as con:
        con.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", values)


def add_task(qdb, name: str = "demo-nli") -> None:
    _insert(qdb, "task", {"name": name, "version": 1, "role": "target", "head": "classification",
                          "labels": LABELS, "text_fields": ["premise", "hypothesis"], "languages": ["de", "fr"]})


def add_example(qdb, example_id: str, text_a: str, text_b: str | None, *, label: int = 0, language: str = "de",
                split: str = "test", task: str = "demo-nli") -> None:
    _insert(qdb, "example", {"id": example_id, "cell_key": f"load-{language}", "task": task, "task_version": 1,
                             "split": split, "language": language, "idx": int(example_id.strip("abcdefghijklmnopqrstuvwxyz") or 0),
                             "text_a": text_a, "text_b": text_b, "label": label})


def add_cell(qdb, key: str, attack: str, params: dict, protocol: str | None) -> None:
    cell_params = {"attack": attack, "params": params} | ({"protocol": protocol} if protocol else {})
    now = datetime(2026, 1, 1)
    _insert(qdb, "cell", {"key": key, "kind": "perturb", "params": cell_params, "parents": {}, "host": "h", "pid": 1,
                          "started_at": now, "finished_at": now, "wall_seconds": 1.0})


def add_perturbation(qdb, pid: str, cell: str, example_id: str, attack: str, params: dict, *, text_a: str,
                     text_b: str | None, outcome: str, language: str = "de", words: int = 0, chars: int = 0,
                     similarity: float | None = None, negations: list | None = (), negations_after: list | None = (),
                     rejected: dict | None = None, version: int = 2) -> None:
    _insert(qdb, "perturbation", {
        "id": pid, "cell_key": cell, "example_id": example_id, "attack": attack, "attack_version": version,
        "params": params, "victim_run_key": None, "language": language, "text_a": text_a, "text_b": text_b,
        "outcome": outcome, "queries": 1, "words_changed": words, "chars_changed": chars, "seed": 0,
        "similarity": similarity,
        "negations": None if negations is None else canonical_json(list(negations)),
        "negations_after": None if negations_after is None else canonical_json(list(negations_after)),
        "rejected": None if rejected is None else canonical_json(rejected),
    })


def add_judgement(qdb, pid: str, annotator: str, label_holds: str) -> None:
    _insert(qdb, "annotation", {"perturbation_id": pid, "annotator": annotator, "label_holds": label_holds,
                                "note": "", "source_file": "hand.csv sha256:0", "imported_at": datetime(2026, 1, 2)})
