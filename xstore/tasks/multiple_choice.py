"""Catalogue entries with the multiple_choice head (see xstore/tasks/__init__.py for the row shape).

Phang et al. 2020's (arXiv 2005.13013) multiple-choice intermediate tasks: CommonsenseQA, Cosmos QA and
HellaSwag, English train and dev (their test labels are hidden). Each reader says how its rows pair
context and choices, against jiant (the paper's toolkit). Readers sit above the ENTRIES list.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from xstore.errors import UserError
from xstore.tasks import sources
from xstore.tasks.entry import Loaded, TaskEntry

_EN = ("en",)


def _row(idx: int, text_a: str, text_b: Optional[str], label: int, choices: list[str]) -> dict:
    return {"idx": idx, "text_a": text_a, "text_b": text_b, "label": label, "fields": {"choices": choices}}


def _choices(entry: TaskEntry, where: str, values) -> list[str]:
    """The choice texts, checked: exactly as many as entry.labels, none empty."""
    if not isinstance(values, list) or len(values) != len(entry.labels):
        count = len(values) if isinstance(values, list) else "no"
        raise UserError(f"{where}: {count} choices, expected {len(entry.labels)}")
    return [sources.require_text(where, value, f"choice {i}") for i, value in enumerate(values)]


def _gold(entry: TaskEntry, where: str, value) -> int:
    """The gold choice index from an int or a digit string ("0".."3", as HellaSwag's hub split writes it)."""
    return sources.label_index(entry, where, str(value) if type(value) is int else value)


def _hub(entry: TaskEntry, path: str, split: str, names: list[str], revision: Optional[str] = None):
    """(columns, n, Loaded without rows) of one hub split."""
    data, location, commit, fingerprint = sources.load_hub(entry, path, None, split, revision=revision)
    columns = sources.hub_columns(entry, data, location, names)
    meta = Loaded(rows=[], origin="hub", location=location, revision=commit, fingerprint=fingerprint)
    return columns, len(columns[names[0]]), meta


def _local(path: Path) -> Loaded:
    return Loaded(rows=[], origin="local", location=str(path), fingerprint=sources.fingerprint([path]))


def _with_rows(meta: Loaded, rows: list[dict]) -> Loaded:
    return dataclasses.replace(meta, rows=rows)


# --- CommonsenseQA ------------------------------------------------------------------------------------

_CSQA_KEYS = ("A", "B", "C", "D", "E")  # answerKey letters, in choice order


def _csqa_row(entry: TaskEntry, where: str, idx: int, question, choices, answer) -> dict:
    """One question; choices is the hub's / flat form {"label": [...], "text": [...]} or the original list."""
    if isinstance(choices, dict):
        choices = [{"label": label, "text": text} for label, text in zip(choices.get("label", []), choices.get("text", []))]
    by_key = {c.get("label"): c.get("text") for c in choices if isinstance(c, dict)} if isinstance(choices, list) else {}
    if sorted(map(str, by_key)) != list(_CSQA_KEYS):
        raise UserError(f"{where}: choices labelled {sorted(map(str, by_key))}, expected {', '.join(_CSQA_KEYS)}")
    if answer not in _CSQA_KEYS:
        raise UserError(f"{where}: unknown answerKey {answer!r}; expected one of {', '.join(_CSQA_KEYS)}")
    texts = _choices(entry, where, [by_key[key] for key in _CSQA_KEYS])
    # jiant's commonsenseqa task: the question stem is the prompt, each choice the continuation.
    return _row(idx, sources.require_text(where, question, "question"), None, _CSQA_KEYS.index(answer), texts)


def _read_commonsenseqa(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:
        columns, n, meta = _hub(entry, "tau/commonsense_qa", {"train": "train", "dev": "validation"}[split],
                                ["question", "choices", "answerKey"])
        rows = [_csqa_row(entry, f"task {entry.name!r}: hub dataset {meta.location} row {i}", i,
                          columns["question"][i], columns["choices"][i], columns["answerKey"][i]) for i in range(n)]
        return _with_rows(meta, rows)
    path = sources.find_file(entry, data_dir, [f"{split}_rand_split.jsonl"])
    rows = []
    for idx, (line_no, record) in enumerate(sources.jsonl_records(path)):
        where = f"task {entry.name!r}: {path} line {line_no}"
        question = record.get("question")
        if isinstance(question, dict):  # the original release: {"stem": ..., "choices": [{"label", "text"}]}
            rows.append(_csqa_row(entry, where, idx, question.get("stem"), question.get("choices"), record.get("answerKey")))
        else:  # the hub's flat form, as saved from it: question, choices {"label": [...], "text": [...]}
            rows.append(_csqa_row(entry, where, idx, question, record.get("choices"), record.get("answerKey")))
    return _with_rows(_local(path), rows)


# --- Cosmos QA ----------------------------------------------------------------------------------------

_COSMOS_COLUMNS = ["context", "question", "answer0", "answer1", "answer2", "answer3", "label"]


def _cosmos_row(entry: TaskEntry, where: str, idx: int, values: dict) -> dict:
    # Context first, then "question + answer" per choice: the pairing of our head (run_swag-style); jiant
    # puts context and question together in the first segment instead.
    choices = _choices(entry, where, [values[f"answer{i}"] for i in range(4)])
    return _row(idx, sources.require_text(where, values["context"], "context"),
                sources.require_text(where, values["question"], "question"), _gold(entry, where, values["label"]), choices)


def _read_cosmosqa(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:
        # The hub repo's main branch may still hold a loading script, which datasets >= 4 refuses to run;
        # the hub's own parquet export (refs/convert/parquet) has the same rows either way.
        columns, n, meta = _hub(entry, "allenai/cosmos_qa", {"train": "train", "dev": "validation"}[split],
                                _COSMOS_COLUMNS, revision="refs/convert/parquet")
        rows = [_cosmos_row(entry, f"task {entry.name!r}: hub dataset {meta.location} row {i}", i,
                            {name: columns[name][i] for name in _COSMOS_COLUMNS}) for i in range(n)]
        return _with_rows(meta, rows)
    # The release (github.com/wilburOne/cosmosqa, data/): train.csv and valid.csv, comma-separated with a
    # header id,context,question,answer0..answer3,label; the test set is test.jsonl without labels.
    path = sources.find_file(entry, data_dir, [{"train": "train.csv", "dev": "valid.csv"}[split]])
    records = sources.table_records(path, delimiter=",", quoted=True)
    header_line, header = next(records, (0, []))
    if not header:
        raise UserError(f"task {entry.name!r}: {path} is empty (expected layout: {entry.layout})")
    missing = [name for name in _COSMOS_COLUMNS if name not in header]
    if missing:
        raise UserError(f"task {entry.name!r}: {path} line {header_line}: the header has no column {missing[0]!r} "
                        f"(expected layout: {entry.layout})")
    rows = []
    for idx, (line_no, fields) in enumerate(records):
        where = f"task {entry.name!r}: {path} line {line_no}"
        if len(fields) != len(header):
            raise UserError(f"{where} has {len(fields)} columns, the header {len(header)}")
        rows.append(_cosmos_row(entry, where, idx, dict(zip(header, fields))))
    return _with_rows(_local(path), rows)


# --- HellaSwag ----------------------------------------------------------------------------------------

def _hellaswag_row(entry: TaskEntry, where: str, idx: int, ctx_a, ctx_b, endings, label) -> dict:
    # jiant's hellaswag task: prompt ctx_a, choice "ctx_b ending"; our head builds (text_a, text_b + " " +
    # choice), the same input. ctx_b is empty in many WikiHow contexts: then None, and the ending follows ctx_a.
    ctx_b = ctx_b if isinstance(ctx_b, str) and ctx_b.strip() else None
    return _row(idx, sources.require_text(where, ctx_a, "ctx_a"), ctx_b, _gold(entry, where, label),
                _choices(entry, where, endings))


def _read_hellaswag(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    names = ["ctx_a", "ctx_b", "endings", "label"]
    if data_dir is None:
        # Rowan/hellaswag's main branch holds the loading script hellaswag.py (a parquet conversion sat
        # unmerged in pull request refs/pr/7), which datasets >= 4 refuses; the parquet export branch works.
        columns, n, meta = _hub(entry, "Rowan/hellaswag", {"train": "train", "dev": "validation"}[split], names,
                                revision="refs/convert/parquet")
        rows = [_hellaswag_row(entry, f"task {entry.name!r}: hub dataset {meta.location} row {i}", i,
                               *(columns[name][i] for name in names)) for i in range(n)]
        return _with_rows(meta, rows)
    # The release (github.com/rowanz/hellaswag, data/): hellaswag_train.jsonl, hellaswag_val.jsonl.
    path = sources.find_file(entry, data_dir, [{"train": "hellaswag_train.jsonl", "dev": "hellaswag_val.jsonl"}[split]])
    rows = [_hellaswag_row(entry, f"task {entry.name!r}: {path} line {line_no}", idx,
                           *(record.get(name) for name in names))
            for idx, (line_no, record) in enumerate(sources.jsonl_records(path))]
    return _with_rows(_local(path), rows)


# Inputs are question/context + choice pairs; 256 tokens is jiant's max_seq_length in its quick start and
# XTREME scripts (jiant/scripts/benchmarks/xtreme), the toolkit Phang et al. trained with. Cosmos QA's
# paragraphs alone run near 100 tokens, so 128 would cut many choices.
_MAX_LENGTH = 256

ENTRIES = [
    # CommonsenseQA (Talmor et al. 2019), random split ("rand"): 9,741 train / 1,221 dev questions, five
    # choices A-E; labels are the choice positions. The test set has no public answers.
    TaskEntry(
        name="commonsenseqa",
        version=1,
        role="intermediate",
        head="multiple_choice",
        labels=("0", "1", "2", "3", "4"),
        text_fields=("question",),
        splits={"train": _EN, "dev": _EN},
        source="CommonsenseQA (Talmor et al. 2019), random split: train and dev, 5 choices",
        reader=_read_commonsenseqa,
        hub="tau/commonsense_qa (train, validation)",
        layout="train_rand_split.jsonl and dev_rand_split.jsonl as released (.gz too): one JSON object per line "
               "with answerKey A-E and question {stem, choices [{label, text}]} (the hub's flat form also read)",
        max_length=_MAX_LENGTH,
    ),
    # Cosmos QA (Huang et al. 2019): 25,262 train / 2,985 dev questions on a paragraph, four answers.
    TaskEntry(
        name="cosmosqa",
        version=1,
        role="intermediate",
        head="multiple_choice",
        labels=("0", "1", "2", "3"),
        text_fields=("context", "question"),
        splits={"train": _EN, "dev": _EN},
        source="Cosmos QA (Huang et al. 2019): train and dev, 4 choices",
        reader=_read_cosmosqa,
        hub="allenai/cosmos_qa @ refs/convert/parquet (train, validation)",
        layout="train.csv and valid.csv as in github.com/wilburOne/cosmosqa data/ (.gz too): comma-separated, "
               "header id,context,question,answer0,answer1,answer2,answer3,label",
        max_length=_MAX_LENGTH,
    ),
    # HellaSwag (Zellers et al. 2019): 39,905 train / 10,042 dev contexts, four endings.
    TaskEntry(
        name="hellaswag",
        version=1,
        role="intermediate",
        head="multiple_choice",
        labels=("0", "1", "2", "3"),
        text_fields=("ctx_a", "ctx_b"),
        splits={"train": _EN, "dev": _EN},
        source="HellaSwag (Zellers et al. 2019): train and dev (val), 4 endings",
        reader=_read_hellaswag,
        hub="Rowan/hellaswag @ refs/convert/parquet (train, validation)",
        layout="hellaswag_train.jsonl and hellaswag_val.jsonl as in github.com/rowanz/hellaswag data/ (.gz too): "
               "one JSON object per line with ctx_a, ctx_b, endings (4), label",
        max_length=_MAX_LENGTH,
    ),
]
