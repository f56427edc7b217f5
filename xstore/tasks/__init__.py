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

from xstore.errors import UserError
from xstore.tasks import classification, demo, multiple_choice, retrieval, span, tagging
from xstore.tasks.entry import Loaded, TaskEntry

__all__ = ["Loaded", "TASKS", "TaskEntry", "get_task"]


def _catalogue() -> dict[str, TaskEntry]:
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
