"""Machine-translated training data of intermediate tasks (Phang et al. 2020's alternative (ii)): where it comes from.

One entry per task that has a translate-train source. The entry of "mnli@translated" is the task's own
catalogue entry with its train split in the translated languages and a reader of the translations, so its
rows are the task's rows (same labels and head) and its examples keep ids of their own (`example.task`
says "mnli@translated"). English is the task's own English training data, read by the task itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Optional

from xstore.errors import UserError
from xstore.tasks import Loaded, TaskEntry, classification, get_task, sources, span

SUFFIX = "@translated"
# Part of the key of every load of translated data: bump it when a reader changes what it reads.
VERSION = 1


@dataclasses.dataclass(frozen=True)
class Translation:
    """The translate-train source of one task."""

    languages: tuple[str, ...]  # the languages translated into (English, the original, not counted)
    hub: str  # where the hub has the translations, "" when only local files do
    layout: str  # the local layout a [translated.TASK] folder follows
    files: Callable[[str], list[str]]  # language -> the file names looked for in a folder, in order
    read: Callable[[TaskEntry, str, Optional[Path]], Loaded]  # (entry, language, folder or None) -> rows

    def missing(self, folder: Path, language: str) -> Optional[str]:
        """None if `folder` has a file for `language`, else the first name looked for."""
        names = self.files(language)
        found = any((folder / name).is_file() or (folder / f"{name}.gz").is_file() for name in names)
        return None if found else names[0]


def _read_mnli(entry: TaskEntry, language: str, folder: Optional[Path]) -> Loaded:
    if folder is None:
        # facebook/xnli's train split in each language is XNLI-MT 1.0's translation of MNLI's training set
        # (Conneau et al. 2018, section 4.2), which is what XTREME's translate-train uses for XNLI.
        try:
            part = classification._hub_pairs(entry, "facebook/xnli", language, "train", "premise", "hypothesis",
                                             classification._NLI)
        except UserError as err:  # the hub's message advises [data]; translations have a section of their own
            raise UserError(str(err).replace(f'[data] "{entry.name}" = "path/to/folder"',
                                             '[translated.mnli] folder = "path/to/folder"')) from None
        return classification._loaded([part])
    # XTREME's XnliProcessor.get_translate_train_examples (google-research/xtreme third_party/processors/xnli.py)
    # reads XNLI-Translated/en-{lang}-translated.tsv: premise, hypothesis, label per line, tab-separated, no
    # quoting; XNLI-MT 1.0 ships the same translations as multinli/multinli.train.{lang}.tsv with a header line.
    path = sources.find_file(entry, folder, _mnli_files(language))
    rows, n = [], 0
    for line_no, fields in sources.table_records(path, quoted=False):
        where = f"task {entry.name!r}: {path} line {line_no}"
        if line_no == 1 and fields[-1].strip() == "label":
            continue  # XNLI-MT's header line (premise, hypo, label)
        if len(fields) != 3:
            raise UserError(f"{where} has {len(fields)} columns, expected 3 (premise, hypothesis, label)")
        premise, hypothesis = (sources.require_text(where, value, name) for value, name in zip(fields, entry.text_fields))
        # XNLI-MT spells the third class "contradictory", as XTREME's processor notes when it rewrites it
        label = sources.label_index(entry, where, fields[2], {"contradictory": 2})
        rows.append({"idx": n, "text_a": premise, "text_b": hypothesis, "label": label, "fields": None})
        n += 1
    return Loaded(rows, "local", str(path), "", sources.fingerprint([path]))


def _mnli_files(language: str) -> list[str]:
    return [f"en-{language}-translated.tsv", f"XNLI-Translated/en-{language}-translated.tsv",
            f"multinli.train.{language}.tsv", f"multinli/multinli.train.{language}.tsv"]


def _squad_files(language: str) -> list[str]:
    name = f"squad.translate.train.en-{language}.json"
    return [name, f"translate-train/{name}", f"squad/translate-train/{name}"]


def _read_squad(entry: TaskEntry, language: str, folder: Optional[Path]) -> Loaded:
    if folder is None:
        raise UserError(f"task {entry.name!r}: the hub has no copy of XTREME's SQuAD translations; download them "
                        f"(console.cloud.google.com/storage/browser/xtreme_translations, SQuAD/translate-train) and "
                        f"name the folder in the spec: [translated.squad] folder = \"path/to/folder\"")
    # XTREME's translations are of SQuAD v1.1 (every question answered), in SQuAD's JSON format.
    return span._local(entry, folder, _squad_files(language))


TRANSLATIONS: dict[str, Translation] = {
    # XNLI's 14 non-English languages (Conneau et al. 2018), into which XNLI-MT translated MNLI's training set.
    "mnli": Translation(
        languages=("ar", "bg", "de", "el", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"),
        hub="facebook/xnli (config = language, train split: XNLI-MT's translation of MNLI)",
        layout="en-{lang}-translated.tsv as in XTREME's translations (XNLI-Translated/), or multinli.train.{lang}.tsv "
               "as in XNLI-MT-1.0.zip: premise<TAB>hypothesis<TAB>label, no quoting, an optional header line",
        files=_mnli_files,
        read=_read_mnli,
    ),
    # XQuAD's 10 non-English languages (Artetxe et al. 2020), into which XTREME translated SQuAD v1.1's training set.
    "squad": Translation(
        languages=("ar", "de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh"),
        hub="",
        layout="squad.translate.train.en-{lang}.json as in XTREME's translations (SQuAD/translate-train/): SQuAD v1.1's "
               "JSON format",
        files=_squad_files,
        read=_read_squad,
    ),
}


def base_task(name: str) -> str:
    """The catalogue task of a phase-2 part: "mnli" for "mnli@translated" (and for "mnli")."""
    return name.removesuffix(SUFFIX)


def translated_entry(name: str) -> TaskEntry:
    """The entry of "TASK@translated": the task's entry, trained on its translations."""
    task = get_task(base_task(name))
    source = TRANSLATIONS[task.name]

    def read(entry: TaskEntry, split: str, language: str, folder: Optional[Path]) -> Loaded:
        return source.read(entry, language, folder)

    return dataclasses.replace(task, name=task.name + SUFFIX, role="intermediate", splits={"train": source.languages},
                               source=f"{task.source}, machine-translated (translate-train)", reader=read,
                               hub=source.hub, layout=source.layout)
