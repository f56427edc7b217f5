"""The spec file: a TOML grid of models x intermediate settings x targets x languages x seeds x attacks.

Validated with pydantic; every mistake becomes one UserError naming the file, the key and what is allowed.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
import re
import tomllib
from pathlib import Path
from typing import Literal, Optional, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_serializer

from xstore.alternatives import MlmSettings, TranslatedSettings, check_intermediate
from xstore.catalog import ATTACKS, TASKS, get_attack, get_task
from xstore.errors import UserError

BUILTIN_MODELS = ("builtin:tiny-xlmr",)
# Keys of [attacks.NAME] that choose whom an attack queries rather than its budget:
# protocol ("model-independent", "transfer" or "per-victim", as the catalogue allows), and for
# "transfer" the reference run: its intermediate setting (default "none", the no-intermediate
# baseline) and its seed (default: the seed of each evaluated run).
PROTOCOL_OPTIONS = ("protocol", "reference", "reference_seed")
# Post-hoc calibration: "temperature" is temperature scaling (Guo et al. 2017) fit on English dev, the only
# labels zero-shot transfer has; "temperature-oracle" fits one temperature per language on that language's
# dev set: an upper bound on what temperature scaling could reach with target-language labels, which the
# zero-shot setting does not have, so never a zero-shot result.
CALIBRATION_METHODS = ("none", "temperature", "temperature-oracle")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?(@[\w.\-/]+)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TrainSettings(_Strict):
    """Fine-tuning hyperparameters for one phase; the defaults are those the paper's code used."""

    # jiant's XTREME run scripts, which Phang et al. 2020 used: --learning_rate 1e-5.
    learning_rate: float = Field(1e-5, gt=0)
    # jiant's XTREME run configs: --train_batch_size 4 --gradient_accumulation_steps 8 (effective 32);
    # unset means the task's own (4 for question answering, see TaskEntry.train_defaults), else 8.
    batch_size: int = Field(4, ge=1)
    grad_accum_steps: Optional[int] = Field(None, ge=1)
    # Unset means the task's own number of epochs (jiant's XTREME run configs: XNLI and QA 2, PAWS-X 5,
    # POS and NER 10), else 2, which the intermediate tasks use.
    epochs: Optional[float] = Field(None, gt=0)
    # Optional cap on optimizer steps (after epochs), for quick runs; None means no cap.
    max_steps: Optional[int] = Field(None, ge=1)
    # RoBERTa's GLUE fine-tuning recipe (Liu et al. 2019, Table 10): 6% linear warmup, weight decay 0.1.
    warmup_ratio: float = Field(0.06, ge=0, lt=1)
    weight_decay: float = Field(0.1, ge=0)
    # Maximum input length in tokens; unset means each task's own (xstore.tasks: XTREME's reference scripts,
    # Hu et al. 2020, use 128 for sentence and tagging tasks and 384 for question answering).
    max_length: Optional[int] = Field(None, ge=8)
    # Gradient clipping at 1.0, the transformers Trainer default.
    max_grad_norm: float = Field(1.0, gt=0)
    # Label smoothing (Szegedy et al. 2016, section 7; it improves calibration, Mueller et al. 2019). 0.0 is
    # plain cross-entropy; Ahuja et al. 2022 ("On the Calibration of Massively Multilingual Language Models",
    # EMNLP) used 0.1 when fine-tuning multilingual models on English: set label_smoothing = 0.1 to compare.
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    # How often a loss row is written to training_step (optimizer steps).
    log_every: int = Field(10, ge=1)
    # Extra English-dev evaluations for model selection every N optimizer steps, as jiant's
    # --eval_every_steps (1000 in its run_with_continue examples). None: at the end of each epoch only,
    # the behaviour before this field existed; epoch ends are always evaluated. Part of the cell key
    # when set (it can change the selected checkpoint), left out of it when None so old keys hold.
    eval_every: Optional[int] = Field(None, ge=1)
    # Optimizer steps between resumable training states (runs/<key>.resume/): a killed fill resumes the
    # cell from its last state and ends with the same model. 1000 as jiant's --save_checkpoint_every_steps
    # in its resumable run_with_continue mode (guides/tutorials/quick_start_main.md): for XLM-R large, a
    # ~7 GB state (weights and AdamW's two moments) every 32,000 examples at the default batch of 4 x 8.
    # None or 0: no states, so a killed training starts again from step 0. Never part of the cell key
    # (see _key_values): resuming changes no result, so changing it must not make cells missing again.
    checkpoint_every: Optional[int] = Field(1000, ge=0)

    @model_serializer(mode="wrap")
    def _key_values(self, handler) -> dict:
        """The values that determine a run, as the planner hashes them into training cell keys."""
        values = handler(self)
        values.pop("checkpoint_every", None)
        values.pop("variants", None)  # each variant is hashed as settings of its own
        if values.get("eval_every") is None:
            values.pop("eval_every", None)
        return values

    def for_task(self, task) -> "TrainSettings":
        """These settings with every unset value filled from the task's catalogue entry, then the fallbacks.

        For a multitask phase pass None: epochs and accumulation take the fallbacks, and max_length stays
        unset when the spec leaves it so, for each task's own length to apply.
        """
        values = dict(self)  # every field: model_dump leaves out checkpoint_every (see _key_values)
        values.pop("variants", None)
        defaults = task.train_defaults if task is not None else {}
        for name, fallback in _TRAIN_FALLBACKS.items():
            if values[name] is None:
                values[name] = type(fallback)(defaults.get(name, fallback))
        if values["max_length"] is None and task is not None:
            values["max_length"] = task.max_length
        return TrainSettings(**values)


