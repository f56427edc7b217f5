"""Catalogue entries with the classification head (see xstore/tasks/__init__.py for the row shape).

Phang et al. 2020's (arXiv 2005.13013) classification intermediate tasks ANLI+, MNLI, QQP and SST-2 (plus
plain ANLI), and the XTREME (Hu et al. 2020) sentence-pair targets XNLI and PAWS-X. The readers sit above
the ENTRIES list, one section per task, after the shared pieces (one file or hub split -> rows).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple, Optional

from xstore.errors import UserError
from xstore.tasks import sources
from xstore.tasks.entry import Loaded, TaskEntry

# The label order of every NLI hub ClassLabel read here (nyu-mll/glue mnli, facebook/xnli, facebook/anli,
# stanfordnlp/snli): 0 entailment, 1 neutral, 2 contradiction, so a hub label is already our index.
_NLI = ("entailment", "neutral", "contradiction")
_BINARY = {"0": 0, "1": 1}  # GLUE's and PAWS-X's files write the label index


class _Part(NamedTuple):
    """The rows of one file or hub split, before parts are laid end to end (ANLI's rounds, ANLI+)."""

    rows: list[dict]
    n_source: int  # records in the source, skipped ones included: the next part's idx starts here
    origin: str
    location: str
    revision: str
    fingerprint: str
    source: str  # the file path, or the hub dataset id


def _row(idx: int, text_a: str, text_b: Optional[str], label: int) -> dict:
    return {"idx": idx, "text_a": text_a, "text_b": text_b, "label": label, "fields": None}


def _loaded(parts: list[_Part]) -> Loaded:
    """One Loaded from consecutive parts; idx is the position in the parts laid end to end."""
    rows, offset = [], 0
    for part in parts:
        rows.extend(dict(row, idx=row["idx"] + offset) for row in part.rows)
        offset += part.n_source
    first = parts[0]
    if len(parts) == 1:
        return Loaded(rows, first.origin, first.location, first.revision, first.fingerprint)
    location = "; ".join(part.location for part in parts)
    if first.origin == "local":
        return Loaded(rows, "local", location, "", sources.fingerprint(Path(part.source) for part in parts))
    commits = dict.fromkeys(f"{part.source}@{part.revision}" for part in parts if part.revision)
    revision = first.revision if len({part.revision for part in parts}) == 1 else ", ".join(commits)
    fingerprint = hashlib.sha256("\n".join(part.fingerprint for part in parts).encode()).hexdigest()
    return Loaded(rows, "hub", location, revision, fingerprint)


def _hub_pairs(entry: TaskEntry, path: str, config: Optional[str], split: str, a: str, b: Optional[str],
               hub_labels: tuple[str, ...], skip_empty: bool = False) -> _Part:
    """One hub split of text pairs (or single texts when b is None) with an integer ClassLabel `label`."""
    data, location, revision, fingerprint = sources.load_hub(entry, path, config, split)
    names = getattr(data.features.get("label"), "names", None)
    if names is not None and tuple(names) != hub_labels:  # a reordered hub ClassLabel would permute our labels
        raise UserError(f"task {entry.name!r}: hub dataset {location} labels are {names}, expected {list(hub_labels)}")
    columns = sources.hub_columns(entry, data, location, [a, "label"] + ([b] if b else []))
    rows = []
    for i, label in enumerate(columns["label"]):
        where = f"task {entry.name!r}: hub dataset {location} row {i}"
        if label == -1:
            continue  # no gold label: SNLI's pairs whose annotators did not agree (its "-"); standard practice
        texts = [columns[a][i]] + ([columns[b][i]] if b else [])
        if skip_empty and any(not isinstance(t, str) or not t.strip() for t in texts):
            continue
        texts = [sources.require_text(where, t, field) for t, field in zip(texts, entry.text_fields)]
        if not isinstance(label, int) or not 0 <= label < len(entry.labels):
            raise UserError(f"{where}: label {label!r} is not an index into {', '.join(entry.labels)}")
        rows.append(_row(i, texts[0], texts[1] if b else None, label))
    return _Part(rows, len(columns["label"]), "hub", location, revision, fingerprint, path)


def _xtreme_tsv(entry: TaskEntry, data_dir: Path, split: str, language: str, aliases: dict) -> _Part:
    """XTREME's `{split}-{lang}.tsv`: text_a<TAB>text_b<TAB>label, no header, csv-quoted.

    utils_preprocess.py (google-research/xtreme) writes these with csv.writer, so a sentence holding a quote
    is wrapped in quotes with its quotes doubled; it drops the source files' header lines, and writes test
    files without the label column.
    """
    path = sources.find_file(entry, data_dir, [f"{split}-{language}.tsv"])
    rows, n = [], 0
    for line_no, fields in sources.table_records(path, quoted=True):
        where = f"task {entry.name!r}: {path} line {line_no}"
        if n == 0 and line_no == 1 and fields[-1].strip() == "label":
            continue  # a header line, as in XNLI-MT's multinli.train.en.tsv before XTREME drops it
        if len(fields) == 2 and split == "test":
            raise UserError(f"{where} has no label column: XTREME's download strips test labels. Read the test "
                            f"split from the hub ({entry.hub}), or give test files with a third, label column")
        if len(fields) != 3:
            raise UserError(f"{where} has {len(fields)} columns, expected 3 ({', '.join(entry.text_fields)}, label)")
        a, b = (sources.require_text(where, value, field) for value, field in zip(fields, entry.text_fields))
        rows.append(_row(n, a, b, sources.label_index(entry, where, fields[2], aliases)))
        n += 1
    return _Part(rows, n, "local", str(path), "", sources.fingerprint([path]), str(path))


def _glue_tsv(entry: TaskEntry, path: Path, columns: list[tuple[str, ...]], label_column: str,
              aliases: Optional[dict] = None, unlabelled: tuple[str, ...] = (), skip_empty: bool = False) -> _Part:
    """A GLUE TSV: a header row, then one example per line; columns found by header name.

    columns: for each text field, the header names it may have (the first found is used).
    unlabelled: label values that mark a pair without a gold label; those lines are skipped.
    """
    records = sources.table_records(path, quoted=False)
    header_line, header = next(records, (0, []))
    where_header = f"task {entry.name!r}: {path} line {header_line}"
    if not header:
        raise UserError(f"task {entry.name!r}: {path} is empty (expected layout: {entry.layout})")

    def position(names: tuple[str, ...]) -> int:
        found = [name for name in names if name in header]
        if not found:
            raise UserError(f"{where_header}: the header has no column {' or '.join(map(repr, names))} "
                            f"(expected layout: {entry.layout})")
        return header.index(found[0])

    text_at, label_at = [position(names) for names in columns], position((label_column,))
    rows, n = [], 0
    for line_no, fields in records:
        where, idx = f"task {entry.name!r}: {path} line {line_no}", n
        n += 1
        if len(fields) != len(header):
            raise UserError(f"{where} has {len(fields)} columns, the header {len(header)}")
        if fields[label_at].strip() in unlabelled:
            continue
        texts = [fields[i] for i in text_at]
        if skip_empty and any(not t.strip() for t in texts):
            continue
        texts = [sources.require_text(where, t, field) for t, field in zip(texts, entry.text_fields)]
        label = sources.label_index(entry, where, fields[label_at], aliases)
        rows.append(_row(idx, texts[0], texts[1] if len(texts) > 1 else None, label))
    return _Part(rows, n, "local", str(path), "", sources.fingerprint([path]), str(path))


def _nli_jsonl(entry: TaskEntry, path: Path, premise_keys: tuple[str, ...], hypothesis_key: str, label_key: str,
               aliases: Optional[dict] = None, unlabelled: tuple[str, ...] = ()) -> _Part:
    """An NLI JSON Lines file (ANLI, SNLI as distributed): one pair per line; unlabelled lines skipped."""
    rows, n = [], 0
    for line_no, record in sources.jsonl_records(path):
        where, idx = f"task {entry.name!r}: {path} line {line_no}", n
        n += 1
        if record.get(label_key) in unlabelled:
            continue
        premise = next((record[key] for key in premise_keys if key in record), None)
        premise = sources.require_text(where, premise, premise_keys[0])
        hypothesis = sources.require_text(where, record.get(hypothesis_key), hypothesis_key)
        label = sources.label_index(entry, where, record.get(label_key), aliases)
        rows.append(_row(idx, premise, hypothesis, label))
    return _Part(rows, n, "local", str(path), "", sources.fingerprint([path]), str(path))


# --- ANLI ---------------------------------------------------------------------------------------------

# ANLI v1.0 (dl.fbaipublicfiles.com/anli/anli_v1.0.zip) writes labels e / n / c and the premise as "context".
_ANLI_LOCAL_LABELS = {"e": 0, "n": 1, "c": 2}


def _anli_parts(entry: TaskEntry, split: str, data_dir: Optional[Path], folder: str = "") -> list[_Part]:
    """Rounds 1, 2 and 3 in order (Nie et al. 2020 train and report per round; the rounds share one label set)."""
    if data_dir is None:  # facebook/anli splits: train_r1 ... dev_r3
        return [_hub_pairs(entry, "facebook/anli", None, f"{split}_r{r}", "premise", "hypothesis", _NLI)
                for r in (1, 2, 3)]
    return [_nli_jsonl(entry, sources.find_file(entry, data_dir, [f"{folder}{r}/{split}.jsonl"]),
                       ("context", "premise"), "hypothesis", "label", _ANLI_LOCAL_LABELS)
            for r in ("R1", "R2", "R3")]


def _read_anli_only(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    return _loaded(_anli_parts(entry, split, data_dir))


# --- MNLI, and ANLI+ (ANLI + MNLI + SNLI) -----------------------------------------------------------------

# GLUE's MNLI files; dev is the matched dev set, as in XTREME and Phang et al. (jiant's mnli task).
_MNLI_FILES = {"train": "train.tsv", "dev": "dev_matched.tsv"}
_MNLI_HUB = {"train": "train", "dev": "validation_matched"}


def _mnli_part(entry: TaskEntry, split: str, data_dir: Optional[Path], folder: str = "") -> _Part:
    if data_dir is None:
        return _hub_pairs(entry, "nyu-mll/glue", "mnli", _MNLI_HUB[split], "premise", "hypothesis", _NLI)
    path = sources.find_file(entry, data_dir, [folder + _MNLI_FILES[split]])
    # gold_label "-" (no annotator majority) marks pairs without a gold label in the MultiNLI releases; skipped.
    return _glue_tsv(entry, path, [("sentence1",), ("sentence2",)], "gold_label", unlabelled=("-",))


def _read_mnli(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    return _loaded([_mnli_part(entry, split, data_dir)])


def _snli_part(entry: TaskEntry, split: str, data_dir: Optional[Path]) -> _Part:
    if data_dir is None:  # stanfordnlp/snli marks pairs without a gold label with label -1 (skipped)
        return _hub_pairs(entry, "stanfordnlp/snli", None, {"train": "train", "dev": "validation"}[split],
                          "premise", "hypothesis", _NLI)
    path = sources.find_file(entry, data_dir, [f"snli/snli_1.0_{split}.jsonl"])
    # SNLI 1.0 writes gold_label "-" where the annotators had no majority; those 785 train / 158 dev pairs
    # carry no label and are skipped, as everyone does (it is how 549,367 train pairs are counted).
    return _nli_jsonl(entry, path, ("sentence1",), "sentence2", "gold_label", unlabelled=("-",))


def _read_anli_plus(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    """ANLI rounds 1-3, then MNLI, then SNLI: one NLI training set with one head, as in Phang et al."""
    return _loaded(_anli_parts(entry, split, data_dir, folder="anli/")
                   + [_mnli_part(entry, split, data_dir, folder="mnli/"), _snli_part(entry, split, data_dir)])


# --- QQP and SST-2 ------------------------------------------------------------------------------------

def _read_qqp(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    # GLUE's QQP train set has exactly two pairs with an empty question2 (huggingface/datasets#277: "the
    # only ones in all splits"); a pair with an empty side has no paraphrase to judge, so it is skipped.
    if data_dir is None:
        part = _hub_pairs(entry, "nyu-mll/glue", "qqp", {"train": "train", "dev": "validation"}[split],
                          "question1", "question2", ("not_duplicate", "duplicate"), skip_empty=True)
    else:
        path = sources.find_file(entry, data_dir, [f"{split}.tsv"])
        part = _glue_tsv(entry, path, [("question1",), ("question2",)], "is_duplicate", _BINARY, skip_empty=True)
    return _loaded([part])


def _read_sst2(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:
        part = _hub_pairs(entry, "nyu-mll/glue", "sst2", {"train": "train", "dev": "validation"}[split],
                          "sentence", None, ("negative", "positive"))
    else:  # GLUE's header says "sentence"; some copies of SST-2 (one we test with, too) say "text"
        path = sources.find_file(entry, data_dir, [f"{split}.tsv"])
        part = _glue_tsv(entry, path, [("sentence", "text")], "label", _BINARY)
    return _loaded([part])


# --- XNLI and PAWS-X ----------------------------------------------------------------------------------

_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


def _read_xnli(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:  # facebook/xnli: one config per language; its en train split is MNLI's train set
        return _loaded([_hub_pairs(entry, "facebook/xnli", language, _HUB_SPLITS[split], "premise", "hypothesis", _NLI)])
    # XNLI-MT spells the third class "contradictory"; XTREME rewrites it, hand-made files may not.
    return _loaded([_xtreme_tsv(entry, data_dir, split, language, {"contradictory": 2})])


def _read_pawsx(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:  # google-research-datasets/paws-x: one config per language, ClassLabel names "0", "1"
        return _loaded([_hub_pairs(entry, "google-research-datasets/paws-x", language, _HUB_SPLITS[split],
                                   "sentence1", "sentence2", ("0", "1"))])
    return _loaded([_xtreme_tsv(entry, data_dir, split, language, _BINARY)])


_XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
_PAWSX_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
_EN = ("en",)

ENTRIES = [
    # ANLI+ as Phang et al. 2020 use it (their Table 1: 1,104,934 train / 22,857 dev pairs): the training
    # sets of ANLI rounds 1-3 (16,946 + 45,460 + 100,459), MNLI (392,702) and SNLI (549,367 with a gold
    # label), and the dev sets likewise (1,000 + 1,000 + 1,200 + MNLI matched 9,815 + SNLI 9,842); the sums
    # match exactly. jiant's guide (guides/tasks/task_specific.md) calls this "the full ANLI dataset,
    # SNLI+MNLI+A1+A2+A3", following Nie et al. 2020, who combine SNLI+MNLI+FEVER-NLI with the rounds.
    # It keeps the name "anli" that users type for the paper's grid (examples/phang2020.toml); ANLI alone
    # is "anlionly" below.
    TaskEntry(
        name="anli",
        version=1,
        role="intermediate",
        head="classification",
        labels=_NLI,
        text_fields=("premise", "hypothesis"),
        splits={"train": _EN, "dev": _EN},
        source="ANLI+ as in Phang et al. 2020: ANLI rounds 1-3 (Nie et al. 2020), MNLI and SNLI, concatenated",
        reader=_read_anli_plus,
        hub="facebook/anli (train_r1..3, dev_r1..3) + nyu-mll/glue mnli + stanfordnlp/snli",
        layout="anli/R1/train.jsonl ... anli/R3/dev.jsonl (ANLI v1.0 as unzipped), mnli/train.tsv and "
               "mnli/dev_matched.tsv (GLUE's MNLI), snli/snli_1.0_train.jsonl and snli/snli_1.0_dev.jsonl (SNLI 1.0)",
    ),
    # ANLI alone: rounds 1-3 laid end to end, train and dev (Nie et al. 2020). Not the paper's setting
    # (that is "anli" above, which adds MNLI and SNLI); here for ablations. The labelled test sets are not
    # read: intermediate tasks need train and dev only.
    TaskEntry(
        name="anlionly",
        version=1,
        role="intermediate",
        head="classification",
        labels=_NLI,
        text_fields=("premise", "hypothesis"),
        splits={"train": _EN, "dev": _EN},
        source="Adversarial NLI (Nie et al. 2020) alone: rounds 1-3 concatenated, without MNLI and SNLI",
        reader=_read_anli_only,
        hub="facebook/anli (train_r1..3, dev_r1..3)",
        layout="R1/train.jsonl, R1/dev.jsonl, R2/..., R3/... as in anli_v1.0.zip (dl.fbaipublicfiles.com/anli): "
               "one JSON object per line with context (or premise), hypothesis, label e/n/c",
    ),
    # MultiNLI, GLUE release (Williams et al. 2018; Wang et al. 2019): train and matched dev. GLUE's test
    # labels are hidden, so intermediate tasks stop at dev.
    TaskEntry(
        name="mnli",
        version=1,
        role="intermediate",
        head="classification",
        labels=_NLI,
        text_fields=("premise", "hypothesis"),
        splits={"train": _EN, "dev": _EN},
        source="MultiNLI (Williams et al. 2018), GLUE release: train and matched dev",
        reader=_read_mnli,
        hub="nyu-mll/glue mnli (train, validation_matched)",
        layout="train.tsv and dev_matched.tsv as in GLUE's MNLI folder: tab-separated with a header row; "
               "columns sentence1, sentence2, gold_label (entailment/neutral/contradiction)",
    ),
    # Quora Question Pairs, GLUE release: train and dev; 0 = not duplicate, 1 = duplicate (GLUE's coding).
    TaskEntry(
        name="qqp",
        version=1,
        role="intermediate",
        head="classification",
        labels=("not_duplicate", "duplicate"),
        text_fields=("question1", "question2"),
        splits={"train": _EN, "dev": _EN},
        source="Quora Question Pairs, GLUE release: train and dev",
        reader=_read_qqp,
        hub="nyu-mll/glue qqp (train, validation)",
        layout="train.tsv and dev.tsv as in GLUE's QQP folder: tab-separated with a header row; "
               "columns question1, question2, is_duplicate (0/1)",
    ),
    # SST-2, GLUE release (Socher et al. 2013): train and dev; 0 = negative, 1 = positive.
    TaskEntry(
        name="sst2",
        version=1,
        role="intermediate",
        head="classification",
        labels=("negative", "positive"),
        text_fields=("sentence",),
        splits={"train": _EN, "dev": _EN},
        source="SST-2 (Socher et al. 2013), GLUE release: train and dev",
        reader=_read_sst2,
        hub="nyu-mll/glue sst2 (train, validation)",
        layout="train.tsv and dev.tsv as in GLUE's SST-2 folder: tab-separated with a header row "
               "sentence<TAB>label (or text<TAB>label), label 0/1",
    ),
    # XNLI (Conneau et al. 2018) as in XTREME (Hu et al. 2020): trained on English MNLI (XNLI-MT's
    # multinli.train.en.tsv, XTREME's train-en.tsv), dev and test in all 15 languages.
    TaskEntry(
        name="xnli",
        version=1,
        role="target",
        head="classification",
        labels=_NLI,
        text_fields=("premise", "hypothesis"),
        splits={"train": _EN, "dev": _XNLI_LANGUAGES, "test": _XNLI_LANGUAGES},
        source="XNLI (Conneau et al. 2018) as in XTREME: MNLI's English train set; dev and test in 15 languages",
        reader=_read_xnli,
        hub="facebook/xnli (config = language; train, validation, test)",
        layout="XTREME's download layout (google-research/xtreme scripts/download_data.sh): train-en.tsv, "
               "dev-{lang}.tsv, test-{lang}.tsv (.gz too): premise<TAB>hypothesis<TAB>label "
               "(entailment/neutral/contradiction), no header, csv-quoted; test files need the label column "
               "that XTREME strips",
    ),
    # PAWS-X (Yang et al. 2019) as in XTREME: English PAWS-Wiki train set, dev and test (the 2k sets) in
    # all 7 languages; 0 = not a paraphrase, 1 = paraphrase.
    TaskEntry(
        name="pawsx",
        version=1,
        role="target",
        head="classification",
        labels=("not_paraphrase", "paraphrase"),
        text_fields=("sentence1", "sentence2"),
        splits={"train": _EN, "dev": _PAWSX_LANGUAGES, "test": _PAWSX_LANGUAGES},
        source="PAWS-X (Yang et al. 2019) as in XTREME: English train set; dev and test in 7 languages",
        reader=_read_pawsx,
        hub="google-research-datasets/paws-x (config = language; train, validation, test)",
        layout="XTREME's download layout (google-research/xtreme scripts/download_data.sh): train-en.tsv, "
               "dev-{lang}.tsv, test-{lang}.tsv (.gz too): sentence1<TAB>sentence2<TAB>label (0/1), "
               "no header, csv-quoted; test files need the label column that XTREME strips",
        # jiant's XTREME run configs train PAWS-X for 5 epochs (XNLI keeps the 2-epoch fallback).
        train_defaults={"epochs": 5.0},
    ),
]
