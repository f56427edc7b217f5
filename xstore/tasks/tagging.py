"""Catalogue entries with the tagging head (see xstore/tasks/__init__.py for the row shape).

Phang et al. 2020's (arXiv 2005.13013) intermediate task CCG supertagging, and the XTREME (Hu et al. 2020)
targets UD POS and PAN-X NER. A row's tags index into the entry's labels; CCG's supertag set is too large
and too data-dependent to fix here, so its entry has labels () and `tag_set(entry, data_dir)` gives the
tags (and their number, for sizing a head) from the data folder's tags.txt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from xstore.errors import UserError
from xstore.tasks import sources
from xstore.tasks.entry import Loaded, TaskEntry

_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


def tag_set(entry: TaskEntry, data_dir: Optional[Path]) -> tuple[str, ...]:
    """The tags a tagging entry's rows index into: its labels, or for CCG the data folder's tags.txt.

    Args:
        entry: a catalogue entry with head "tagging".
        data_dir: the task's local data folder ([data] in the spec); None for hub-read tasks.

    Returns:
        The tag names in index order; len() is the number of classes a tagging head needs.
    """
    if entry.labels:
        return entry.labels
    return _ccg_tags(entry, _ccg_dir(entry, data_dir))[0]


def _sentences(entry: TaskEntry, path: Path, tag_of, prefix: str = "", hint: str = "") -> list[dict]:
    """Rows from a word<TAB>tag file with a blank line between sentences.

    tag_of(where, tag) gives a tag's index or raises; `prefix` ("de:") is stripped from words that carry
    it (PAN-X's raw files); `hint` is added to the message for a line without a tag.
    """
    rows, tokens, tags = [], [], []

    def close() -> None:
        if tokens:
            rows.append({"idx": len(rows), "text_a": " ".join(tokens), "text_b": None, "label": -1,
                         "fields": {"tokens": list(tokens), "tags": list(tags)}})
            tokens.clear()
            tags.clear()

    # Only "\n" ends a line: words may hold other Unicode line separators.
    for line_no, line in enumerate(sources.read_text(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            close()
            continue
        where = f"task {entry.name!r}: {path} line {line_no}"
        fields = line.split("\t")
        if len(fields) == 1:
            raise UserError(f"{where}: a word without a tag (expected word<TAB>tag){hint}")
        if len(fields) != 2:
            raise UserError(f"{where}: {len(fields)} tab-separated fields, expected 2 (word<TAB>tag)")
        word = fields[0].strip()
        if prefix and word.startswith(prefix):
            word = word[len(prefix):]
        if not word:
            raise UserError(f"{where}: empty word")
        tokens.append(word)
        tags.append(tag_of(where, fields[1].strip()))
    close()
    return rows


def _hub_sentences(entry: TaskEntry, config: str, split: str, token_column: str, tag_column: str) -> Loaded:
    """Rows from one split of a google/xtreme tagging config, its tags mapped to entry.labels by name."""
    data, location, revision, fingerprint = sources.load_hub(entry, "google/xtreme", config, _HUB_SPLITS[split])
    columns = sources.hub_columns(entry, data, location, [token_column, tag_column])
    feature = getattr(data.features[tag_column], "feature", None)
    names = getattr(feature, "names", None)  # a ClassLabel stores indices; map them through its names
    rows = []
    for i, (tokens, tags) in enumerate(zip(columns[token_column], columns[tag_column])):
        where = f"task {entry.name!r}: hub dataset {location} row {i}"
        if not tokens or len(tokens) != len(tags):
            raise UserError(f"{where}: {len(tokens or ())} tokens but {len(tags or ())} tags")
        # A ClassLabel's -1 (missing) must not wrap around to the last name: it stays an unknown label.
        tags = [names[t] if names is not None and 0 <= t < len(names) else t for t in tags]
        rows.append({"idx": i, "text_a": " ".join(tokens), "text_b": None, "label": -1,
                     "fields": {"tokens": list(tokens), "tags": [sources.label_index(entry, where, t) for t in tags]}})
    return Loaded(rows, "hub", location, revision, fingerprint)


def _local(path: Path, rows: list[dict], extra: tuple[Path, ...] = ()) -> Loaded:
    files = (path, *extra)
    return Loaded(rows, "local", ", ".join(map(str, files)), "", sources.fingerprint(files))


def _no_test_tags(split: str, labelled: str) -> str:
    if split != "test":
        return ""
    return (f". XTREME's download_data.sh writes test files without tags; calibration needs them: "
            f"use the hub (google/xtreme) or {labelled}")


# --- CCG ----------------------------------------------------------------------------------------------

def _ccg_dir(entry: TaskEntry, data_dir: Optional[Path]) -> Path:
    if data_dir is None:
        raise UserError(
            f"task {entry.name!r}: CCGbank is licensed (LDC2005T13, catalog.ldc.upenn.edu) and is on no hub; "
            f"convert your copy and name the folder in the spec: [data] \"{entry.name}\" = \"path/to/folder\". "
            f"Layout: {entry.layout}"
        )
    return Path(data_dir)


def _ccg_tags(entry: TaskEntry, data_dir: Path) -> tuple[tuple[str, ...], Path]:
    path = sources.find_file(entry, data_dir, ["tags.txt"])
    tags: dict[str, int] = {}
    for line_no, line in enumerate(sources.read_text(path).split("\n"), start=1):
        tag = line.strip()
        if not tag:
            continue
        if tag in tags:
            raise UserError(f"task {entry.name!r}: {path} line {line_no}: tag {tag!r} listed twice "
                            f"(first on line {tags[tag]})")
        tags[tag] = line_no
    if not tags:
        raise UserError(f"task {entry.name!r}: {path} lists no tags (one supertag per line)")
    return tuple(tags), path


def _read_ccg(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    folder = _ccg_dir(entry, data_dir)
    tags, tags_path = _ccg_tags(entry, folder)
    index = {tag: i for i, tag in enumerate(tags)}

    def tag_of(where: str, tag: str) -> int:
        if tag not in index:
            raise UserError(f"{where}: supertag {tag!r} is not in {tags_path}")
        return index[tag]

    path = sources.find_file(entry, folder, [f"{split}.tsv"])
    # tags.txt fixes the meaning of every tag index, so it is part of the fingerprint.
    return _local(path, _sentences(entry, path, tag_of), extra=(tags_path,))


# --- UD POS and PAN-X (XTREME) ------------------------------------------------------------------------

# The 17 universal POS tags of UD v2 (universaldependencies.org/u/pos), in the order of the hub's ClassLabel.
_UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
         "SCONJ", "SYM", "VERB", "X")
# XTREME's UD POS languages (Hu et al. 2020; download_data.sh's udpos list, UD v2.5) and the
# google/xtreme config names ("udpos.<Language>") that hold them.
_UDPOS_HUB = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "kk": "Kazakh", "ko": "Korean", "mr": "Marathi", "nl": "Dutch", "pt": "Portuguese", "ru": "Russian",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "ur": "Urdu",
    "vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese",
}
# WikiANN's IOB2 tags (Pan et al. 2017) in the order of the google/xtreme PAN-X ClassLabel.
_PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
# XTREME's 40 PAN-X languages (Hu et al. 2020; utils_preprocess.py's PANX_LANGUAGES, minus XTREME-R's).
_PANX_LANGUAGES = ("af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi",
                   "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru",
                   "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh")


def _label_of(entry: TaskEntry):
    return lambda where, tag: sources.label_index(entry, where, tag)


def _read_udpos(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:
        return _hub_sentences(entry, f"udpos.{_UDPOS_HUB[language]}", split, "tokens", "pos_tags")
    name = f"{split}-{language}.tsv"
    path = sources.find_file(entry, data_dir, [name, f"udpos/{name}"])
    hint = _no_test_tags(split, "a test file regenerated with the tags (UD v2.5's conllu, column UPOS)")
    return _local(path, _sentences(entry, path, _label_of(entry), hint=hint))


def _read_panx(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:
        return _hub_sentences(entry, f"PAN-X.{language}", split, "tokens", "ner_tags")
    processed, raw = f"{split}-{language}.tsv", f"{language}-{split}"
    names = [processed, f"panx/{processed}", raw, f"panx_dataset/{raw}"]
    if split == "test":  # XTREME's processed test files have no tags; the raw ones do, so they come first
        names = names[2:] + names[:2]
    path = sources.find_file(entry, data_dir, names)
    hint = _no_test_tags(split, f"the raw file {raw} (from {language}.tar.gz in AmazonPhotos.zip)")
    # The raw files write each word as "<lang>:<word>"; XTREME's preprocessing strips the prefix, so do we.
    return _local(path, _sentences(entry, path, _label_of(entry), prefix=f"{language}:", hint=hint))


_EN = ("en",)
# jiant's XTREME run configs (guides/benchmarks/xtreme.md, its d_write_configs.sh step), which Phang et al.
# 2020 ran: UD POS and PAN-X train 10 epochs (batch 4, 8 accumulation steps: the phase defaults).
_TAGGING_TRAIN = {"epochs": 10.0}

ENTRIES = [
    # CCG supertagging on CCGbank (Hockenmaier & Steedman 2007), as in Phang et al. 2020 through jiant's
    # "ccg" task (jiant/tasks/lib/ccg.py: one supertag per word, 1,363 supertags). CCGbank is licensed
    # (LDC2005T13), so there is no hub source: local files only, with the standard split (sections 02-21
    # train, 00 dev). The supertag set comes from the data (tags.txt, in index order): labels is ().
    TaskEntry(
        name="ccg",
        version=1,
        role="intermediate",
        head="tagging",
        labels=(),
        label_reader=tag_set,
        text_fields=("tokens",),
        splits={"train": _EN, "dev": _EN},
        source="CCGbank supertags (Hockenmaier & Steedman 2007), licensed: local files only",
        reader=_read_ccg,
        layout="train.tsv and dev.tsv (CCGbank sections 02-21 and 00): one word<TAB>supertag per line, a blank "
               "line between sentences; tags.txt: every supertag, one per line, in index order",
    ),
    # Universal Dependencies POS tagging as in XTREME (Hu et al. 2020): UD v2.5 treebanks, 17 UPOS tags;
    # trained on English train, model selection on English dev, tested in all 33 XTREME POS languages.
    TaskEntry(
        name="udpos",
        version=1,
        role="target",
        head="tagging",
        labels=_UPOS,
        text_fields=("tokens",),
        splits={"train": _EN, "dev": _EN, "test": tuple(_UDPOS_HUB)},
        source="Universal Dependencies v2.5 POS tags (XTREME's udpos)",
        reader=_read_udpos,
        hub="google/xtreme (udpos.<Language>, e.g. udpos.English)",
        layout="{split}-{lang}.tsv (train-en, dev-en, test-<lang>) as XTREME's download_data.sh writes them in "
               "download/udpos/ (here or in a udpos/ sub-folder): one word<TAB>UPOS tag per line, a blank line "
               "between sentences; test files must keep their tags (XTREME's script drops them)",
        train_defaults=_TAGGING_TRAIN,
    ),
    # WikiANN NER (Pan et al. 2017) with XTREME's splits (Rahimi et al. 2019) as PAN-X in XTREME: IOB2 tags
    # for PER, ORG and LOC; trained on English train, selected on English dev, tested in all 40 languages.
    TaskEntry(
        name="panx",
        version=1,
        role="target",
        head="tagging",
        labels=_PANX_TAGS,
        text_fields=("tokens",),
        splits={"train": _EN, "dev": _EN, "test": _PANX_LANGUAGES},
        source="WikiANN / PAN-X named entities (XTREME's panx)",
        reader=_read_panx,
        hub="google/xtreme (PAN-X.<lang>, e.g. PAN-X.de)",
        layout="{split}-{lang}.tsv (train-en, dev-en, test-<lang>) as XTREME's download_data.sh writes them in "
               "download/panx/ (here or in a panx/ sub-folder), or the raw files {lang}-{split} of XTREME's "
               "panx_dataset/ (AmazonPhotos.zip, words prefixed \"<lang>:\"): one word<TAB>tag per line, a blank "
               "line between sentences; test files must keep their tags (XTREME's processed ones have none, "
               "the raw ones do)",
        train_defaults=_TAGGING_TRAIN,
    ),
]