# Used when neither the spec nor the task sets a value: jiant's XTREME settings for XNLI.
_TRAIN_FALLBACKS = {"epochs": 2.0, "grad_accum_steps": 8}
# What a variant may not set: it is not part of a run (resuming changes no result), so two variants differing
# only there would be one run.
_NOT_VARIED = ("checkpoint_every",)

Scalar = Union[int, float, str, bool]


class TargetTrainSettings(TrainSettings):
    """Target-phase settings, and optionally several variants of them trained side by side."""

    # Each entry is one variant: these settings with the entry's keys changed, e.g.
    # variants = [{ label_smoothing = 0.0 }, { label_smoothing = 0.1 }] trains every target run twice. Empty:
    # one run with these settings. Queries tell variants apart by their `variant` label (migration 0004).
    variants: list[dict[str, Scalar]] = []

    def variant_settings(self) -> list[TrainSettings]:
        """The settings of each variant (these settings alone when there are no variants), in spec order."""
        base = {name: value for name, value in self if name != "variants"}
        return [TrainSettings(**{**base, **entry}) for entry in (self.variants or [{}])]


class PhaseSettings(_Strict):
    intermediate: TrainSettings = TrainSettings()
    target: TargetTrainSettings = TargetTrainSettings()


class PredictSettings(_Strict):
    # Splits evaluated zero-shot in every declared language.
    eval_splits: list[str] = ["test"]
    batch_size: int = Field(64, ge=1)
    # Unset: each task's own maximum length (128, or 384 for question answering), as in training.
    max_length: Optional[int] = Field(None, ge=8)
    # Models a fill process keeps loaded between cells (runners/model_cache.py): 1 holds no more memory than
    # the model a cell computes with, and a run's cells of one kind are computed together, so each run's
    # checkpoint is loaded once per kind. Raise it to keep several runs' models (e.g. victims and predictions
    # of a run without reloading); $XSTORE_KEEP_MODELS overrides it. Never part of a cell key.
    keep_models: int = Field(1, ge=0)


class Grid(_Strict):
    base_models: list[str] = Field(min_length=1)
    # Each entry: "none", one task name, or a list of task names trained together (multitask).
    intermediate: list[Union[str, list[str]]] = Field(min_length=1)
    targets: list[str] = Field(min_length=1)
    # Evaluation languages: a list (each target is evaluated in those of them it has), or "all" (every
    # language of each target's evaluation splits).
    languages: Union[Literal["all"], list[str]] = Field(min_length=1)
    seeds: list[int] = Field(min_length=1)
    attacks: list[str] = ["none"]
    calibration: list[str] = ["none"]

    @field_validator("base_models", "targets", "languages", "attacks", "calibration", "seeds", "intermediate")
    @classmethod
    def _no_duplicates(cls, values):
        if isinstance(values, str):
            return values
        seen = Counter(repr(v) for v in values)
        dupes = sorted(v for v, n in seen.items() if n > 1)
        if dupes:
            raise ValueError(f"duplicate entries {', '.join(dupes)}")
        return values


