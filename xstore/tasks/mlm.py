"""Multilingual plain text for the masked-LM objective of Phang et al. 2020's alternative (i): where it comes from.

Not a catalogue task: its languages and source are the spec's [mlm] section. `mlm_entry` builds the entry a
`load` cell reads through, so the text is stored as `example` rows (text_a, label -1) like any task's data,
one row per non-blank line: a line of a local file, or a line of a hub row's text column (a Wikipedia
article's paragraphs become rows of their own).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Optional

from xstore.errors import UserError
from xstore.tasks import Loaded, TaskEntry, sources

NAME = "mlm"
HEAD = "masked_lm"
# Part of the key of every load of MLM text: bump it when the reader changes what it reads.
VERSION = 1
LAYOUT = "{lang}.txt (plain or .gz) per language: UTF-8 text, one passage per line; blank lines are skipped"


def mlm_entry(source: dict, languages: list[str], lines: Optional[int]) -> TaskEntry:
    """The entry that reads MLM text from `source` ({"hub", "config", "column"}, or {"folder": True} for the
    [mlm] folder), at most `lines` lines per language (None: all)."""

    def read(entry: TaskEntry, split: str, language: str, folder: Optional[Path]) -> Loaded:
        if source.get("hub"):
            return _read_hub(entry, source, language, lines)
        if folder is None:
            raise UserError("[mlm]: no folder of text files to read (set folder = \"path/to/folder\")")
        return _read_local(entry, Path(folder), language, lines)

    where = source.get("hub") or "a local folder"
    return TaskEntry(name=NAME, version=VERSION, role="intermediate", head=HEAD, labels=(), text_fields=("text",),
                     splits={"train": tuple(languages)}, source=f"masked-LM text from {where}", reader=read,
                     hub=source.get("hub", ""), layout=LAYOUT)


def _rows(texts, lines: Optional[int]) -> list[dict]:
    passages = (line.strip() for text in texts for line in text.split("\n"))
    kept = itertools.islice((p for p in passages if p), lines)
    return [{"idx": i, "text_a": text, "text_b": None, "label": -1, "fields": None} for i, text in enumerate(kept)]


def _read_local(entry: TaskEntry, folder: Path, language: str, lines: Optional[int]) -> Loaded:
    path = sources.find_file(entry, folder, [f"{language}.txt"])
    rows = _rows([sources.read_text(path)], lines)
    return Loaded(rows, "local", str(path), "", sources.fingerprint([path]))


def _read_hub(entry: TaskEntry, source: dict, language: str, lines: Optional[int]) -> Loaded:
    """The first `lines` lines of a hub corpus in `language`, streamed: a Wikipedia dump is far larger than
    what one intermediate phase reads, so it is never downloaded whole."""
    try:
        import datasets
    except ImportError:
        raise UserError("[mlm]: reading the hub needs the `datasets` package (pip install datasets), or a local "
                        f"folder ({LAYOUT})") from None
    config = source["config"].format(lang=language) if source.get("config") else None
    location = source["hub"] + (f" ({config})" if config else "") + " split train"
    try:
        data = datasets.load_dataset(source["hub"], config, split="train", streaming=True)
        texts = (row[source["column"]] for row in data)
        rows = _rows(texts, lines)
    except Exception as err:  # datasets raises many types (ConnectionError, FileNotFoundError, KeyError...)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"[mlm]: cannot read hub corpus {location}: {first}. Download it where the hub is reachable, "
                        f"or put text files in a folder ({LAYOUT}) and set [mlm] folder = \"path/to/folder\"") from None
    return Loaded(rows, "hub", location, "", "")
