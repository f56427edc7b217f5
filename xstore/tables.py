"""Paper tables: rows = intermediate settings, columns = languages and their average, cells mean ± std over
seeds, the best cell of each column marked; rendered as booktabs LaTeX, Markdown or CSV.

The values come from the named queries (one value per run); only the roll-up over seeds happens here.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

from xstore import named
from xstore.errors import UserError

AVERAGE = "avg"


@dataclass(frozen=True)
class Metric:
    """A table-able metric: the named query with one value per run, and which direction is better."""

    query: str
    column: str
    better: str  # "lower", "higher", "zero" (closest to 0) or "none" (no best cell)
    label: str
    has_bins: bool = False  # takes $n_bins


METRICS: dict[str, Metric] = {
    "accuracy": Metric("accuracy_by_language", "accuracy", "higher", "accuracy"),
    "confidence": Metric("confidence_by_language", "confidence", "none", "mean max-softmax confidence"),
    "overconfidence": Metric("overconfidence_by_language", "overconfidence", "zero", "over-confidence (confidence - accuracy)"),
    "ece": Metric("ece_by_language", "ece", "lower", "ECE, equal-width bins", True),
    "ece_equal_mass": Metric("ece_equal_mass_by_language", "ece_equal_mass", "lower", "ECE, equal-mass bins", True),
    "mce": Metric("mce_by_language", "mce", "lower", "MCE", True),
    "classwise_ece": Metric("classwise_ece_by_language", "classwise_ece", "lower", "classwise ECE", True),
    "brier": Metric("brier_by_language", "brier", "lower", "Brier score"),
    "nll": Metric("nll_by_language", "nll", "lower", "NLL"),
    "auroc": Metric("auroc_by_language", "auroc", "higher", "AUROC of confidence, correct vs wrong"),
    "aurc": Metric("aurc_by_language", "aurc", "lower", "area under the risk-coverage curve"),
    "attack_success_rate": Metric("attack_success_rate", "success_rate", "lower", "attack success rate"),
    "ece_shift": Metric("ece_perturbed_vs_clean", "ece_shift", "lower", "ECE perturbed - ECE clean", True),
    "confidence_on_successful_attacks": Metric("confidence_on_successful_attacks", "mean_confidence", "lower",
                                               "confidence in wrong answers after a successful attack"),
}
ADVERSARIAL = {"attack_success_rate", "ece_shift", "confidence_on_successful_attacks"}


@dataclass(frozen=True)
class Cell:
    mean: float
    std: Optional[float]  # sample standard deviation (n - 1); None for one seed
    seeds: int


@dataclass
class PaperTable:
    """A metric rolled up over seeds: cells[(row, column)], with the best cell per column in `best`."""

    metric: str
    rows: list[str]
    columns: list[str]  # languages, then AVERAGE
    cells: dict[tuple[str, str], Cell]
    where: dict = field(default_factory=dict)  # base model, target, split, attack, calibration
    delta: bool = False
    min_validity: Optional[float] = None  # only attack x language pairs people judged valid at this share

    def best(self, digits: Optional[int] = None, scale: float = 1.0) -> set[tuple[str, str]]:
        """The best cell(s) of each column by the metric's direction, comparing means as shown with `digits`
        decimals (so that cells that read the same are all marked); ties are all best."""
        better = METRICS[self.metric].better
        if better == "none":
            return set()
        score = {"lower": lambda x: x, "higher": lambda x: -x, "zero": abs}[better]
        out = set()
        for column in self.columns:
            shown = {row: self.cells[(row, column)].mean * scale for row in self.rows if (row, column) in self.cells}
            if digits is not None:
                shown = {row: round(v, digits) for row, v in shown.items()}
            scored = {row: score(v) for row, v in shown.items()}
            if len(scored) > 1:
                top = min(scored.values())
                out |= {(row, column) for row, s in scored.items() if s <= top}
        return out

    @property
    def caption(self) -> str:
        m = METRICS[self.metric]
        what = f"{m.label}, difference from the no-intermediate baseline of the same seed" if self.delta else m.label
        w = self.where
        validated = (f"; languages where people judged at least {self.min_validity:.0%} of the attack's successful "
                     f"perturbations to keep their label (attack_validity)") if self.min_validity is not None else ""
        return (f"{what}: {w['target']} ({w['base_model']}), {w['split']} split, attack {w['attack']}, "
                f"calibration {w['calibration']}{validated}; mean ± std over seeds")


def build(store, metric: str, *, split: str = "test", attack: Optional[str] = None, calibration: str = "none",
          n_bins: int = 10, base_model: Optional[str] = None, target: Optional[str] = None, delta: bool = False,
          languages: Optional[Sequence[str]] = None, settings: Optional[Sequence[str]] = None,
          min_validity: Optional[float] = None) -> PaperTable:
    """Roll a metric up over seeds into a table; `languages` and `settings` fix the column and row order.

    With `min_validity`, an attack's values are kept only in the languages where people judged at least
    that share of its successful perturbations to keep their gold label (`annotations.validated`).
    """
    if metric not in METRICS:
        raise UserError(f"unknown table {metric!r}; choose one of {', '.join(METRICS)}")
    m = METRICS[metric]
    rows = named.run_readonly(store, m.query, {"n_bins": n_bins} if m.has_bins else {}).to_pylist()
    if not rows:
        raise UserError(f"no {metric} values in {store.path}: is the database filled?")
    if attack is None:
        attack = _only({r["attack"] for r in rows}, "attack", "--attack") if metric in ADVERSARIAL else "none"
    where = {"split": split, "attack": attack, "calibration": calibration}
    for column, value in where.items():
        if column in rows[0]:
            present = sorted({r[column] for r in rows})
            if value not in present:
                raise UserError(f"no {metric} values with {column} {value!r}; the database has {', '.join(present)}")
            rows = [r for r in rows if r[column] == value]
    where["base_model"] = base_model or _only({r["base_model"] for r in rows}, "base model", "--base-model")
    where["target"] = target or _only({r["target"] for r in rows}, "target task", "--target")
    rows = [r for r in rows if r["base_model"] == where["base_model"] and r["target"] == where["target"]]
    if not rows:
        raise UserError(f"no {metric} values for base model {where['base_model']!r} and target {where['target']!r}")
    if min_validity is not None and where["attack"] != "none":
        from xstore.annotations import validated

        valid = validated(store, min_validity)
        rows = [r for r in rows if (where["attack"], where["target"], r["language"]) in valid]
        if not rows:
            raise UserError(f"attack {where['attack']!r} is validated in no language at a share of {min_validity}: "
                            "see `xstore query attack_validity`, or import judgements with `xstore annotate import`")
    values = _per_run(rows, m.column)
    if delta:
        values = _deltas(values)
    table = _assemble(metric, values, where, delta, languages, settings)
    table.min_validity = min_validity if where["attack"] != "none" else None
    return table


def _only(values: set, what: str, option: str) -> str:
    if len(values) == 1:
        return next(iter(values))
    raise UserError(f"the database has several of {what}: {', '.join(sorted(values))}; choose one with {option}")


def _per_run(rows: list[dict], column: str) -> dict[tuple[str, str, int], float]:
    """(intermediate, language, seed) -> value, refusing two runs with the same setting and seed."""
    out = {}
    for r in rows:
        key = (r["intermediate"], r["language"], r["seed"])
        if key in out:
            raise UserError(f"two runs of intermediate {key[0]!r}, seed {key[2]} in {key[1]!r} (runs with other "
                            "hyperparameters in the same database?); query them by run_key instead")
        if r[column] is not None and not (isinstance(r[column], float) and math.isnan(r[column])):
            out[key] = float(r[column])
    return out


def _deltas(values: dict) -> dict:
    """Each setting's value minus the no-intermediate baseline of the same language and seed."""
    out = {}
    for (setting, language, seed), value in values.items():
        baseline = values.get(("none", language, seed))
        if setting != "none" and baseline is not None:
            out[(setting, language, seed)] = value - baseline
    if not out:
        raise UserError("no run has a no-intermediate baseline of the same seed to compare with")
    return out