class Spec(_Strict):
    database: str = "xstore.duckdb"
    grid: Grid
    train: PhaseSettings = PhaseSettings()
    predict: PredictSettings = PredictSettings()
    # Per-attack budgets and parameters, e.g. [attacks.charnoise] rate = 0.2; several settings of one attack
    # side by side with settings = [{ rate = 0.05 }, { rate = 0.1 }], each entry changing the table's keys.
    attacks: dict[str, dict[str, Union[Scalar, list[dict[str, Scalar]]]]] = {}
    # Local data directories per task, overriding the catalogue's default source.
    data: dict[str, str] = {}
    # Phang et al. 2020's alternatives (xstore/alternatives.py): the text of "TASK+mlm" settings, and where the
    # translations of "TASK@translated" settings are and which languages they train on.
    mlm: Optional[MlmSettings] = None
    translated: dict[str, TranslatedSettings] = {}

    # Set by load_spec, not by the file.
    path: Optional[Path] = Field(None, exclude=True)

    @property
    def database_path(self) -> Path:
        base = self.path.parent if self.path else Path.cwd()
        return (base / self.database).resolve()

    def data_dir(self, task: str) -> Optional[Path]:
        if task not in self.data:
            return None
        base = self.path.parent if self.path else Path.cwd()
        return (base / self.data[task]).resolve()

    def languages_for(self, task: str, split: str) -> list[str]:
        """The languages `task` is evaluated in on `split`: the grid's languages that the split has."""
        have = get_task(task).splits.get(split, ())
        if self.grid.languages == "all":
            return list(have)
        return [language for language in self.grid.languages if language in have]

    def attack_settings(self, name: str) -> list[tuple[dict, dict]]:
        """Each declared setting of the attack, in spec order: (protocol, params) as `attack_protocol` and
        `attack_params` describe them; one setting unless [attacks.NAME] lists `settings`."""
        table = self.attacks.get(name, {})
        shared = {k: v for k, v in table.items() if k != "settings"}
        return [(self._protocol(name, {**shared, **entry}), self._params(name, {**shared, **entry}))
                for entry in (table.get("settings") or [{}])]

    def attack_params(self, name: str, setting: int = 0) -> dict:
        """The attack's budget and seed in its `setting`-th setting: catalogue defaults overridden by the spec,
        typed as the defaults."""
        return self.attack_settings(name)[setting][1]

    def attack_protocol(self, name: str, setting: int = 0) -> dict:
        """protocol, and for "transfer" the reference run's intermediate setting and seed (None: each run's own),
        of the attack's `setting`-th setting."""
        return self.attack_settings(name)[setting][0]

    @staticmethod
    def _params(name: str, options: dict) -> dict:
        entry = get_attack(name)
        given = {k: v for k, v in options.items() if k not in PROTOCOL_OPTIONS}
        # `share = 1` and `share = 1.0` are one budget, so one cell key.
        return {k: float(v) if isinstance(entry.defaults.get(k), float) else v for k, v in {**entry.defaults, **given}.items()}

    @staticmethod
    def _protocol(name: str, options: dict) -> dict:
        protocol = options.get("protocol", get_attack(name).protocols[0])
        transfer = protocol == "transfer"
        return {"protocol": protocol, "reference": options.get("reference", "none") if transfer else None,
                "reference_seed": options.get("reference_seed") if transfer else None}


def intermediate_name(setting: Union[str, list[str]]) -> str:
    """The stored name of an intermediate setting: "none", a task, or tasks joined by "+"."""
    return setting if isinstance(setting, str) else "+".join(setting)


