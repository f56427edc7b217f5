"""Catalogue entries with the retrieval head (see xstore/tasks/__init__.py for the row shape).

The XTREME (Hu et al. 2020) sentence retrieval targets BUCC 2018 and Tatoeba: each row is a sentence in
the language (text_a) and its English translation (text_b). Neither has training data: the encoder is used
as it is, and the retrieval head ranks each sentence's candidates among the English sides of its cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from xstore.errors import UserError
from xstore.tasks import sources
from xstore.tasks.entry import Loaded, TaskEntry

_HUB_SPLITS = {"dev": "validation", "test": "test"}


def _row(idx: int, sentence: str, english: str) -> dict:
    return {"idx": idx, "text_a": sentence, "text_b": english, "label": -1, "fields": None}


def _lines(entry: TaskEntry, path: Path) -> list[tuple[int, str]]:
    """(line number, line) for every line of a text file; a blank line is a UserError, a final newline is not."""
    lines = sources.read_text(path).split("\n")  # only "\n" ends a line: sentences may hold U+2028
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            raise UserError(f"task {entry.name!r}: {path} line {line_no}: blank line")
        out.append((line_no, line))
    return out


def _hub_pairs(entry: TaskEntry, config: str, split: str) -> Loaded:
    """google/xtreme's retrieval configs: source_sentence in the language, target_sentence its English."""
    data, location, revision, fingerprint = sources.load_hub(entry, "google/xtreme", config, split)
    columns = sources.hub_columns(entry, data, location, ["source_sentence", "target_sentence"])
    rows = []
    for i, (sentence, english) in enumerate(zip(columns["source_sentence"], columns["target_sentence"])):
        where = f"task {entry.name!r}: hub dataset {location} row {i}"
        # The hub's Tatoeba rows keep each file line's newline (xtreme.py appends lines unstripped).
        rows.append(_row(i, sources.require_text(where, sentence, "source_sentence").strip(),
                         sources.require_text(where, english, "target_sentence").strip()))
    return Loaded(rows, "hub", location, revision, fingerprint)


# --- BUCC 2018 ----------------------------------------------------------------------------------------

# BUCC 2018's archives (comparable.limsi.fr/bucc2018) call the splits "sample" and "training"; XTREME's
# download_data.sh renames them dev and test and deletes the test .gold files (the test answers).
_BUCC_ORIGINAL = {"dev": "sample", "test": "training"}


def _bucc_file(entry: TaskEntry, data_dir: Path, split: str, language: str, ext: str) -> Path:
    xtreme = f"{language}-en.{split}.{ext}"
    original = f"{language}-en/{language}-en.{_BUCC_ORIGINAL[split]}.{ext}"
    return sources.find_file(entry, data_dir, [xtreme, f"bucc2018/{xtreme}", original, f"bucc2018/{original}"])


def _bucc_sentences(entry: TaskEntry, path: Path) -> dict[str, str]:
    """id -> sentence from a BUCC sentence file (one id<TAB>sentence per line)."""
    sentences: dict[str, str] = {}
    for line_no, line in _lines(entry, path):
        fields = line.split("\t")
        where = f"task {entry.name!r}: {path} line {line_no}"
        if len(fields) != 2 or not fields[1].strip():
            raise UserError(f"{where}: expected id<TAB>sentence")
        if fields[0] in sentences:
            raise UserError(f"{where}: id {fields[0]!r} appears twice")
        sentences[fields[0]] = fields[1].strip()
    return sentences


def _read_bucc(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:
        return _hub_pairs(entry, f"bucc18.{language}", _HUB_SPLITS[split])
    paths = [_bucc_file(entry, data_dir, split, language, ext) for ext in (language, "en", "gold")]
    sentences, english = _bucc_sentences(entry, paths[0]), _bucc_sentences(entry, paths[1])
    rows = []
    for line_no, line in _lines(entry, paths[2]):
        where = f"task {entry.name!r}: {paths[2]} line {line_no}"
        fields = line.split("\t")
        if len(fields) != 2:
            raise UserError(f"{where}: expected {language}-id<TAB>en-id")
        for key, table, path in ((fields[0], sentences, paths[0]), (fields[1], english, paths[1])):
            if key not in table:
                raise UserError(f"{where}: id {key!r} is not in {path}")
        rows.append(_row(len(rows), sentences[fields[0]], english[fields[1]]))
    return Loaded(rows, "local", ", ".join(map(str, paths)), "", sources.fingerprint(paths))


# --- Tatoeba ------------------------------------------------------------------------------------------

# XTREME's 36 Tatoeba languages and the 3-letter codes of their files (utils_preprocess.py's lang3_dict,
# without XTREME-R's additions); LASER's data/tatoeba/v1 and the hub's tatoeba.<code> configs use them too.
_TATOEBA = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "de": "deu", "el": "ell", "es": "spa", "et": "est",
    "eu": "eus", "fa": "pes", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun", "id": "ind",
    "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz", "ko": "kor", "ml": "mal", "mr": "mar",
    "nl": "nld", "pt": "por", "ru": "rus", "sw": "swh", "ta": "tam", "te": "tel", "th": "tha", "tl": "tgl",
    "tr": "tur", "ur": "urd", "vi": "vie", "zh": "cmn",
}


