"""The planner: a spec expands into declared cells; missing cells are one anti-join against `cell`.

A cell's key hashes its kind, its parameters (versions included) and its parents' keys, so a change
anywhere upstream gives new keys downstream, and a stored cell is never computed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import functools

import pyarrow as pa

from xstore.catalog import get_attack, get_task
from xstore.keys import KeyPrefix, content_key
from xstore.spec import Spec, intermediate_name


@dataclass(frozen=True)
class Kind:
    """A cell kind: its code version (part of every key of that kind) and the runner that computes it."""

    name: str
    version: int
    runner: str  # "module:function", imported only when a cell of this kind runs


# In dependency order: a cell's parents are always of an earlier kind.
KINDS: tuple[Kind, ...] = (
    Kind("load", 1, "xstore.runners.load:run"),
    Kind("train_intermediate", 1, "xstore.runners.train:run"),
    Kind("train_target", 1, "xstore.runners.train:run"),
    Kind("predict_clean", 1, "xstore.runners.predict:run"),
    Kind("perturb", 1, "xstore.runners.perturb:run"),
    Kind("predict_perturbed", 1, "xstore.runners.predict:run"),
    Kind("fit_calibration", 1, "xstore.runners.calibrate:run"),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}
KIND_ORDER = {kind.name: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class CellSpec:
    """A declared cell: what to compute (params) and the keys of the cells it reads (parents)."""

    key: str
    kind: str
    params: dict
    parents: dict  # role -> parent key

    def describe(self) -> str:
        p = self.params
        bits = [p.get(name) for name in ("base_model", "intermediate", "task", "attack", "split", "language", "method")]
        seed = f"seed {p['seed']}" if "seed" in p else None
        return " ".join(str(b) for b in [*bits, seed] if b is not None)


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
        self.hparams = {"intermediate": spec.train.intermediate.model_dump(), "target": spec.train.target.model_dump()}
        self.attacks = {a: (get_attack(a), spec.attack_protocol(a), spec.attack_params(a))
                        for a in spec.grid.attacks if a != "none"}
        self.shared: dict[tuple, str] = {}

    def add(self, cell: CellSpec) -> CellSpec:
        return self.cells.setdefault(cell.key, cell)


def declare(spec: Spec) -> list[CellSpec]:
    """Every cell the spec declares, in dependency order."""
    grid, out = spec.grid, _Declared(spec)

    @_memoized
    def load(task_name: str, split: str, language: str) -> str:
        task = get_task(task_name)
        params = {"task": task.name, "task_version": task.version, "split": split, "language": language}
        return out.add(_cell("load", params, {})).key

    for base in grid.base_models:
        for seed in grid.seeds:
            for setting in grid.intermediate:
                inter = _declare_intermediate(spec, out, load, base, setting, seed)
                for target in grid.targets:
                    _declare_target(spec, out, load, base, setting, inter, target, seed)
    return sorted(out.cells.values(), key=lambda c: KIND_ORDER[c.kind])


def _declare_intermediate(spec, out, load, base, setting, seed) -> str | None:
    if setting == "none":
        return None
    tasks = [setting] if isinstance(setting, str) else list(setting)
    parents = {}
    for name in tasks:
        parents[f"train:{name}"] = load(name, "train", "en")
        if "en" in get_task(name).splits.get("dev", ()):
            parents[f"dev:{name}"] = load(name, "dev", "en")
    params = {
        "phase": "intermediate", "base_model": base, "intermediate": intermediate_name(setting),
        "task": intermediate_name(setting), "tasks": tasks, "seed": seed,
        "hparams": out.hparams["intermediate"],
        "task_versions": {name: get_task(name).version for name in tasks},
    }
    return out.add(_cell("train_intermediate", params, parents)).key


def _declare_run(spec, out, load, base, setting, inter_key, target, seed) -> str:
    """The train_target cell of one run (phase 3); returns its key."""
    task = get_task(target)
    parents = {f"train:{target}": load(target, "train", "en")}
    if "en" in task.splits.get("dev", ()):
        parents[f"dev:{target}"] = load(target, "dev", "en")
    if inter_key:
        parents["intermediate"] = inter_key
    params = {
        "phase": "target", "base_model": base, "intermediate": intermediate_name(setting),
        "task": target, "tasks": [target], "seed": seed, "hparams": out.hparams["target"],
        "task_versions": {target: task.version},
    }
    return out.add(_cell("train_target", params, parents)).key


def _declare_perturb(spec, out, load, base, run, target, seed, attack, split, language) -> str:
    """The perturb cell that `run` predicts on for `attack`, under the attack's protocol in the spec.

    Model-independent cells are keyed by attack, budget and data only (shared by every run); transfer
    and per-victim cells also have the attacked run as their `victim` parent.
    """
    entry, protocol, budget = out.attacks[attack]
    shared = (attack, target, split, language)
    if protocol["protocol"] == "model-independent" and shared in out.shared:
        return out.shared[shared]
    params = {"attack": attack, "attack_version": entry.version, "params": budget,
              "task": target, "split": split, "language": language}
    parents = {"examples": load(target, split, language)}
    if protocol["protocol"] != "model-independent":
        if protocol["protocol"] == "per-victim":
            victim = run
        else:  # transfer: the reference run of the same base model and target (and seed, unless one is named)
            setting = next(s for s in spec.grid.intermediate if intermediate_name(s) == protocol["reference"])
            ref_seed = seed if protocol["reference_seed"] is None else protocol["reference_seed"]
            ref_inter = _declare_intermediate(spec, out, load, base, setting, ref_seed)
            victim = _declare_run(spec, out, load, base, setting, ref_inter, target, ref_seed)
        params |= {"protocol": protocol["protocol"], "max_length": spec.predict.max_length}
        parents["victim"] = victim
    key = out.add(_cell("perturb", params, parents)).key
    if protocol["protocol"] == "model-independent":
        out.shared[shared] = key
    return key


def _declare_target(spec, out, load, base, setting, inter_key, target, seed) -> None:
    grid = spec.grid
    run = _declare_run(spec, out, load, base, setting, inter_key, target, seed)
    common = {"base_model": base, "intermediate": intermediate_name(setting), "seed": seed, "task": target}
    shared = {**common, "max_length": spec.predict.max_length}
    # Most cells of a grid are predictions, and a run's predictions share all but a few parameters.
    prefix = KeyPrefix("predict", shared, run)

    def predict(split: str, language: str, attack: str = "none", perturb_key: str | None = None) -> str:
        kind = "predict_clean" if perturb_key is None else "predict_perturbed"
        own = {"split": split, "language": language, "attack": attack, "kind_version": KIND_BY_NAME[kind].version}
        parents = ({"run": run, "examples": load(target, split, language)} if perturb_key is None
                   else {"run": run, "perturbations": perturb_key})
        key = prefix.key(kind, own["kind_version"], split, language, attack, *parents.values())
        if key not in out.cells:
            out.cells[key] = CellSpec(key, kind, {**shared, **own}, parents)
        return key

    for split in spec.predict.eval_splits:
        for language in grid.languages:
            predict(split, language)
            for attack in grid.attacks:
                if attack == "none":
                    continue
                perturb = _declare_perturb(spec, out, load, base, run, target, seed, attack, split, language)
                predict(split, language, attack, perturb)
    for method in grid.calibration:
        if method == "none":
            continue
        # Zero-shot transfer has no target-language labels: fit on English dev only. The oracle fits on each
        # language's own dev set, which zero-shot transfer never has: an upper bound, not a method.
        fit_languages = grid.languages if method == "temperature-oracle" else ["en"]
        for fit_language in fit_languages:
            fit_on = predict("dev", fit_language)
            params = {**common, "method": method, "fit_split": "dev", "fit_language": fit_language}
            out.add(_cell("fit_calibration", params, {"run": run, "predictions": fit_on}))


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
