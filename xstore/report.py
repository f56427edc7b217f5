"""A one-page report of a whole database, in Markdown or HTML: what it holds, the calibration tables (clean,
post-hoc calibrated, attacked), the differences from the no-intermediate baseline, and reliability diagrams.

Every number comes from a named query through `xstore.tables`; the report only arranges them.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import datetime
from pathlib import Path
from typing import Optional

from xstore import named, tables
from xstore.errors import UserError

CLEAN_METRICS = ("accuracy", "ece", "overconfidence", "brier", "nll", "auroc")
# changed_share first: the other figures of an attack count the inputs it left as they were, too.
ADVERSARIAL_METRICS = ("changed_share", "attack_success_rate", "ece_shift", "confidence_on_successful_attacks")


def _facts(store) -> dict:
    sql = """SELECT
        (SELECT count(*) FROM training_run WHERE phase = 'target') AS runs,
        (SELECT count(*) FROM prediction) AS predictions,
        (SELECT list(DISTINCT base_model ORDER BY base_model) FROM training_run WHERE phase = 'target') AS base_models,
        (SELECT list(DISTINCT task ORDER BY task) FROM training_run WHERE phase = 'target') AS targets,
        (SELECT list(DISTINCT intermediate ORDER BY intermediate) FROM training_run WHERE phase = 'target') AS settings,
        (SELECT list(DISTINCT seed ORDER BY seed) FROM training_run WHERE phase = 'target') AS seeds,
        (SELECT list(DISTINCT variant ORDER BY variant) FROM target_run) AS variants,
        (SELECT list(DISTINCT language ORDER BY language) FROM prediction) AS languages,
        (SELECT list(DISTINCT split ORDER BY split) FROM prediction) AS splits,
        (SELECT list(DISTINCT attack ORDER BY attack) FROM calibrated_prediction WHERE calibration = 'none') AS attacks,
        (SELECT list(DISTINCT method ORDER BY method) FROM calibration_fit) AS calibrations"""
    return named.run_readonly(store, None, sql=sql).to_pylist()[0]


def _section(title: str, body: list[str]) -> list[str]:
    return [f"## {title}", ""] + body + [""]


def _table(store, metric: str, base_model: str, target: str, split: str, **options) -> Optional[str]:
    """The metric's Markdown table, or None when the database has nothing for it."""
    try:
        table = tables.build(store, metric, base_model=base_model, target=target, split=split, **options)
    except UserError:
        return None
    return f"**{metric}**\n\n" + tables.to_markdown(table)


def build_markdown(store, figures_dir: Optional[Path] = None, n_bins: int = 10, split: str = "test") -> tuple[str, list[Path]]:
    """The report as Markdown text, and the figure files it links to (drawn into `figures_dir`, if given)."""
    # Checked once here, as each query would: the report leaves out what fails, and a bad n_bins fails them all.
    n_bins = named.get("reliability_bins").params["n_bins"].cast(n_bins)
    facts = _facts(store)
    if not facts["predictions"]:
        raise UserError(f"{store.path} holds no predictions yet: run `xstore fill` first")
    if split not in facts["splits"]:
        split = facts["splits"][0]
    lines = [f"# xstore report: {store.path.name}", "",
             f"{store.path}, {datetime.now():%Y-%m-%d %H:%M}. {facts['runs']} target runs, "
             f"{facts['predictions']:,} predictions. Base models: {', '.join(facts['base_models'])}. "
             f"Targets: {', '.join(facts['targets'])}. Intermediate settings: {', '.join(facts['settings'])}. "
             f"Run variants: {', '.join(facts['variants'])}. "
             f"Seeds: {', '.join(map(str, facts['seeds']))}. Languages: {', '.join(facts['languages'])}. "
             f"Attacks: {', '.join(facts['attacks'])}. Post-hoc calibration: "
             f"{', '.join(['none', *(facts['calibrations'] or [])])}.", "",
             f"Cells are mean ± standard deviation over seeds on the {split} split; the best cell per column is in "
             "bold; ECE uses %d equal-width bins. Every number is a named query (`xstore query --list`)." % n_bins, ""]
    figures = []
    for base_model in facts["base_models"]:
        for target in facts["targets"]:
            where = dict(base_model=base_model, target=target, split=split, n_bins=n_bins)
            heading = f"{target} on {base_model}" if len(facts["base_models"]) * len(facts["targets"]) > 1 else ""
            lines += _clean(store, where, heading)
            lines += _posthoc(store, where, facts["calibrations"] or [])
            lines += _adversarial(store, where, [a for a in facts["attacks"] if a != "none"])
            lines += _deltas(store, where, facts["settings"])
            if figures_dir is not None:
                body, drawn = _figures(store, where, facts, figures_dir)
                lines += body
                figures += drawn
    return "\n".join(lines).rstrip() + "\n", figures


