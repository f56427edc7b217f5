"""Phang et al. 2020's two alternatives to English intermediate training, as intermediate settings of a spec.

(i) "mnli+mlm": the task trained together with a masked-LM objective on multilingual text ([mlm] section);
(ii) "mnli@translated": the task's machine-translated training data in several languages ([translated.TASK]).
Each is an intermediate setting of its own, with keys of its own; plain settings keep theirs unchanged.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from xstore.catalog import TASKS, get_task
from xstore.errors import UserError
from xstore.tasks import mlm as mlm_text
from xstore.tasks.translated import SUFFIX, TRANSLATIONS, VERSION as TRANSLATION_VERSION, base_task

MLM = mlm_text.NAME


class MlmSettings(BaseModel):
    """[mlm]: the text, languages, masking and mixing of the masked-LM objective in "TASK+mlm" settings."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # One of: a folder of {lang}.txt files (one passage per line), or a hub corpus read per language through
    # datasets.load_dataset(hub, hub_config with {lang} filled in, split="train", streaming=True), e.g.
    # hub = "wikimedia/wikipedia", hub_config = "20231101.{lang}", the multilingual Wikipedia that mBERT and
    # XLM were pretrained on (Devlin et al. 2019; Conneau & Lample 2019).
    folder: Optional[str] = None
    hub: Optional[str] = None
    hub_config: Optional[str] = None
    text_column: str = "text"
    languages: list[str] = Field(min_length=1)
    # The first N non-blank lines of each language (required with a hub corpus); None reads a folder's files whole.
    lines_per_language: Optional[int] = Field(None, ge=1)
    # BERT's masking (Devlin et al. 2019, section 3.1 and appendix A.1): 15% of tokens are chosen; of those, 80%
    # become <mask>, 10% a random token, 10% stay; XLM-R pretrained with the same (Conneau et al. 2020).
    mask_rate: float = Field(0.15, gt=0, lt=1)
    # How MLM batches join the task's: "alternate" (default) puts one MLM batch after every task batch, so an
    # epoch is still one pass over the task's data and "TASK+mlm" makes as many task updates as "TASK", which
    # keeps the comparison with plain TASK about the MLM objective alone. "proportional" makes MLM one more task
    # of examples-proportional multitask sampling (Raffel et al. 2020, section 3.5.2), as xstore mixes several
    # intermediate tasks; then the text's size sets the share and an epoch covers the text too.
    mixing: Literal["alternate", "proportional"] = "alternate"


class TranslatedSettings(BaseModel):
    """[translated.TASK]: where TASK's translations are and which languages "TASK@translated" trains on."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # A folder in the layout `xstore tasks` names for the translations (XTREME's translate-train files);
    # unset: the hub, where the task's translations are there (MNLI's, in facebook/xnli).
    folder: Optional[str] = None
    # Unset: English (the task's own data) and every language of the source, all at once, as XTREME's
    # translate-train-all baseline trains (Hu et al. 2020). Examples are drawn in proportion to each language's size.
    languages: Optional[list[str]] = Field(None, min_length=1)


def components(setting: Union[str, list[str]]) -> list[str]:
    """The parts trained together in phase 2: catalogue tasks, translated tasks ("mnli@translated") and "mlm".

    "mnli+mlm" and ["mnli", "mlm"] are the same setting; a plain setting gives what the planner always used.
    """
    items = [setting] if isinstance(setting, str) else list(setting)
    return [part for item in items for part in item.split("+")]


def is_alternative(parts: list[str]) -> bool:
    return any(part == MLM or part.endswith(SUFFIX) for part in parts)


def translated_languages(spec, task: str) -> list[str]:
    """The languages "TASK@translated" trains on, English first when it is one of them."""
    chosen = spec.translated.get(task, TranslatedSettings()).languages
    return list(chosen) if chosen is not None else ["en", *TRANSLATIONS[task].languages]


def _folder(spec, value: Optional[str]) -> Optional[Path]:
    if value is None:
        return None
    base = spec.path.parent if spec.path else Path.cwd()
    return (base / value).resolve()


def translated_folder(spec, task: str) -> Optional[Path]:
    return _folder(spec, spec.translated[task].folder) if task in spec.translated else None


def mlm_folder(spec) -> Optional[Path]:
    return _folder(spec, spec.mlm.folder) if spec.mlm else None


def mlm_source(settings: MlmSettings) -> dict:
    """The text source as it enters cell keys: a hub corpus by name; a folder only as "a folder" (its path is not
    part of a key, as [data] folders are not; data_source records what was read)."""
    if settings.hub:
        return {"hub": settings.hub, "config": settings.hub_config, "column": settings.text_column}
    return {"folder": True}


# -- the planner's inputs for one phase-2 setting -----------------------------------------------------------


def training_inputs(spec, parts: list[str]) -> tuple[dict, dict]:
    """The load cells a phase-2 cell of these parts reads, as {role: load params}, and its extra params.

    Roles: "train:TASK" and "dev:TASK" as for any task; a part trained in several languages has one
    "train:PART:LANG" per language, and the dev set of its catalogue task (English: model selection stays
    on English dev, the only labels zero-shot transfer has; XNLI's translated dev sets are a target's data).
    """
    roles, extra = {}, {}
    for part in parts:
        if part == MLM:
            settings = spec.mlm
            source = mlm_source(settings)
            for language in settings.languages:
                roles[f"train:{MLM}:{language}"] = {"task": MLM, "task_version": mlm_text.VERSION, "split": "train",
                                                    "language": language, "source": source,
                                                    "lines_per_language": settings.lines_per_language}
            extra["mlm"] = {"source": source, "languages": list(settings.languages),
                            "lines_per_language": settings.lines_per_language, "mask_rate": settings.mask_rate,
                            "replace": [0.8, 0.1], "mixing": settings.mixing}
            continue
        task = get_task(base_task(part))
        if part.endswith(SUFFIX):
            languages = translated_languages(spec, task.name)
            for language in languages:
                roles[f"train:{part}:{language}"] = _load(task, "train", "en") if language == "en" else {
                    "task": part, "task_version": task.version, "translation_version": TRANSLATION_VERSION,
                    "split": "train", "language": language}
            extra.setdefault("translated", {})[task.name] = {"languages": languages, "version": TRANSLATION_VERSION}
        else:
            roles[f"train:{part}"] = _load(task, "train", "en")
        if "en" in task.splits.get("dev", ()):
            roles[f"dev:{part}"] = _load(task, "dev", "en")
    return roles, extra


def _load(task, split: str, language: str) -> dict:
    """The params of a catalogue task's load cell, exactly as the planner declares them."""
    return {"task": task.name, "task_version": task.version, "split": split, "language": language}


