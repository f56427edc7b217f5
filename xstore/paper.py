"""The paper's summary table (Phang et al. 2020, Table 1): rows intermediate settings, columns XTREME targets and
their average, and two rows for the best setting per target, chosen on English dev and (as an oracle) on test."""

from __future__ import annotations

from typing import Optional, Sequence

from xstore import named, tables
from xstore.errors import UserError
from xstore.tables import AVERAGE, Cell, PaperTable, _assemble, _cell, _deltas, _only

# XTREME's nine targets as the catalogue names them, in the order of Hu et al. 2020's Table 1 (classification,
# structured prediction, QA, retrieval).
XTREME_TARGETS = ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba")
ZERO_SHOT, ORACLE = "best on English dev", "oracle: best on target test"
_RULES = {"english-dev": ZERO_SHOT, "oracle": ORACLE}


def build(store, table: str, **options) -> PaperTable:
    """Any paper table: `xtreme` here, every other one by `xstore.tables.build` (same options)."""
    if table != "xtreme":
        return tables.build(store, table, **options)
    keep = {k: options[k] for k in ("split", "base_model", "delta", "settings") if k in options}
    return build_xtreme(store, **keep)


def build_xtreme(store, *, split: str = "test", base_model: Optional[str] = None, delta: bool = False,
                 settings: Optional[Sequence[str]] = None) -> PaperTable:
    """Clean scores per run averaged over each target's languages (task_score_by_language), rolled up over seeds;
    the average column is XTREME's, over the targets present (seeds with every target only); the caption names
    the XTREME targets missing. With `delta`, differences from the no-intermediate run of the same seed."""
    rows = [r for r in named.run_readonly(store, "task_score_by_language").to_pylist()
            if r["split"] == split and r["attack"] == "none"]
    if not rows:
        raise UserError(f"no clean task scores on the {split!r} split in {store.path}: is the database filled?")
    base = base_model or _only({r["base_model"] for r in rows}, "base model", "--base-model")
    rows = [r for r in rows if r["base_model"] == base]
    per_run: dict[tuple, list[float]] = {}
    for r in rows:  # each run's target score averaged over its languages (XTREME's per-task score)
        per_run.setdefault(((r["intermediate"], r["variant"], "none"), r["target"], r["seed"]), []).append(r["score"])
    values = {key: sum(v) / len(v) for key, v in per_run.items()}
    if delta:
        values = _deltas(values)
    present = {target for _, target, _ in values}
    order = [t for t in XTREME_TARGETS if t in present] + sorted(present - set(XTREME_TARGETS))
    table = _assemble("xtreme", values, {"split": split, "calibration": "none", "attack": "none",
                                         "base_model": base, "target": "XTREME targets"}, delta, order, settings)
    table.percent_scale = 1.0  # XTREME's scores are on a 0-100 scale already
    _add_choices(store, table, values, base, split, delta)
    missing = [t for t in XTREME_TARGETS if t not in present]
    if missing:
        table.note = "; ".join(filter(None, [table.note, f"XTREME targets not in the database: {', '.join(missing)}"]))
    return table


def _add_choices(store, table: PaperTable, values: dict, base: str, split: str, delta: bool) -> None:
    """The rows of the two selection rules (best_intermediate): per target, the chosen setting's cell."""
    chosen = {}
    for r in named.run_readonly(store, "best_intermediate", {"split": split}).to_pylist():
        if r["base_model"] == base and r["variant"] == "default":
            chosen[(_RULES[r["rule"]], r["target"])] = r["intermediate"]
    notes = []
    for rule in (ZERO_SHOT, ORACLE):
        picks = {t: chosen[(rule, t)] for t in table.columns if (rule, t) in chosen}
        if not picks:
            continue
        for target, setting in picks.items():
            seeds = [v for ((s, variant, _), t, _), v in values.items() if s == setting and t == target
                     and variant == "default"]
            if delta and setting == "none":  # the baseline's difference from itself
                seeds = [0.0]
            if seeds:
                table.cells[(rule, target)] = _cell(seeds)
        covered = [table.cells[(rule, t)].mean for t in table.columns if (rule, t) in table.cells]
        if len(covered) == len(table.columns) - 1:  # every target: the average of the chosen cells' means
            table.cells[(rule, AVERAGE)] = Cell(sum(covered) / len(covered), None, 1)
        table.rows.append(rule)
        table.unranked.add(rule)
        notes.append(f"{rule}: " + ", ".join(f"{t} {s}" for t, s in picks.items()))
    table.note = "; ".join(notes)