def _clean(store, where, heading) -> list[str]:
    body = [t for t in (_table(store, m, **where) for m in CLEAN_METRICS) if t]
    return _section("Clean inputs, no post-hoc calibration" + (f" ({heading})" if heading else ""), body)


def _posthoc(store, where, calibrations) -> list[str]:
    body = []
    for method in calibrations:
        label = method + (" (an upper bound: fit on each language's own dev labels)" if method == "temperature-oracle"
                          else " (fit on English dev only)")
        table = _table(store, "ece", calibration=method, **where)
        if table:
            body += [f"Calibration {label}:", "", table]
    return _section("Post-hoc calibration: ECE", body) if body else []


def _adversarial(store, where, attacks) -> list[str]:
    body = []
    for attack in attacks:
        body += [f"Attack {attack}:", ""]
        body += [t for t in (_table(store, m, attack=attack, **where) for m in ADVERSARIAL_METRICS) if t]
        table = _table(store, "ece", attack=attack, **where)
        if table:
            body.append(table)
    return _section("Adversarial inputs", body) if body else []


def _deltas(store, where, settings) -> list[str]:
    if "none" not in settings or len(settings) < 2:
        return []
    body = [t for t in (_table(store, m, delta=True, **where) for m in ("accuracy", "ece", "overconfidence")) if t]
    body += _significant(store, where)
    return _section("Intermediate training against the no-intermediate baseline (same seed)", body)


# The adjustment the report's tests use: Holm 1979, the default of delta_vs_baseline.
_ADJUST = "holm"


def _significant(store, where, metrics=("accuracy", "ece", "overconfidence"), alpha=0.05) -> list[str]:
    """The per-seed differences from delta_vs_baseline whose adjusted p-value is below alpha, saying how."""
    rows = [r for r in named.run_readonly(store, "delta_vs_baseline", {"n_bins": where["n_bins"], "adjust": _ADJUST})
            .to_pylist()
            if r["base_model"] == where["base_model"] and r["target"] == where["target"]
            and r["split"] == where["split"] and r["calibration"] == "none" and r["metric"] in metrics]
    if not rows:
        return []
    kept = [r for r in rows if r["p_adjusted"] is not None and r["p_adjusted"] < alpha]
    lines = [f"Paired bootstrap tests of each run against its baseline ({rows[0]['replicates']:,} replicates; "
             f"`xstore query delta_vs_baseline` has them all): {len(kept)} of {len(rows)} differences in "
             f"{', '.join(metrics)} have a p-value below {alpha} after Holm's adjustment (Holm 1979) over the rows "
             "of each comparison (one intermediate setting, run variant, split, calibration and metric, across "
             "seeds, targets, languages and attack settings).", ""]
    if kept:
        lines += ["| intermediate | variant | seed | language | attack | metric | delta | 95% interval | p | p (Holm) |",
                  "|---|---|---:|---|---|---|---:|---|---:|---:|"]
        lines += [f"| {r['intermediate']} | {r['variant']} | {r['seed']} | {r['language']} | {r['attack']} | "
                  f"{r['metric']} | {r['delta']:.3f} | [{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {r['p_value']:.3f} | "
                  f"{r['p_adjusted']:.3f} |" for r in kept]
        lines.append("")
    return lines


