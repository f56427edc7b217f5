"""A catalogue entry (`TaskEntry`) and what its reader returns (`Loaded`); the entries are in xstore.tasks."""

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
    # For an entry whose labels come from its data (CCG's supertags): (entry, data folder) -> the labels.
    label_reader: Optional[Callable[["TaskEntry", Optional[Path]], tuple[str, ...]]] = field(default=None, repr=False)

    @property
    def languages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for langs in self.splits.values():
            seen.update(dict.fromkeys(langs))
        return tuple(seen)

    def label_set(self, data_dir: Optional[Path] = None) -> tuple[str, ...]:
        """The labels rows index into: `labels`, or for an entry that declares none but has a
        `label_reader` (CCG: xstore.tasks.tagging.tag_set) those its data folder gives."""
        if self.labels or self.label_reader is None:
            return self.labels
        return self.label_reader(self, data_dir)

    def read(self, split: str, language: str, data_dir: Optional[Path] = None) -> Loaded:
        """The rows of one split in one language (see the module docstring for their shape)."""
        if language not in self.splits.get(split, ()):
            raise UserError(f"task {self.name!r} has no {split!r} split in language {language!r}")
        return self.reader(self, split, language, data_dir)
