"""Catalogue entries with the span head (see xstore/tasks/__init__.py for the row shape).

Phang et al. 2020's (arXiv 2005.13013) intermediate task SQuAD, and the XTREME (Hu et al. 2020) question
answering targets XQuAD, MLQA and TyDi QA GoldP, all read from SQuAD's JSON format or the hub. An answer's
start is a character offset into the context, checked against the answer text on every read; an
unanswerable question (SQuAD v2.0's is_impossible) has answers [].
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from xstore.errors import UserError
from xstore.tasks import sources
from xstore.tasks.entry import Loaded, TaskEntry

_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


def _row(idx: int, question: str, context: str, answers: list[dict]) -> dict:
    return {"idx": idx, "text_a": question.strip(), "text_b": context, "label": -1, "fields": {"answers": answers}}


def _answer(where: str, context: str, text, start, repair: bool = False) -> dict:
    """{"text", "start"} once the text is found at `start` in the context, else a UserError.

    repair: look for the text nearest to `start` instead, for the hub's google/xtreme builds, whose
    loader strips contexts and answer texts (xtreme.py's .strip()), which can shift offsets.
    """
    if not isinstance(text, str) or isinstance(start, bool) or not isinstance(start, int):
        raise UserError(f"{where}: an answer needs a text string and an integer answer_start, "
                        f"got {text!r} and {start!r}")
    if not text.strip():
        raise UserError(f"{where}: an answer with empty text (XTREME's download_data.sh blanks the answers of "
                        f"test files; use the original release files, see `xstore tasks`)")
    if start < 0 or context[start:start + len(text)] != text:
        found = _nearest(context, text, start) if repair else -1
        if found < 0:
            raise UserError(f"{where}: answer {text!r} is not at character {start} of the context "
                            f"(the context has {context[max(start, 0):max(start, 0) + len(text)]!r} there)")
        start = found
    return {"text": text, "start": start}


def _nearest(context: str, text: str, start: int) -> int:
    found, at = -1, context.find(text)
    while at >= 0:
        if found < 0 or abs(at - start) < abs(found - start):
            found = at
        at = context.find(text, at + 1)
    return found


def _items(where: str, record, key: str) -> list:
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, list):
        raise UserError(f"{where}: no {key!r} list (expected SQuAD's JSON format: data, paragraphs, qas)")
    return value


def _squad_file(entry: TaskEntry, path: Path, unanswerable: bool = False, id_prefix: str = "") -> list[dict]:
    """Rows from one SQuAD-format JSON file, in file order; questions whose id lacks id_prefix are skipped."""
    try:
        data = json.loads(sources.read_text(path))
    except ValueError as err:  # the message says line and column
        raise UserError(f"task {entry.name!r}: {path}: not valid JSON ({err})") from None
    rows, name = [], f"task {entry.name!r}: {path}"
    for a, article in enumerate(_items(name, data, "data")):
        for p, paragraph in enumerate(_items(f"{name} article {a}", article, "paragraphs")):
            at = f"{name} article {a} paragraph {p}"
            context = sources.require_text(at, paragraph.get("context"), "context")
            for q, qa in enumerate(_items(at, paragraph, "qas")):
                if not isinstance(qa, dict):
                    raise UserError(f"{at} question {q}: not an object with id, question and answers")
                qid = str(qa.get("id", q))
                if not qid.startswith(id_prefix):
                    continue
                where = f"{at} question {qid!r}"
                question = sources.require_text(where, qa.get("question"), "question")
                answers = _items(where, qa, "answers")
                if qa.get("is_impossible"):  # SQuAD v2.0: no answer; plausible_answers are not answers
                    if not unanswerable:
                        raise UserError(f"{where}: an unanswerable question, which {entry.name} does not have")
                    answers = []
                elif not answers:
                    raise UserError(f"{where}: no answers")
                if any(not isinstance(x, dict) for x in answers):
                    raise UserError(f"{where}: each answer must be an object with text and answer_start")
                spans = [_answer(where, context, x.get("text"), x.get("answer_start")) for x in answers]
                rows.append(_row(len(rows), question, context, spans))
    return rows


def _local(entry: TaskEntry, data_dir: Path, names: list[str], **options) -> Loaded:
    path = sources.find_file(entry, data_dir, names)
    rows = _squad_file(entry, path, **options)
    return Loaded(rows, "local", str(path), "", sources.fingerprint([path]))


def _hub(entry: TaskEntry, path: str, config: Optional[str], split: str, unanswerable: bool = False,
         id_prefix: str = "") -> Loaded:
    """Rows from a SQuAD-shaped hub split (id, question, context, answers{text, answer_start})."""
    data, location, revision, fingerprint = sources.load_hub(entry, path, config, split)
    columns = sources.hub_columns(entry, data, location, ["id", "question", "context", "answers"])
    rows = []
    table = zip(columns["id"], columns["question"], columns["context"], columns["answers"])
    for i, (qid, question, context, answers) in enumerate(table):
        if not str(qid).startswith(id_prefix):
            continue
        where = f"task {entry.name!r}: hub dataset {location} row {i} (id {qid!r})"
        spans = _hub_spans(where, answers)
        if not spans and not unanswerable:
            raise UserError(f"{where}: no answers")
        rows.append(_row(len(rows), question, context, [_answer(where, context, t, s, repair=True) for t, s in spans]))
    return Loaded(rows, "hub", location, revision, fingerprint)


def _hub_spans(where: str, answers) -> list[tuple]:
    """(text, start) pairs from a hub answers value: datasets' dict of lists, or a list of objects."""
    if isinstance(answers, dict) and {"text", "answer_start"} <= answers.keys():
        return list(zip(answers["text"], answers["answer_start"]))
    if isinstance(answers, list) and all(isinstance(a, dict) for a in answers):
        return [(a.get("text"), a.get("answer_start")) for a in answers]
    raise UserError(f"{where}: answers are not text and answer_start lists (SQuAD's shape)")


def _squad11(entry: TaskEntry, split: str, data_dir: Optional[Path]) -> Loaded:
    """SQuAD v1.1 train or dev: the English training data of XQuAD and MLQA in XTREME."""
    if data_dir is None:
        return _hub(entry, "rajpurkar/squad", None, _HUB_SPLITS[split])
    name = f"{split}-v1.1.json"
    return _local(entry, data_dir, [name, f"squad/{name}"])


# --- SQuAD (intermediate) -----------------------------------------------------------------------------

def _read_squad(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if data_dir is None:
        return _hub(entry, "rajpurkar/squad_v2", None, _HUB_SPLITS[split], unanswerable=True)
    name = f"{split}-v2.0.json"
    return _local(entry, data_dir, [name, f"squad/{name}"], unanswerable=True)


# --- XQuAD, MLQA and TyDi QA GoldP (XTREME) -------------------------------------------------------------

def _read_xquad(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if split != "test":
        return _squad11(entry, split, data_dir)
    if data_dir is None:  # XQuAD has one split, which the hub calls validation
        return _hub(entry, "google/xtreme", f"XQuAD.{language}", "validation")
    name = f"xquad.{language}.json"
    return _local(entry, data_dir, [name, f"xquad/{name}"])


def _read_mlqa(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    if split == "train" or (split, language) == ("dev", "en"):
        return _squad11(entry, split, data_dir)
    if data_dir is None:
        return _hub(entry, "google/xtreme", f"MLQA.{language}.{language}", _HUB_SPLITS[split])
    name = f"MLQA_V1/{split}/{split}-context-{language}-question-{language}.json"
    return _local(entry, data_dir, [name, f"mlqa/{name}"])


# TyDi QA's question ids start with the language's name ("arabic-..."), which is how its combined files
# (and the hub's single tydiqa config) are split by language, as in XTREME's utils_preprocess.py.
_TYDIQA = {"en": "english", "ar": "arabic", "bn": "bengali", "fi": "finnish", "id": "indonesian",
           "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu"}


def _read_tydiqa(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> Loaded:
    prefix = f"{_TYDIQA[language]}-"
    if data_dir is None:
        return _hub(entry, "google/xtreme", "tydiqa", "train" if split == "train" else "validation", id_prefix=prefix)
    if split == "train":  # XTREME's English file (named two ways over its history), else the original
        names = ["tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json", "tydiqa-goldp-v1.1-train/tydiqa.en.train.json",
                 "tydiqa-goldp-v1.1-train.json", "tydiqa-goldp-v1.1-train/tydiqa-goldp-v1.1-train.json"]
    else:  # the original per-language dev file (answers kept), else XTREME's renamed one (answers blanked)
        names = [f"tydiqa-goldp-v1.1-dev/tydiqa-goldp-dev-{_TYDIQA[language]}.json",
                 f"tydiqa-goldp-v1.1-dev/tydiqa.goldp.{language}.dev.json",
                 f"tydiqa-goldp-v1.1-dev/tydiqa.{language}.dev.json"]
    path = sources.find_file(entry, data_dir, names + [f"tydiqa/{name}" for name in names])
    # XTREME's per-language train files drop the language from the ids; the original files keep it.
    rows = _squad_file(entry, path, id_prefix=prefix if path.name.startswith("tydiqa-goldp-") else "")
    return Loaded(rows, "local", str(path), "", sources.fingerprint([path]))


_EN = ("en",)
_XQUAD_LANGUAGES = ("en", "ar", "de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh")
_MLQA_LANGUAGES = ("en", "ar", "de", "es", "hi", "vi", "zh")
# jiant's XTREME run configs (guides/benchmarks/xtreme.md, its d_write_configs.sh step), which Phang et al.
# 2020 ran: question answering trains 2 epochs with batch 4 and 4 accumulation steps (8 elsewhere).
_QA_TRAIN = {"epochs": 2.0, "grad_accum_steps": 4}
# XTREME's QA scripts (run_squad.py via scripts/train_qa.sh): --max_seq_length 384 --doc_stride 128.
_QA_LENGTH = 384

ENTRIES = [
    # SQuAD v2.0 (Rajpurkar et al. 2018), the version Phang et al. 2020 list among their intermediate tasks
    # (their Table 1, after Pruksachatkun et al. 2020): train and dev. Unanswerable questions keep
    # answers [] (plausible_answers are dropped); the span head scores them with SQuAD v2.0's no-answer rule.
    TaskEntry(
        name="squad",
        version=1,
        role="intermediate",
        head="span",
        labels=(),
        text_fields=("question", "context"),
        splits={"train": _EN, "dev": _EN},
        source="SQuAD v2.0 (Rajpurkar et al. 2018), unanswerable questions included",
        reader=_read_squad,
        hub="rajpurkar/squad_v2",
        layout="train-v2.0.json and dev-v2.0.json as released on rajpurkar.github.io/SQuAD-explorer (here or in "
               "a squad/ sub-folder)",
        max_length=_QA_LENGTH,
        train_defaults={"grad_accum_steps": 4},
    ),
    # XQuAD (Artetxe et al. 2020) as in XTREME: trained on SQuAD v1.1 train, selected on its dev, tested on
    # XQuAD's 1,190 questions in 11 languages. XQuAD's English is a subset of SQuAD v1.1 dev, so English
    # test questions are also in English dev (as in XTREME, which selects on SQuAD dev too).
    TaskEntry(
        name="xquad",
        version=1,
        role="target",
        head="span",
        labels=(),
        text_fields=("question", "context"),
        splits={"train": _EN, "dev": _EN, "test": _XQUAD_LANGUAGES},
        source="XQuAD (Artetxe et al. 2020); English training data SQuAD v1.1",
        reader=_read_xquad,
        hub="google/xtreme (XQuAD.<lang>) and rajpurkar/squad (English train and dev)",
        layout="xquad.{lang}.json as released on github.com/deepmind/xquad (XTREME's download_data.sh blanks "
               "their answers), plus SQuAD v1.1's train-v1.1.json and dev-v1.1.json; here or in xquad/ and "
               "squad/ sub-folders (XTREME's download/ folder)",
        max_length=_QA_LENGTH,
        train_defaults=_QA_TRAIN,
    ),
    # MLQA (Lewis et al. 2020) as in XTREME: trained on SQuAD v1.1 train, English dev from SQuAD v1.1 (the
    # same selection data as XQuAD), dev in the other languages and test in all 7 from MLQA, with context and
    # question in the same language.
    TaskEntry(
        name="mlqa",
        version=1,
        role="target",
        head="span",
        labels=(),
        text_fields=("question", "context"),
        splits={"train": _EN, "dev": _MLQA_LANGUAGES, "test": _MLQA_LANGUAGES},
        source="MLQA (Lewis et al. 2020), context and question in one language; English training data SQuAD v1.1",
        reader=_read_mlqa,
        hub="google/xtreme (MLQA.<lang>.<lang>) and rajpurkar/squad (English train and dev)",
        layout="MLQA_V1/{dev,test}/{split}-context-{lang}-question-{lang}.json as in MLQA_V1.zip "
               "(dl.fbaipublicfiles.com/MLQA; XTREME's download_data.sh blanks the test answers), plus SQuAD "
               "v1.1's train-v1.1.json and dev-v1.1.json; here or in mlqa/ and squad/ sub-folders",
        max_length=_QA_LENGTH,
        train_defaults=_QA_TRAIN,
    ),
    # TyDi QA GoldP (Clark et al. 2020) as in XTREME: trained on the English part of the GoldP train set,
    # tested on the GoldP dev sets of its 9 languages (TyDi's test set is hidden). No dev split: XTREME has
    # none apart from the test sets.
    TaskEntry(
        name="tydiqa",
        version=1,
        role="target",
        head="span",
        labels=(),
        text_fields=("question", "context"),
        splits={"train": _EN, "test": tuple(_TYDIQA)},
        source="TyDi QA gold passage task (Clark et al. 2020), XTREME's split",
        reader=_read_tydiqa,
        hub="google/xtreme (tydiqa, split by the language in the question ids)",
        layout="tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json (XTREME's download/tydiqa/) or the original "
               "tydiqa-goldp-v1.1-train.json; tydiqa-goldp-v1.1-dev/tydiqa-goldp-dev-{language name}.json from "
               "tydiqa-goldp-v1.1-dev.tgz (storage.googleapis.com/tydiqa/v1.1; XTREME renames them "
               "tydiqa.goldp.{lang}.dev.json and blanks their answers); here or in a tydiqa/ sub-folder",
        max_length=_QA_LENGTH,
        train_defaults=_QA_TRAIN,
    ),
]