def _figures(store, where, facts, folder: Path) -> tuple[list[str], list[Path]]:
    """One reliability diagram per intermediate setting (first seed, clean, uncalibrated): English and the
    language with the largest mean ECE."""
    from xstore import figures

    try:
        ece = tables.build(store, "ece", base_model=where["base_model"], target=where["target"], split=where["split"],
                           n_bins=where["n_bins"])
    except UserError:
        return [], []
    worst = max((c for c in ece.columns if c != tables.AVERAGE and c != "en"),
                key=lambda c: max((ece.cells[(r, c)].mean for r in ece.rows if (r, c) in ece.cells), default=0),
                default=None)
    lines, drawn = [], []
    for setting in ece.rows:
        for language in [x for x in ("en", worst) if x in ece.columns]:
            seed = min(facts["seeds"])
            try:
                bins = figures.select_bins(store, language=language, intermediate=setting, seed=seed,
                                           base_model=where["base_model"], target=where["target"],
                                           split=where["split"], n_bins=where["n_bins"])
            except UserError:
                continue
            stem = folder / re.sub(r"[^\w.+-]", "_", f"reliability_{where['target']}_{setting}_{seed}_{language}")
            path = figures.reliability_diagram(bins, stem, formats=(".png",))[0]  # PDFs: `xstore export --figure`
            drawn.append(path)
            lines += [f"![reliability diagram: {bins.title}]({folder.name}/{path.name})", ""]
    return _section("Reliability diagrams", lines) if lines else [], drawn


def markdown_to_html(text: str, title: str, inline_images: Optional[Path] = None) -> str:
    """A small converter for the report's own Markdown (headings, tables, paragraphs, images, bold, italics)."""
    out, table = [], []

    def inline(s: str) -> str:
        s = html.escape(s, quote=False)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        s = re.sub(r"(?<!\*)\*(?!\*)(.+?)\*", r"<i>\1</i>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def flush() -> None:
        if table:
            rows = [r for r in table if not re.fullmatch(r"\|[-:|]+\|", r)]
            cells = [[c.strip() for c in r.strip("|").split(" | ")] for r in rows]
            out.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells[0]) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in cells[1:])
            out.append("</table>")
            table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        image = re.fullmatch(r"!\[(.*)\]\((.*)\)", line)
        if line.startswith("## "):
            out.append(f"<h2>{inline(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{inline(line[2:])}</h1>")
        elif image:
            src = image.group(2)
            if inline_images is not None:
                data = base64.b64encode((inline_images / src).read_bytes()).decode("ascii")
                src = f"data:image/png;base64,{data}"
            out.append(f'<img alt="{html.escape(image.group(1))}" src="{src}" width="360">')
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush()
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border-bottom:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child{text-align:left}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n")


def write(store, path: Path, fmt: Optional[str] = None, figures: bool = True, n_bins: int = 10,
          split: str = "test") -> list[Path]:
    """Write the report to `path` (Markdown, or HTML with the figures inline); returns every file written."""
    path = Path(path)
    fmt = fmt or ("html" if path.suffix.lower() in (".html", ".htm") else "markdown")
    if fmt not in ("markdown", "html"):
        raise UserError(f"unknown report format {fmt!r}; choose markdown or html")
    folder = path.with_name(path.stem + "_figures") if figures else None
    text, drawn = build_markdown(store, folder, n_bins=n_bins, split=split)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        path.write_text(markdown_to_html(text, f"xstore report: {store.path.name}", path.parent), encoding="utf-8")
    else:
        path.write_text(text, encoding="utf-8")
    return [path, *drawn]