def _language_order(languages) -> list[str]:
    return sorted(languages, key=lambda x: (x != "en", x))  # English, the source language, first


def _assemble(metric, values, where, delta, languages, settings) -> PaperTable:
    present_languages = {lang for _, lang, _ in values}
    columns = [x for x in (languages or _language_order(present_languages)) if x in present_languages]
    present_settings = {s for s, _, _ in values}
    rows = [s for s in (settings or []) if s in present_settings]
    rows += sorted(present_settings - set(rows), key=lambda s: (s != "none", s))
    cells = {}
    for setting in rows:
        for language in columns:
            seeds = [v for (s, lang, _), v in values.items() if s == setting and lang == language]
            if seeds:
                cells[(setting, language)] = _cell(seeds)
        # the average over languages per seed, then over seeds; only seeds with every language count
        by_seed = {}
        for (s, lang, seed), v in values.items():
            if s == setting and lang in columns:
                by_seed.setdefault(seed, []).append(v)
        complete = [sum(vs) / len(vs) for vs in by_seed.values() if len(vs) == len(columns)]
        if complete:
            cells[(setting, AVERAGE)] = _cell(complete)
    return PaperTable(metric, rows, columns + [AVERAGE], cells, where=where, delta=delta)


def _cell(values: list[float]) -> Cell:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return Cell(mean, std, n)


