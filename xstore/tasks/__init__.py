"""The task catalogue: one entry per task, the one place each task is declared.

An entry names its head kind, labels, text fields, languages per split, hub source and local-file
layout, and a version. Bumping `version` changes the key of every cell that depends on the entry,
so those cells are planned again. The entries live in one list per head kind: `classification.py`,
`multiple_choice.py`, `tagging.py`, `span.py`, `retrieval.py`, plus `demo.py` for the offline demo.
Phang et al. 2020's nine intermediate tasks have role "intermediate"; the XTREME targets "target".

Every reader returns a `Loaded`: rows plus where they came from, so each stored example can be
traced to an exact file or hub revision. Readers import `datasets` only when they read the hub.

Row shape (one dict per example), by head kind:

- classification: text_a, text_b (None for single-sentence tasks), label (index into labels).
- multiple_choice: text_a (context or question), text_b (question or None), label (gold choice
  index), fields {"choices": [str, ...]}.
- tagging: text_a (the words joined by spaces), text_b None, label -1,
  fields {"tokens": [str, ...], "tags": [int, ...]} (tags index into labels).
- span: text_a (question), text_b (context), label -1,
  fields {"answers": [{"text": str, "start": int}, ...]} (start: character offset in the context).
- retrieval: text_a (sentence in the language), text_b (its English translation), label -1.

Every row also has `idx`, its position in the source (unique within a split and language).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from xstore.errors import UserError

@dataclass(frozen=True)
class Loaded:
    """One split in one language as read, with its provenance."""

    rows: list[dict]
    origin: str  # "hub", "local" or "packaged"
    location: str  # hub dataset id and config, or the file(s) read
    revision: str = ""  # hub commit of the dataset, when known
    fingerprint: str = ""  # sha256 of the files read, or the datasets fingerprint


@dataclass(frozen=True)
class TaskEntry:
    """One task: what it is, where its rows come from, and how to read them."""

    name: str
    version: int
    role: str  # "intermediate", "target" or "both"
    head: str  # a head kind of runners/heads (HEADS): classification, multiple_choice, tagging, span, retrieval
    labels: tuple[str, ...]  # class names or tag set; () for span and retrieval
    text_fields: tuple[str, ...]  # the input fields, in model order
    splits: dict[str, tuple[str, ...]]  # split -> languages that have it
    source: str  # a sentence for `xstore tasks` and for error messages
    reader: Callable[["TaskEntry", str, str, Optional[Path]], Loaded] = field(repr=False)
    hub: str = ""  # hub dataset id (and config), "" when local files are the only source
    layout: str = ""  # the local-file layout a [data] directory must follow
    # Default maximum input length in tokens, used when the spec leaves max_length unset:
    # XTREME's reference scripts (Hu et al. 2020) use 128 for sentence tasks and 384 for QA.
    max_length: int = 128
    # Training defaults of this task where they differ from the phase defaults (xstore.spec.TrainSettings),
    # e.g. {"epochs": 5.0}; a value set in the spec wins.
    train_defaults: dict = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for langs in self.splits.values():
            seen.update(dict.fromkeys(langs))
        return tuple(seen)

    def label_set(self, data_dir: Optional[Path] = None) -> tuple[str, ...]:
        """The labels rows index into: `labels`, or for a tagging task that declares none (CCG) the tag
        set of its data folder (xstore.tasks.tagging.tag_set)."""
        if self.labels or self.head != "tagging":
            return self.labels
        from xstore.tasks.tagging import tag_set

        return tag_set(self, data_dir)

    def read(self, split: str, language: str, data_dir: Optional[Path] = None) -> Loaded:
        """The rows of one split in one language (see the module docstring for their shape)."""
        if language not in self.splits.get(split, ()):
            raise UserError(f"task {self.name!r} has no {split!r} split in language {language!r}")
        return self.reader(self, split, language, data_dir)


def _catalogue() -> dict[str, TaskEntry]:
    from xstore.tasks import classification, demo, multiple_choice, retrieval, span, tagging

    modules = (demo, classification, multiple_choice, tagging, span, retrieval)
    entries = [entry for module in modules for entry in module.ENTRIES]
    out = {entry.name: entry for entry in entries}
    assert len(out) == len(entries), "two catalogue entries share a name"
    return out


TASKS: dict[str, TaskEntry] = _catalogue()


def get_task(name: str) -> TaskEntry:
    """The catalogue entry for `name`, or a UserError listing the known tasks."""
    try:
        return TASKS[name]
    except KeyError:
        raise UserError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None