def load_spec(path: Union[str, Path]) -> Spec:
    """Read and validate a spec file; raise UserError with one clear message on any mistake."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"spec file {path} is a folder; give the TOML file in it")
    if not path.is_file():
        raise UserError(f"spec file {path} does not exist")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # -sig: a byte-order mark some editors write
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: TOML syntax error: {err}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 text file") from None
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as err:
        raise UserError(f"{path}: {_describe(err, raw)}") from None
    # Absolute, but a link is not followed: relative paths in the file are relative to where the user put it
    # (examples/demo.toml links to the packaged demo, whose folder is no place for a database).
    spec.path = Path(os.path.abspath(path))
    _check_names(spec, path)
    return spec


def _describe(err: ValidationError, raw: dict) -> str:
    """The first validation problem as 'key: what is wrong', with a suggestion for unknown keys."""
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        parent_loc, name = first["loc"][:-1], str(first["loc"][-1])
        allowed = _allowed_keys(parent_loc)
        hint = difflib.get_close_matches(name, allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"unknown key {where!r}{suggestion} (allowed: {', '.join(allowed)})"
    if first["type"] == "missing":
        return f"missing required key {where!r}"
    value = first.get("input")
    shown = f" (got {value!r})" if not isinstance(value, (dict, list)) else ""
    return f"{where}: {first['msg']}{shown}"


def _allowed_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = Spec
    parts = list(loc)
    while parts:
        field = model.model_fields.get(str(parts.pop(0)))
        annotation = field.annotation if field else None
        if get_origin(annotation) is dict and parts:  # [translated.TASK]: the next part is the table's name
            annotation = get_args(annotation)[1]
            parts.pop(0)
        # Optional[Model] holds the model among its arguments
        found = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not found:
            return []
        model = found[0]
    return [name for name in model.model_fields if name != "path"]


def _fail(path: Path, key: str, message: str) -> None:
    raise UserError(f"{path}: {key}: {message}")


def _suggest(name: str, known: list[str]) -> str:
    hint = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {hint[0]!r}? " if hint else ""


def _language_hint(given: str, spec: Spec) -> str:
    """'; did you mean 'de'?' for 'ger', 'deu', 'DE', 'de-DE' or 'de_CH' (langcodes normalizes ISO 639-1, 639-2/B
    and 639-3 codes and BCP 47 tags), else for a near spelling of a language the targets have."""
    have = sorted({lang for name in spec.grid.targets for split in spec.predict.eval_splits
                   for lang in get_task(name).splits.get(split, ())})
    try:
        import langcodes

        base = langcodes.Language.get(given.replace("_", "-")).language
    except (ImportError, ValueError, LookupError):
        base = None
    hint = base if base in have else next(iter(difflib.get_close_matches(given.lower(), have, n=1)), None)
    return f"; did you mean {hint!r}?" if hint and hint != given else ""


def _check_names(spec: Spec, path: Path) -> None:
    """Catalogue checks that pydantic cannot do: tasks, attacks, languages, models, methods."""
    grid = spec.grid
    known_tasks = sorted(TASKS)
    check_intermediate(spec, path)
    for name in grid.targets:
        if name not in TASKS:
            _fail(path, "grid.targets", f"unknown task {name!r}; {_suggest(name, known_tasks)}known: {', '.join(known_tasks)}")
        task = get_task(name)
        if task.role == "intermediate":
            _fail(path, "grid.targets", f"task {name!r} is an intermediate task only")
        if task.head != "retrieval" and "en" not in task.splits.get("train", ()):
            _fail(path, "grid.targets", f"task {name!r} has no English training split to fine-tune on")
        for split in spec.predict.eval_splits:
            if split not in task.splits:
                _fail(path, "predict.eval_splits", f"task {name!r} has no {split!r} split (it has: {', '.join(task.splits)})")
    listed = [] if grid.languages == "all" else grid.languages
    for lang in listed:
        for split in spec.predict.eval_splits:
            if not any(lang in get_task(name).splits.get(split, ()) for name in grid.targets):
                name = grid.targets[0]
                have = ", ".join(get_task(name).splits.get(split, ()))
                where = f"{name!r} split {split!r} (it has: {have})" if len(grid.targets) == 1 else \
                    f"the {split!r} split of any target ({', '.join(grid.targets)})"
                _fail(path, "grid.languages", f"language {lang!r} is not in {where}{_language_hint(lang, spec)}")
    structured = [name for name in grid.targets if get_task(name).head != "classification"]
    if structured and any(name != "none" for name in grid.attacks):
        _fail(path, "grid.attacks", f"attacks perturb sentence-classification inputs; target {structured[0]!r} is a "
              f"{get_task(structured[0]).head} task (declare it in a spec of its own with attacks = [\"none\"])")
    for name in grid.attacks:
        if name != "none" and name not in ATTACKS:
            known = ["none", *sorted(ATTACKS)]
            _fail(path, "grid.attacks", f"unknown attack {name!r}; {_suggest(name, known)}known: {', '.join(known)}")
    if any(name != "none" for name in grid.attacks):
        from xstore.runners.attacks import negation

        for lang in sorted({lang for t in grid.targets for s in spec.predict.eval_splits for lang in spec.languages_for(t, s)}):
            if lang not in negation.LEXICONS:
                _fail(path, "grid.attacks", f"attacks keep negation intact and there is no negation list for "
                      f"{lang!r} (runners/attacks/negation.py has: {', '.join(sorted(negation.LEXICONS))})")
    for name, params in spec.attacks.items():
        if name not in ATTACKS:
            _fail(path, f"attacks.{name}", f"unknown attack; known: {', '.join(sorted(ATTACKS))}")
        _check_attack_settings(spec, path, ATTACKS[name], params)
    _check_variants(spec, path)
    for method in grid.calibration:
        if method not in CALIBRATION_METHODS:
            _fail(path, "grid.calibration", f"unknown method {method!r}; known: {', '.join(CALIBRATION_METHODS)}")
    if "temperature" in grid.calibration:
        for name in grid.targets:
            if "en" not in get_task(name).splits.get("dev", ()):
                _fail(path, "grid.calibration", f"temperature scaling fits on English dev data, which {name!r} lacks")
    if "temperature-oracle" in grid.calibration:
        for name in grid.targets:
            have = get_task(name).splits.get("dev", ())
            for lang in {lang for split in spec.predict.eval_splits for lang in spec.languages_for(name, split)}:
                if lang not in have:
                    _fail(path, "grid.calibration", f"temperature-oracle fits on each language's dev data; {name!r} has "
                          f"no {lang!r} dev split (it has: {', '.join(have) or 'none'})")
    for name in grid.base_models:
        _check_model(path, name)
    for task in spec.data:
        if task not in TASKS:
            _fail(path, f"data.{task}", f"unknown task; known: {', '.join(known_tasks)}")
        if not spec.data_dir(task).is_dir():
            _fail(path, f"data.{task}", f"directory {spec.data_dir(task)} does not exist")
    if not spec.database_path.parent.is_dir():
        _fail(path, "database", f"folder {spec.database_path.parent} does not exist")


def _check_attack_settings(spec: Spec, path: Path, entry, table: dict) -> None:
    """[attacks.NAME] and each entry of its `settings`: valid options, and no two settings alike."""
    settings = table.get("settings")
    if settings is None:
        _check_attack_options(spec, path, entry, table, f"attacks.{entry.name}")
        return
    if not isinstance(settings, list) or not settings:
        _fail(path, f"attacks.{entry.name}.settings", "a list of one or more settings, e.g. [{ rate = 0.05 }, { rate = 0.1 }]")
    shared = {k: v for k, v in table.items() if k != "settings"}
    seen = {}
    for i, item in enumerate(settings):
        where = f"attacks.{entry.name}.settings[{i}]"
        if "settings" in item:
            _fail(path, where, "a setting cannot list settings of its own")
        _check_attack_options(spec, path, entry, {**shared, **item}, where)
        protocol, params = spec._protocol(entry.name, {**shared, **item}), spec._params(entry.name, {**shared, **item})
        same = seen.setdefault(repr((protocol, params)), i)
        if same != i:
            _fail(path, where, f"declares the same setting as settings[{same}] (protocol, reference and budget)")


def _check_variants(spec: Spec, path: Path) -> None:
    """[train.target] variants: each entry changes known settings to valid values, and no two are alike."""
    target = spec.train.target
    if "variants" in target.model_fields_set and not target.variants:
        _fail(path, "train.target.variants", "a list of one or more variants, e.g. [{ label_smoothing = 0.1 }]")
    allowed = [name for name in TrainSettings.model_fields if name not in _NOT_VARIED]
    seen = {}
    base = {name: value for name, value in target if name != "variants"}
    for i, entry in enumerate(target.variants):
        where = f"train.target.variants[{i}]"
        for key in entry:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"did you mean {hint[0]!r}? " if hint else ""
                _fail(path, f"{where}.{key}", f"not a setting a variant can change; {suggestion}allowed: {', '.join(allowed)}")
        try:
            settings = TrainSettings(**{**base, **entry})
        except ValidationError as err:
            _fail(path, where, _describe(err, entry))
        same = seen.setdefault(repr(settings.model_dump()), i)
        if same != i:
            _fail(path, where, f"declares the same training as variants[{same}]")


def _check_attack_options(spec: Spec, path: Path, entry, params: dict, where: str) -> None:
    """One setting of an attack: known parameters of the default's type, a protocol the attack has, a reference in
    the grid."""
    options = PROTOCOL_OPTIONS if len(entry.protocols) > 1 else ()
    extra = sorted(set(params) - set(entry.defaults) - set(PROTOCOL_OPTIONS))
    if extra:
        _fail(path, f"{where}.{extra[0]}", f"unknown parameter; allowed: {', '.join([*entry.defaults, *options])}")
    for key, value in params.items():
        default = entry.defaults.get(key)
        if key in entry.defaults and not _same_type(value, default):
            _fail(path, f"{where}.{key}", f"expected {type(default).__name__} like the default {default!r} (got {value!r})")
        if key in entry.defaults and not isinstance(value, (bool, str)):
            top = 1 if key == "rate" or key.endswith(("_share", "_threshold")) else float("inf")
            if not 0 <= value <= top:
                _fail(path, f"{where}.{key}", f"must lie between 0 and {top} (got {value!r})")
    encoder = params.get("similarity_encoder", "base")
    if isinstance(encoder, str) and encoder != "base" and not (path.parent / Path(encoder).expanduser()).is_dir():
        _fail(path, f"{where}.similarity_encoder", f'"base" (the run\'s own pretrained model) or a local model '
              f"directory; {path.parent / Path(encoder).expanduser()} does not exist")
    protocol = params.get("protocol", entry.protocols[0])
    if protocol not in entry.protocols:
        _fail(path, f"{where}.protocol", f"{protocol!r} is not a protocol of {entry.name}; it has: {', '.join(entry.protocols)}")
    for key in ("reference", "reference_seed"):
        if key in params and protocol != "transfer":
            _fail(path, f"{where}.{key}", 'a reference run goes with protocol = "transfer"')
    if protocol != "transfer":
        return
    reference = params.get("reference", "none")
    settings = [intermediate_name(s) for s in spec.grid.intermediate]
    if not isinstance(reference, str) or reference not in settings:
        _fail(path, f"{where}.reference", f"the reference run's intermediate setting {reference!r} is not in "
                                          f"grid.intermediate ({', '.join(settings)})")
    seed = params.get("reference_seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed not in spec.grid.seeds):
        _fail(path, f"{where}.reference_seed", f"{seed!r} is not one of grid.seeds ({', '.join(map(str, spec.grid.seeds))})")


def _same_type(value, default) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _check_model(path: Path, name: str) -> None:
    if name.startswith("builtin:"):
        if name not in BUILTIN_MODELS:
            _fail(path, "grid.base_models", f"unknown built-in model {name!r}; known: {', '.join(BUILTIN_MODELS)}")
        return
    local = (path.parent / name).expanduser()
    if name.startswith((".", "/", "~")) or local.exists():
        if not local.is_dir():
            _fail(path, "grid.base_models", f"model directory {local} does not exist")
        if not (local / "config.json").is_file():
            _fail(path, "grid.base_models", f"{local} has no config.json: not a transformers model directory")
        return
    if not _HUB_ID.match(name):
        _fail(path, "grid.base_models", f"{name!r} is neither a local directory nor a hub id like 'xlm-roberta-base'")