# -- rendering -----------------------------------------------------------------------------------------


def _number(value: float, digits: int, scale: float) -> str:
    text = f"{value * scale:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"


def _cell_text(cell: Optional[Cell], digits: int, scale: float, pm: str) -> str:
    if cell is None:
        return "--"
    text = _number(cell.mean, digits, scale)
    return text if cell.std is None else f"{text}{pm}{_number(cell.std, digits, scale)}"


def _latex_escape(text: str) -> str:
    for char in "\\&%$#_{}":
        text = text.replace(char, "\\" + char)
    return text.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


def to_latex(table: PaperTable, digits: int = 3, percent: bool = False) -> str:
    """A booktabs tabular with a comment line saying what it holds; the best cell per column in bold."""
    scale = 100.0 if percent else 1.0
    header = ["Intermediate"] + [("Avg." if c == AVERAGE else _latex_escape(c)) for c in table.columns]
    best = table.best(digits, scale)
    lines = [f"% {table.caption}" + (" (x100)" if percent else ""),
             f"\\begin{{tabular}}{{l{'c' * len(table.columns)}}}", "\\toprule",
             " & ".join(header) + " \\\\", "\\midrule"]
    for row in table.rows:
        cells = []
        for column in table.columns:
            text = _cell_text(table.cells.get((row, column)), digits, scale, " $\\pm$ ")
            cells.append(f"\\textbf{{{text}}}" if (row, column) in best else text)
        lines.append(" & ".join([_latex_escape(row)] + cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def to_markdown(table: PaperTable, digits: int = 3, percent: bool = False) -> str:
    """A Markdown table with the best cell per column in bold, and the caption in italics below."""
    scale = 100.0 if percent else 1.0
    best = table.best(digits, scale)
    lines = ["| intermediate | " + " | ".join("average" if c == AVERAGE else c for c in table.columns) + " |",
             "|---|" + "|".join("---:" for _ in table.columns) + "|"]
    for row in table.rows:
        cells = []
        for column in table.columns:
            text = _cell_text(table.cells.get((row, column)), digits, scale, " ± ")
            cells.append(f"**{text}**" if (row, column) in best else text)
        lines.append("| " + " | ".join([row.replace("|", "\\|")] + cells) + " |")
    lines += ["", f"*{table.caption}" + (" (x100)" if percent else "") + "*"]
    return "\n".join(lines) + "\n"


def to_csv(table: PaperTable) -> str:
    """One line per intermediate setting: for each column its mean, std and number of seeds, unrounded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = ["average" if c == AVERAGE else c for c in table.columns]
    writer.writerow(["intermediate"] + [f"{n}{suffix}" for n in names for suffix in ("", "_std", "_seeds")])
    for row in table.rows:
        out = [row]
        for column in table.columns:
            cell = table.cells.get((row, column))
            out += ["", "", 0] if cell is None else [repr(cell.mean), "" if cell.std is None else repr(cell.std), cell.seeds]
        writer.writerow(out)
    return buffer.getvalue()


FORMATS = {"latex": to_latex, "markdown": to_markdown, "csv": to_csv}


def render(table: PaperTable, fmt: str, digits: int = 3, percent: bool = False) -> str:
    """The table as LaTeX, Markdown or CSV text."""
    if fmt not in FORMATS:
        raise UserError(f"unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return to_csv(table)
    return FORMATS[fmt](table, digits=digits, percent=percent)
