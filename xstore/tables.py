"""Paper tables: rows = intermediate settings, columns = languages and their average, cells mean ± std over
seeds, the best cell of each column marked; rendered as booktabs LaTeX, Markdown or CSV.

The values come from the named queries (one value per run); only the roll-up over seeds happens here. Where
the selected runs hold several run variants or attack settings, each gets rows of its own ("demo-sentiment /
label_smoothing=0.1", "none / charnoise[rate=0.05]"): configurations are never rolled up together.
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
    "changed_share": Metric("attack_success_rate", "changed_share", "none",
                            "share of attacked inputs whose text the attack changed"),
    # The paper's own results (Phang et al. 2020, Table 1 and the appendix): each target by its XTREME metric, 0-100.
    "task_score": Metric("task_score_by_language", "score", "higher", "XTREME task score (0-100)"),
    "xtreme": Metric("task_score_by_language", "score", "higher",
                     "XTREME score, each target averaged over its languages, then over targets (0-100)"),
}
ADVERSARIAL = {"attack_success_rate", "ece_shift", "confidence_on_successful_attacks", "changed_share"}
# Named queries that can keep only the inputs an attack changed ($changed_only).
_CHANGED_ONLY = {"attack_success_rate", "ece_perturbed_vs_clean", "confidence_on_successful_attacks"}
ALL_ATTACKS = "all"


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
    row_header: str = "intermediate"  # what a row is: "intermediate", with " / variant" and " / attack" as needed
    unranked: set = field(default_factory=set)  # rows left out of the best-cell marking (selection rules)
    note: str = ""  # a sentence added to the caption
    percent_scale: float = 100.0  # what --percent multiplies by: 1 for scores already on a 0-100 scale
    min_validity: Optional[float] = None  # only attack settings x languages people judged valid at this share

    def best(self, digits: Optional[int] = None, scale: float = 1.0) -> set[tuple[str, str]]:
        """The best cell(s) of each column by the metric's direction, comparing means as shown with `digits`
        decimals (so that cells that read the same are all marked); ties are all best."""
        better = METRICS[self.metric].better
        if better == "none":
            return set()
        score = {"lower": lambda x: x, "higher": lambda x: -x, "zero": abs}[better]
        out = set()
        for column in self.columns:
            shown = {row: self.cells[(row, column)].mean * scale for row in self.rows
                     if (row, column) in self.cells and row not in self.unranked}
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
        changed = ", only inputs the attack changed" if w.get("changed_only") else ""
        validated = (f"; languages where people judged at least {self.min_validity:.0%} of the attack's successful "
                     f"perturbations to keep their label (attack_validity)") if self.min_validity is not None else ""
        return (f"{what}: {w['target']} ({w['base_model']}), {w['split']} split, attack {w['attack']}{changed}, "
                f"calibration {w['calibration']}{validated}; mean ± std over seeds"
                + (f". {self.note}" if self.note else ""))


def build(store, metric: str, *, split: str = "test", attack: Optional[str] = None, calibration: str = "none",
          n_bins: int = 10, base_model: Optional[str] = None, target: Optional[str] = None, delta: bool = False,
          languages: Optional[Sequence[str]] = None, settings: Optional[Sequence[str]] = None,
          changed_only: bool = False, min_validity: Optional[float] = None) -> PaperTable:
    """Roll a metric up over seeds into a table; `languages` and `settings` fix the column and row order.

    `attack`: "none" (clean inputs; the default for clean metrics), an attack setting as the queries label it,
    an attack's name (all its settings), or "all" (the default for adversarial metrics); several attack
    settings, like several run variants, get rows of their own. `changed_only`: adversarial metrics over the
    inputs the attack changed only. `min_validity`: an attack setting's values are kept only in the languages
    where people judged at least that share of its successful perturbations to keep their gold label
    (`annotations.validated`).
    """
    if metric == "xtreme":  # columns are targets, not languages: xstore.paper builds it
        raise UserError("the xtreme table is built by xstore.paper.build")
    if metric not in METRICS:
        raise UserError(f"unknown table {metric!r}; choose one of {', '.join(METRICS)}")
    m = METRICS[metric]
    params = {"n_bins": n_bins} if m.has_bins else {}
    if changed_only:
        if m.query not in _CHANGED_ONLY:
            raise UserError(f"--changed-only applies to the adversarial tables ({', '.join(sorted(ADVERSARIAL))})")
        params["changed_only"] = True
    rows = named.run_readonly(store, m.query, params).to_pylist()
    if not rows:
        raise UserError(f"no {metric} values in {store.path}: is the database filled?")
    where = {"split": split, "calibration": calibration}
    for column, value in where.items():
        if column in rows[0]:
            present = sorted({r[column] for r in rows})
            if value not in present:
                raise UserError(f"no {metric} values with {column} {value!r}; the database has {', '.join(present)}")
            rows = [r for r in rows if r[column] == value]
    rows, where["attack"] = _attack_rows(rows, metric, attack)
    where["changed_only"] = changed_only
    where["base_model"] = base_model or _only({r["base_model"] for r in rows}, "base model", "--base-model")
    where["target"] = target or _only({r["target"] for r in rows}, "target task", "--target")
    rows = [r for r in rows if r["base_model"] == where["base_model"] and r["target"] == where["target"]]
    if not rows:
        raise UserError(f"no {metric} values for base model {where['base_model']!r} and target {where['target']!r}")
    if min_validity is not None and where["attack"] != "none":
        from xstore.annotations import validated

        valid = validated(store, min_validity)
        rows = [r for r in rows if (r["attack"], where["target"], r["language"]) in valid]
        if not rows:
            raise UserError(f"attack {where['attack']} is validated in no language at a share of {min_validity}: "
                            "see `xstore query attack_validity`, or import judgements with `xstore annotate import`")
        where["attack"] = ", ".join(sorted({r["attack"] for r in rows}))  # the settings kept
    values = _per_run(rows, m.column)
    if delta:
        values = _deltas(values)
    table = _assemble(metric, values, where, delta, languages, settings)
    if metric == "task_score":
        table.percent_scale = 1.0  # XTREME's scores are on a 0-100 scale already
    table.min_validity = min_validity if where["attack"] != "none" else None
    return table


def _attack_rows(rows: list[dict], metric: str, attack: Optional[str]) -> tuple[list[dict], str]:
    """The rows of the chosen attack setting(s), and how the caption names them."""
    present = sorted({r["attack"] for r in rows})
    if attack is None:
        attack = ALL_ATTACKS if metric in ADVERSARIAL else "none"
    if attack == ALL_ATTACKS:
        chosen = set(present)
    elif attack in present:
        chosen = {attack}
    else:  # an attack's name: every setting of it
        chosen = {label for label in present if label.split("[", 1)[0] == attack}
    if not chosen:
        raise UserError(f"no {metric} values with attack {attack!r}; the database has {', '.join(present)}")
    return [r for r in rows if r["attack"] in chosen], ", ".join(sorted(chosen))


def _only(values: set, what: str, option: str) -> str:
    if len(values) == 1:
        return next(iter(values))
    raise UserError(f"the database has several of {what}: {', '.join(sorted(values))}; choose one with {option}")


def _per_run(rows: list[dict], column: str) -> dict[tuple[tuple, str, int], float]:
    """((intermediate, variant, attack), language, seed) -> value, refusing two runs of one configuration and seed."""
    out = {}
    for r in rows:
        key = ((r["intermediate"], r.get("variant", "default"), r["attack"]), r["language"], r["seed"])
        if key in out:
            raise UserError(f"two runs of intermediate {key[0][0]!r}, variant {key[0][1]!r}, seed {key[2]} in "
                            f"{key[1]!r}; query them by run_key instead")
        if r[column] is not None and not (isinstance(r[column], float) and math.isnan(r[column])):
            out[key] = float(r[column])
    return out


def _deltas(values: dict) -> dict:
    """Each setting's value minus the no-intermediate baseline of the same variant, attack, language and seed."""
    out = {}
    for ((setting, variant, attack), language, seed), value in values.items():
        baseline = values.get((("none", variant, attack), language, seed))
        if setting != "none" and baseline is not None:
            out[((setting, variant, attack), language, seed)] = value - baseline
    if not out:
        raise UserError("no run has a no-intermediate baseline of the same seed to compare with")
    return out