# -- spec checks ---------------------------------------------------------------------------------------------


def check_intermediate(spec, path: Path) -> None:
    """grid.intermediate: every part is a task with English training data, TASK@translated or mlm, with what each needs."""
    known = sorted(TASKS)
    for setting in spec.grid.intermediate:
        if setting == "none":
            continue
        if not isinstance(setting, str) and len(setting) < 2:
            _fail(path, "grid.intermediate", f"a multitask setting lists two or more tasks, got {setting!r}")
        parts = components(setting)
        repeated = sorted({base_task(p) for p in parts if [base_task(q) for q in parts].count(base_task(p)) > 1})
        if repeated:
            _fail(path, "grid.intermediate", f"{setting!r} names {repeated[0]!r} more than once")
        for part in parts:
            _check_part(spec, path, setting, part, known)
        if parts == [MLM]:
            _fail(path, "grid.intermediate", "mlm is trained together with an intermediate task, e.g. \"mnli+mlm\"")
    _check_sections(spec, path)


def _check_part(spec, path: Path, setting, part: str, known: list[str]) -> None:
    if part == MLM:
        if spec.mlm is None:
            _fail(path, "grid.intermediate", f"{setting!r} trains with masked-LM text: add an [mlm] section naming "
                  f"the text (folder = \"...\" or hub = \"...\") and its languages")
        return
    name, at, variant = part.partition("@")
    if at and variant != SUFFIX[1:]:
        _fail(path, "grid.intermediate", f"unknown variant {'@' + variant!r} of task {name!r} in {setting!r}; known: {SUFFIX}")
    if name not in TASKS:
        hint = difflib.get_close_matches(name, [*known, MLM], n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        _fail(path, "grid.intermediate", f"unknown task {name!r}; {suggestion}known: {', '.join(known)}; "
              f"and \"{MLM}\", the masked-LM objective, as in \"mnli+mlm\"")
    if "en" not in get_task(name).splits.get("train", ()):
        _fail(path, "grid.intermediate", f"task {name!r} has no English training split")
    if at:
        _check_translated(spec, path, name)


def _check_translated(spec, path: Path, task: str) -> None:
    if task not in TRANSLATIONS:
        _fail(path, "grid.intermediate", f"task {task!r} has no translated training data; translated tasks: "
              f"{', '.join(t + SUFFIX for t in sorted(TRANSLATIONS))}")
    source, folder = TRANSLATIONS[task], translated_folder(spec, task)
    if folder is None and not source.hub:
        _fail(path, "grid.intermediate", f"{task + SUFFIX!r} reads translations from a local folder: add "
              f"[translated.{task}] folder = \"path/to/folder\" ({source.layout})")
    key = f"translated.{task}"
    if folder is not None and not folder.is_dir():
        _fail(path, f"{key}.folder", f"directory {folder} does not exist")
    for language in translated_languages(spec, task):
        if language != "en" and language not in source.languages:
            _fail(path, f"{key}.languages", f"{task}'s translations have no language {language!r} (they have: en, "
                  f"{', '.join(source.languages)})")
        missing = None if folder is None or language == "en" else source.missing(folder, language)
        if missing:
            _fail(path, f"{key}.folder", f"no translations into {language!r}: {folder / missing} does not exist "
                  f"(expected layout: {source.layout})")


def _check_sections(spec, path: Path) -> None:
    for task in spec.translated:
        if task not in TRANSLATIONS:
            _fail(path, f"translated.{task}", f"no translated training data for that task; translated tasks: "
                  f"{', '.join(sorted(TRANSLATIONS))}")
    settings = spec.mlm
    if settings is None:
        return
    if (settings.folder is None) == (settings.hub is None):
        _fail(path, "mlm", "name the text with exactly one of folder = \"path/to/folder\" or hub = \"dataset id\"")
    if settings.hub and settings.lines_per_language is None:
        _fail(path, "mlm.lines_per_language", "a hub corpus is streamed: say how many lines per language to read")
    if len(set(settings.languages)) != len(settings.languages):
        _fail(path, "mlm.languages", "duplicate languages")
    folder = mlm_folder(spec)
    if folder is None:
        return
    if not folder.is_dir():
        _fail(path, "mlm.folder", f"directory {folder} does not exist")
    for language in settings.languages:
        if not any((folder / name).is_file() for name in (f"{language}.txt", f"{language}.txt.gz")):
            _fail(path, "mlm.languages", f"no text for {language!r}: {folder / (language + '.txt')} does not exist "
                  f"({mlm_text.LAYOUT})")


def _fail(path: Path, key: str, message: str) -> None:
    raise UserError(f"{path}: {key}: {message}")
