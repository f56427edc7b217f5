"""Tiny catalogue entries of every head kind, built from the demo's parallel sentences, for runner tests.

`register(monkeypatch)` puts them into the task catalogue for one test, so the tests do not depend on
the real entries (which read hub datasets). Row shapes follow xstore/tasks/__init__.py.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from xstore.tasks import TASKS, Loaded, TaskEntry

TAGS = ("short", "medium", "long")


def _premises(split: str, language: str) -> list[tuple[int, str, str]]:
    """(index, premise, hypothesis) of the demo NLI file, in file order."""
    text = resources.files("xstore.demo").joinpath("demo_nli.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    return [(r["index"], r["premise"], r["hypothesis"]) for r in records if r["split"] == split and r["language"] == language]


_SIZES = {"train": 40, "dev": 12, "test": 10}


def _tag(word: str) -> int:
    return 0 if len(word) <= 3 else 1 if len(word) <= 6 else 2


def _read_tagging(entry, split, language, data_dir) -> Loaded:
    rows = []
    for idx, premise, hypothesis in _premises(split, language)[:_SIZES[split]]:
        words = f"{premise} {hypothesis}".split()
        rows.append({"idx": idx, "text_a": " ".join(words), "text_b": None, "label": -1,
                     "fields": {"tokens": words, "tags": [_tag(w) for w in words]}})
    return Loaded(rows=rows, origin="packaged", location="tests")


def _read_span(entry, split, language, data_dir) -> Loaded:
    """Question: the last word of the context's first sentence; the context: premise and hypothesis."""
    rows = []
    for idx, premise, hypothesis in _premises(split, language)[:_SIZES[split]]:
        context = f"{premise} {hypothesis} {premise}"
        answer = re.sub(r"\W+$", "", premise.split()[-1])
        rows.append({"idx": idx, "text_a": "What is the last word?", "text_b": context, "label": -1,
                     "fields": {"answers": [{"text": answer, "start": premise.rfind(answer)}]}})
    return Loaded(rows=rows, origin="packaged", location="tests")


def _read_choice(entry, split, language, data_dir) -> Loaded:
    """Which hypothesis goes with the premise; the gold choice rotates, one question has two choices."""
    data = _premises(split, language)[:_SIZES[split]]
    rows = []
    for k, (idx, premise, hypothesis) in enumerate(data):
        others = [data[(k + 1) % len(data)][2], data[(k + 2) % len(data)][2]][:1 if k == 0 else 2]
        gold = k % (len(others) + 1)
        choices = others[:gold] + [hypothesis] + others[gold:]
        rows.append({"idx": idx, "text_a": premise, "text_b": None, "label": gold, "fields": {"choices": choices}})
    return Loaded(rows=rows, origin="packaged", location="tests")


def _read_retrieval(entry, split, language, data_dir) -> Loaded:
    english = {idx: premise for idx, premise, _ in _premises(split, "en")}
    rows = [{"idx": idx, "text_a": premise, "text_b": english[idx], "label": -1, "fields": None}
            for idx, premise, _ in _premises(split, language)[:15]]
    return Loaded(rows=rows, origin="packaged", location="tests")


ENTRIES = [
    TaskEntry(name="fx-tag", version=1, role="both", head="tagging", labels=TAGS, text_fields=("tokens",),
              splits={"train": ("en",), "dev": ("en",), "test": ("en", "de")}, source="tests", reader=_read_tagging,
              max_length=16),  # short: the longer sentences lose their last words
    TaskEntry(name="fx-span", version=1, role="both", head="span", labels=(), text_fields=("question", "context"),
              splits={"train": ("en",), "dev": ("en",), "test": ("en", "de")}, source="tests", reader=_read_span,
              max_length=40),  # short: most contexts need several windows
    TaskEntry(name="fx-choice", version=1, role="intermediate", head="multiple_choice", labels=(),
              text_fields=("context",), splits={"train": ("en",), "dev": ("en",)}, source="tests", reader=_read_choice),
    TaskEntry(name="fx-ret", version=1, role="target", head="retrieval", labels=(), text_fields=("sentence", "english"),
              splits={"test": ("de", "fr")}, source="tests", reader=_read_retrieval),
]


def register(monkeypatch) -> None:
    for entry in ENTRIES:
        monkeypatch.setitem(TASKS, entry.name, entry)


SPEC = """
database = "h.duckdb"

[grid]
base_models = {base_models}
intermediate = {intermediate}
targets = {targets}
languages = {languages}
seeds = [1]

[train.intermediate]
learning_rate = 1e-3
batch_size = 8
grad_accum_steps = 1
max_steps = {intermediate_steps}
log_every = 2

[train.target]
learning_rate = 1e-3
batch_size = 8
grad_accum_steps = 1
{target_steps}
log_every = 2
"""


def write_spec(folder, intermediate=("none",), targets=("fx-tag",), languages=("en", "de"),
               target_steps="max_steps = 6", intermediate_steps=4, base_model="builtin:tiny-xlmr"):
    path = folder / "h.toml"
    text = SPEC.format(base_models=json.dumps([base_model]), intermediate=json.dumps(list(intermediate)),
                       targets=json.dumps(list(targets)),
                       languages=json.dumps(list(languages)), target_steps=target_steps,
                       intermediate_steps=intermediate_steps)
    path.write_text(text)
    return path


def fill_spec(folder, **spec):
    """Write the spec (`write_spec`'s arguments) into `folder`, fill it serially, check it all succeeded;
    returns the Store. Register the entries first (`register`)."""
    from xstore.db import Store
    from xstore.fill import fill
    from xstore.spec import load_spec

    loaded = load_spec(write_spec(folder, **spec))
    store = Store(loaded.database_path)
    report = fill(loaded, store)
    assert report.exit_code == 0, report.failed
    return store


def query(store, sql, params=None) -> list[tuple]:
    """All rows of one read query on `store`."""
    with store.connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
