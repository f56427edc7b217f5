"""The planner: a spec expands into declared cells; missing cells are one anti-join against `cell`.

A cell's key hashes its kind, its parameters (versions included) and its parents' keys, so a change
anywhere upstream gives new keys downstream, and a stored cell is never computed twice.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from dataclasses import dataclass
from typing import Iterable

import pyarrow as pa

from xstore import alternatives
from xstore.catalog import get_attack, get_task
from xstore.cells import KIND_BY_NAME, KIND_ORDER, KINDS
from xstore.keys import KeyPrefix, KeyTemplate, Slot, content_key
from xstore.runners.attacks import negation
from xstore.spec import Spec, intermediate_name
from xstore.tasks.translated import base_task


class CellSpec:
    """A declared cell: what to compute (params) and the keys of the cells it reads (parents).

    A plain class with slots rather than a frozen dataclass: a 100,000-cell grid creates one per cell,
    and the frozen dataclass's __init__ costs three times as much.
    """

    __slots__ = ("key", "kind", "params", "parents")

    def __init__(self, key: str, kind: str, params: dict, parents: dict) -> None:
        self.key, self.kind, self.params, self.parents = key, kind, params, parents

    def __eq__(self, other) -> bool:
        return isinstance(other, CellSpec) and (self.key, self.kind, self.params, self.parents) == (
            other.key, other.kind, other.params, other.parents)

    def __repr__(self) -> str:
        return f"CellSpec(key={self.key!r}, kind={self.kind!r}, params={self.params!r}, parents={self.parents!r})"

    def describe(self) -> str:
        p = self.params
        bits = [p.get(name) for name in ("base_model", "intermediate", "task", "attack", "split", "language", "method")]
        seed = f"seed {p['seed']}" if "seed" in p else None
        # a perturb cell: its protocol and budget, which tell several settings of one attack apart
        budget = [p.get("protocol"), *(f"{k}={v}" for k, v in p.get("params", {}).items())] if self.kind == "perturb" else []
        return " ".join(str(b) for b in [*bits, seed, *budget] if b is not None)


def _cell(kind: str, params: dict, parents: dict) -> CellSpec:
    params = {**params, "kind_version": KIND_BY_NAME[kind].version}
    return CellSpec(content_key(kind, params, parents), kind, params, parents)


def _memoized(function):
    """Cache a declaring function by its arguments: shared parents are asked for many times."""
    return functools.lru_cache(maxsize=None)(function)


class _Declared:
    """Collects cells, keeping the first of equal keys (shared parents are declared many times).

    It also remembers what every cell of a kind repeats (hyperparameters, an attack's budget and
    protocol, shared perturbations), so a 100,000-cell grid hashes each cell once and little else.
    """

    def __init__(self, spec: Spec) -> None:
        self.cells: dict[str, CellSpec] = {}
        # Target hyperparameters: one dict per run variant ([train.target] variants), in spec order.
        self.hparams = {"intermediate": spec.train.intermediate.model_dump(),
                        "target": [v.model_dump() for v in spec.train.target.variant_settings()]}
        # Cells that differ only in their seed and parent keys share a KeyTemplate: encoded once, not per cell.
        self.templates: dict[tuple, tuple[KeyTemplate, str, dict, dict]] = {}
        # Per attack, each of its settings ([attacks.NAME] settings): (catalogue entry, protocol, budget).
        self.attacks = {a: [(get_attack(a), protocol, budget) for protocol, budget in spec.attack_settings(a)]
                        for a in spec.grid.attacks if a != "none"}
        self.shared: dict[tuple, str] = {}
        self.layouts: dict[str, list[tuple]] = {}

    @functools.lru_cache(maxsize=None)
    def predict_head(self, kind: str, split: str, language: str, attack: str) -> tuple[str, dict]:
        """The key text (KeyPrefix.head) and own params of predict cells of one kind, split, language and attack."""
        version = KIND_BY_NAME[kind].version
        own = {"split": split, "language": language, "attack": attack, "kind_version": version}
        return KeyPrefix.head(kind, version, split, language, attack), own

    def prediction_layout(self, spec: Spec, load, target: str) -> list[tuple]:
        """Per evaluated split and language of `target`: its examples' load key, the clean prediction's key
        head and params, and the same for each attack setting. The same for every run of the target: built once."""
        if target not in self.layouts:
            attacks = [(attack, setting) for attack in spec.grid.attacks if attack != "none"
                       for setting in range(len(self.attacks[attack]))]
            self.layouts[target] = [
                (split, language, load(target, split, language), *self.predict_head("predict_clean", split, language, "none"),
                 [(attack, setting, *self.predict_head("predict_perturbed", split, language, attack))
                  for attack, setting in attacks])
                for split in spec.predict.eval_splits for language in spec.languages_for(target, split)
            ]
        return self.layouts[target]

    def add(self, cell: CellSpec) -> CellSpec:
        return self.cells.setdefault(cell.key, cell)

    def template(self, name: tuple, kind: str, params: dict, parents: dict) -> tuple:
        """A key template for cells of `kind` with these params (plus a seed) and parents (some of them slots)."""
        params = {**params, "seed": Slot("seed"), "kind_version": KIND_BY_NAME[kind].version}
        self.templates[name] = entry = (KeyTemplate(kind, params, parents), kind, params, parents)
        return entry

    def add_from(self, template: tuple, values: dict, parent_values: dict) -> str:
        """Add the cell of `template` with these param and parent values; returns its key."""
        keys, kind, params, parents = template
        key = keys.key(**values, **parent_values)
        if key not in self.cells:
            self.cells[key] = CellSpec(key, kind, {**params, **values}, {**parents, **parent_values})
        return key


@contextlib.contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector. Declaring and planning allocate a few objects per cell and free
    none of them, so the collector would walk the growing heap again and again for nothing: a fifth of
    the time at 100,000 cells. The objects hold no reference cycles; reference counting frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def declare(spec: Spec) -> list[CellSpec]:
    """Every cell the spec declares, in dependency order."""
    with _no_cyclic_gc():
        return _declare(spec)


def _declare(spec: Spec) -> list[CellSpec]:
    grid, out = spec.grid, _Declared(spec)

    @_memoized
    def load(task_name: str, split: str, language: str) -> str:
        task = get_task(task_name)
        params = {"task": task.name, "task_version": task.version, "split": split, "language": language}
        return out.add(_cell("load", params, {})).key

    for base in grid.base_models:
        for seed in grid.seeds:
            for setting in grid.intermediate:
                inter = _declare_train_intermediate(spec, out, load, base, setting, seed)
                for target in grid.targets:
                    for variant in range(len(out.hparams["target"])):
                        run = _declare_train_target(spec, out, load, base, setting, inter, target, seed, variant)
                        _declare_predictions_and_fits(spec, out, load, base, setting, run, target, seed, variant)
    return sorted(out.cells.values(), key=lambda c: KIND_ORDER[c.kind])


def _declare_train_intermediate(spec, out, load, base, setting, seed) -> str | None:
    """The train_intermediate cell of one setting and seed (phase 2); returns its key, None for "none"."""
    if setting == "none":
        return None
    name = intermediate_name(setting)
    template = out.templates.get(("train_intermediate", base, name))
    if template is None:  # what every seed's cell shares, encoded once
        tasks = alternatives.components(setting)
        # the alternatives' extra params ("mlm", "translated") only where they are used, so plain keys hold
        roles, extra = alternatives.training_inputs(spec, tasks)
        parents = {role: out.add(_cell("load", load_params, {})).key for role, load_params in roles.items()}
        params = {
            "phase": "intermediate", "base_model": base, "intermediate": name, "task": name, "tasks": tasks,
            "hparams": out.hparams["intermediate"], **extra,
            "task_versions": {base_task(task): get_task(base_task(task)).version for task in tasks if task != alternatives.MLM},
        }
        template = out.template(("train_intermediate", base, name), "train_intermediate", params, parents)
    return out.add_from(template, {"seed": seed}, {})


def _declare_train_target(spec, out, load, base, setting, inter_key, target, seed, variant) -> str:
    """The train_target cell of one run (phase 3) in its `variant` (an index into the target variants); returns its key."""
    name = intermediate_name(setting)
    template = out.templates.get(("train_target", base, name, target, variant))
    if template is None:  # what every seed's cell shares, encoded once
        task = get_task(target)
        parents = {}
        if task.head != "retrieval":  # retrieval targets have no training data: the encoder is used as it is
            parents[f"train:{target}"] = load(target, "train", "en")
            if "en" in task.splits.get("dev", ()):
                parents[f"dev:{target}"] = load(target, "dev", "en")
        if setting != "none":
            parents["intermediate"] = Slot("intermediate")
        params = {
            "phase": "target", "base_model": base, "intermediate": name, "task": target, "tasks": [target],
            "hparams": out.hparams["target"][variant], "task_versions": {target: task.version},
        }
        template = out.template(("train_target", base, name, target, variant), "train_target", params, parents)
    return out.add_from(template, {"seed": seed}, {"intermediate": inter_key} if inter_key else {})


def _declare_perturb(spec, out, load, base, run, target, seed, variant, attack, setting, split, language) -> str:
    """The perturb cell that `run` predicts on for the `setting`-th setting of `attack` (its protocol and budget).

    Model-independent cells are keyed by attack, setting, budget and data only (shared by every run; by base
    model too when they check meaning with the run's own encoder); transfer and per-victim cells also have
    the attacked run as their `victim` parent. A transfer reference run is of the evaluated run's own
    variant. The language's negation list version is in every key.
    """
    entry, protocol, budget = out.attacks[attack][setting]
    own_encoder = budget.get("similarity_threshold", 0) > 0 and budget.get("similarity_encoder") == "base"
    shared = (attack, setting, target, split, language, base if own_encoder else None)
    if protocol["protocol"] == "model-independent" and shared in out.shared:
        return out.shared[shared]
    params = {"attack": attack, "attack_version": entry.version, "params": budget,
              "task": target, "split": split, "language": language, "negation": negation.version(language)}
    if protocol["protocol"] == "model-independent" and own_encoder:
        params["similarity_base_model"] = base
    parents = {"examples": load(target, split, language)}
    if protocol["protocol"] != "model-independent":
        if protocol["protocol"] == "per-victim":
            victim = run
        else:  # transfer: the reference run of the same base model and target (and seed, unless one is named)
            reference = next(s for s in spec.grid.intermediate if intermediate_name(s) == protocol["reference"])
            ref_seed = seed if protocol["reference_seed"] is None else protocol["reference_seed"]
            ref_inter = _declare_train_intermediate(spec, out, load, base, reference, ref_seed)
            victim = _declare_train_target(spec, out, load, base, reference, ref_inter, target, ref_seed, variant)
        params |= {"protocol": protocol["protocol"], "max_length": spec.predict.max_length or get_task(target).max_length}
        parents["victim"] = victim
    key = out.add(_cell("perturb", params, parents)).key
    if protocol["protocol"] == "model-independent":
        out.shared[shared] = key
    return key


def _declare_predictions_and_fits(spec, out, load, base, setting, run, target, seed, variant) -> None:
    """The predict_clean, perturb, predict_perturbed and fit_calibration cells of target run `run` (of the
    `variant`-th target variant: a transfer reference run is of the same variant)."""
    grid = spec.grid
    common = {"base_model": base, "intermediate": intermediate_name(setting), "seed": seed, "task": target}
    shared = {**common, "max_length": spec.predict.max_length or get_task(target).max_length}
    # Most cells of a grid are predictions, and a run's predictions share all but a few parameters:
    # the shared part is hashed once per run (KeyPrefix), each prediction adds its own fields.
    prefix = KeyPrefix("predict", shared, run)
    cells, tail = out.cells, run + "\x1f"

    def predict(split: str, language: str, attack: str = "none", perturb_key: str | None = None) -> str:
        if perturb_key is None:
            kind, role, parent = "predict_clean", "examples", load(target, split, language)
        else:
            kind, role, parent = "predict_perturbed", "perturbations", perturb_key
        head, own = out.predict_head(kind, split, language, attack)
        key = prefix.key_from(head + tail, parent)
        if key not in cells:
            cells[key] = CellSpec(key, kind, {**shared, **own}, {"run": run, role: parent})
        return key

    # The loop below is predict() inlined, over what is the same for every run of the target: it runs
    # once per prediction cell of the grid.
    for split, language, examples, head, own, attacks in out.prediction_layout(spec, load, target):
        key = prefix.key_from(head + tail, examples)
        if key not in cells:
            cells[key] = CellSpec(key, "predict_clean", {**shared, **own}, {"run": run, "examples": examples})
        for attack, attack_setting, perturbed_head, perturbed_own in attacks:
            perturb = _declare_perturb(spec, out, load, base, run, target, seed, variant, attack, attack_setting,
                                       split, language)
            key = prefix.key_from(perturbed_head + tail, perturb)
            if key not in cells:
                cells[key] = CellSpec(key, "predict_perturbed", {**shared, **perturbed_own},
                                      {"run": run, "perturbations": perturb})
    for method in grid.calibration:
        if method == "none":
            continue
        # Zero-shot transfer has no target-language labels: fit on English dev only. The oracle fits on each
        # language's own dev set, which zero-shot transfer never has: an upper bound, not a method.
        evaluated = {lang for split in spec.predict.eval_splits for lang in spec.languages_for(target, split)}
        fit_languages = sorted(evaluated) if method == "temperature-oracle" else ["en"]
        for fit_language in fit_languages:
            fit_on = predict("dev", fit_language)
            template = out.templates.get(("fit_calibration", base, common["intermediate"], target, method, fit_language))
            if template is None:
                params = {**common, "method": method, "fit_split": "dev", "fit_language": fit_language}
                del params["seed"]
                template = out.template(("fit_calibration", base, common["intermediate"], target, method, fit_language),
                                        "fit_calibration", params, {"run": Slot("run"), "predictions": Slot("predictions")})
            out.add_from(template, {"seed": seed}, {"run": run, "predictions": fit_on})


# -- comparing with the database -----------------------------------------------------------------


def declared_table(cells: Iterable[CellSpec]) -> pa.Table:
    """The declared cells' keys as an Arrow table, for registering in DuckDB."""
    return pa.table({"key": pa.array([c.key for c in cells], pa.string())})


@dataclass
class Plan:
    """Declared cells split into done, failed (a failure row and no result) and missing."""

    cells: list[CellSpec]
    done: set[str]
    failed: set[str]

    @property
    def missing(self) -> list[CellSpec]:
        return [c for c in self.cells if c.key not in self.done]

    def counts(self) -> dict[str, dict[str, int]]:
        out = {k.name: {"declared": 0, "done": 0, "failed": 0, "missing": 0} for k in KINDS}
        for c in self.cells:
            row = out[c.kind]
            row["declared"] += 1
            if c.key in self.done:
                row["done"] += 1
            else:
                row["missing"] += 1
                row["failed"] += c.key in self.failed
        return {kind: row for kind, row in out.items() if row["declared"]}


def plan(con, cells: list[CellSpec]) -> Plan:
    """Split declared cells into done, failed and missing with one anti-join against `cell`."""
    with _no_cyclic_gc():
        return _plan(con, cells)


def _plan(con, cells: list[CellSpec]) -> Plan:
    con.register("declared", declared_table(cells))
    try:
        missing = con.execute(
            """SELECT d.key, f.cell_key IS NOT NULL AS failed
               FROM declared d
               ANTI JOIN cell c ON c.key = d.key
               LEFT JOIN (SELECT DISTINCT cell_key FROM failure) f ON f.cell_key = d.key"""
        ).fetchall()
    finally:
        con.unregister("declared")
    missing_keys = {key for key, _ in missing}
    done = {c.key for c in cells} - missing_keys
    return Plan(cells=cells, done=done, failed={key for key, failed in missing if failed})