def _read_tatoeba(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    code = _TATOEBA[language]
    if data_dir is None:  # Tatoeba has one split, which the hub calls validation
        return _hub_pairs(entry, f"tatoeba.{code}", "validation")
    paths = [sources.find_file(entry, data_dir, [name, f"v1/{name}"])
             for name in (f"tatoeba.{code}-eng.{code}", f"tatoeba.{code}-eng.eng")]
    sentences, english = _lines(entry, paths[0]), _lines(entry, paths[1])
    if len(sentences) != len(english):
        raise UserError(f"task {entry.name!r}: {paths[0]} has {len(sentences)} lines but {paths[1]} has "
                        f"{len(english)}; line i of one must translate line i of the other")
    rows = [_row(i, a.strip(), b.strip()) for i, ((_, a), (_, b)) in enumerate(zip(sentences, english))]
    return Loaded(rows, "local", ", ".join(map(str, paths)), "", sources.fingerprint(paths))


_BUCC_LANGUAGES = ("de", "fr", "ru", "zh")
# XTREME's retrieval scripts (scripts/run_bucc2018.sh, scripts/run_tatoeba.sh) embed with MAXL=512.
_RETRIEVAL_LENGTH = 512

ENTRIES = [
    # BUCC 2018 parallel sentence mining (Zweigenbaum et al. 2018), XTREME's four languages; no training
    # data, dev = BUCC's sample set, test = its training set (XTREME's naming). XTREME mines the pairs
    # among all sentences of both sides with a similarity threshold and scores F1. xstore reads only the
    # gold pairs (the .gold file joined with both sentence files) and scores BUCC as retrieval among its
    # gold pairs' English sides, like Tatoeba: not as thresholded mining.
    TaskEntry(
        name="bucc2018",
        version=1,
        role="target",
        head="retrieval",
        labels=(),
        text_fields=("sentence", "english"),
        splits={"dev": _BUCC_LANGUAGES, "test": _BUCC_LANGUAGES},
        source="BUCC 2018 (Zweigenbaum et al. 2018) gold sentence pairs, scored as retrieval",
        reader=_read_bucc,
        hub="google/xtreme (bucc18.<lang>)",
        layout="{lang}-en.{split}.{lang}, {lang}-en.{split}.en (id<TAB>sentence) and {lang}-en.{split}.gold "
               "({lang}-id<TAB>en-id) for split dev or test, as XTREME's download_data.sh names them in "
               "download/bucc2018/ (here or in a bucc2018/ sub-folder), or the archives' own "
               "{lang}-en/{lang}-en.{sample,training}.* files; XTREME deletes the test .gold files: take them "
               "from bucc2018-{lang}-en.training-gold.tar.bz2 (comparable.limsi.fr/bucc2018)",
        max_length=_RETRIEVAL_LENGTH,
    ),
    # Tatoeba (Artetxe & Schwenk 2019), XTREME's 36 languages: up to 1,000 English sentences and their
    # translations per language; no training data, one test split.
    TaskEntry(
        name="tatoeba",
        version=1,
        role="target",
        head="retrieval",
        labels=(),
        text_fields=("sentence", "english"),
        splits={"test": tuple(_TATOEBA)},
        source="Tatoeba test sets of LASER (Artetxe & Schwenk 2019)",
        reader=_read_tatoeba,
        hub="google/xtreme (tatoeba.<3-letter code>, e.g. tatoeba.deu)",
        layout="tatoeba.{code}-eng.{code} and tatoeba.{code}-eng.eng (line i translates line i; code: afr, "
               "ara, ..., cmn as in LASER's data/tatoeba/v1, here or in a v1/ sub-folder). XTREME's processed "
               "download/tatoeba/ files sort the English side and are not read",
        max_length=_RETRIEVAL_LENGTH,
    ),
]