def _language_order(languages) -> list[str]:
    return sorted(languages, key=lambda x: (x != "en", x))  # English, the source language, first


def _assemble(metric, values, where, delta, languages, settings) -> PaperTable:
    present_languages = {lang for _, lang, _ in values}
    columns = [x for x in (languages or _language_order(present_languages)) if x in present_languages]
    configurations = {c for c, _, _ in values}
    order = {s: i for i, s in enumerate(settings or [])}
    ordered = sorted(configurations, key=lambda c: (c[0] not in order, order.get(c[0], 0), c[0] != "none", c[0],
                                                    c[1] != "default", c[1], c[2] != "none", c[2]))
    # a row names its intermediate setting, and its variant and attack setting where the table holds several
    shown = [i for i in (1, 2) if len({c[i] for c in configurations}) > 1]
    label = {c: " / ".join([c[0], *(c[i] for i in shown)]) for c in ordered}
    cells = {}
    for configuration in ordered:
        row = label[configuration]
        for language in columns:
            seeds = [v for (c, lang, _), v in values.items() if c == configuration and lang == language]
            if seeds:
                cells[(row, language)] = _cell(seeds)
        # the average over languages per seed, then over seeds; only seeds with every language count
        by_seed = {}
        for (c, lang, seed), v in values.items():
            if c == configuration and lang in columns:
                by_seed.setdefault(seed, []).append(v)
        complete = [sum(vs) / len(vs) for vs in by_seed.values() if len(vs) == len(columns)]
        if complete:
            cells[(row, AVERAGE)] = _cell(complete)
    header = " / ".join(["intermediate", *({1: "variant", 2: "attack"}[i] for i in shown)])
    return PaperTable(metric, [label[c] for c in ordered], columns + [AVERAGE], cells, where=where, delta=delta,
                      row_header=header)


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
    scale = table.percent_scale if percent else 1.0
    header = [_latex_escape(table.row_header.capitalize())] + [("Avg." if c == AVERAGE else _latex_escape(c))
                                                                for c in table.columns]
    best = table.best(digits, scale)
    lines = [f"% {table.caption}" + (" (x100)" if percent and scale != 1.0 else ""),
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
    scale = table.percent_scale if percent else 1.0
    best = table.best(digits, scale)
    lines = [f"| {table.row_header} | " + " | ".join("average" if c == AVERAGE else c for c in table.columns) + " |",
             "|---|" + "|".join("---:" for _ in table.columns) + "|"]
    for row in table.rows:
        cells = []
        for column in table.columns:
            text = _cell_text(table.cells.get((row, column)), digits, scale, " ± ")
            cells.append(f"**{text}**" if (row, column) in best else text)
        lines.append("| " + " | ".join([row.replace("|", "\\|")] + cells) + " |")
    lines += ["", f"*{table.caption}" + (" (x100)" if percent and scale != 1.0 else "") + "*"]
    return "\n".join(lines) + "\n"


def to_csv(table: PaperTable) -> str:
    """One line per intermediate setting: for each column its mean, std and number of seeds, unrounded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = ["average" if c == AVERAGE else c for c in table.columns]
    writer.writerow([table.row_header] + [f"{n}{suffix}" for n in names for suffix in ("", "_std", "_seeds")])
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
