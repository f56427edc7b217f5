"""The `xstore` command line: fill, plan, status and query a database declared by a spec file.

Every mistake a user can make ends in one line on stderr and exit code 2; no command here imports
torch, which only the runners load, when a cell is computed.
"""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xstore.errors import Interrupted, UserError
from xstore.export import TABLE_ROWS

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="A declarative experiment database for multilingual calibration studies.")
db_app = typer.Typer(no_args_is_help=True, help="Inspect and upgrade database files.")
app.add_typer(db_app, name="db")
annotate_app = typer.Typer(no_args_is_help=True, help="People's judgements of perturbations (does the label hold?).")
app.add_typer(annotate_app, name="annotate")

# Piped output (a file, `less`, a test) gets a wide console so tables are not cut at 80 columns.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

SpecArg = typer.Argument(..., help="Spec file (TOML) declaring the grid.", show_default=False)
DbOpt = typer.Option(None, "--db", help="Database file, or a spec file naming one (default: $XSTORE_DB).")


def _store(target: Optional[str]):
    """A Store from a database path or a spec file; --db beats $XSTORE_DB."""
    from xstore.db import Store
    from xstore.spec import load_spec

    target = target or os.environ.get("XSTORE_DB")
    if not target:
        raise UserError("no database given: pass --db FILE (a .duckdb file or a spec) or set XSTORE_DB")
    if target.endswith(".toml"):
        return Store(load_spec(target).database_path)
    return Store(target)


def _spec_and_store(spec_path: str, db: Optional[str]):
    from xstore.db import Store
    from xstore.spec import load_spec

    spec = load_spec(spec_path)
    return spec, Store(db) if db else Store(spec.database_path)


@app.command()
def fill(spec: str = SpecArg, retry_failed: bool = typer.Option(False, "--retry-failed", help="Compute failed cells again."),
         db: Optional[str] = typer.Option(None, "--db", help="Database file (default: the spec's `database`)."),
         executor: str = typer.Option("serial", "--executor", help="serial (this process), local (worker processes) or slurm (submitit jobs)."),
         workers: int = typer.Option(2, "--workers", min=1, help="Worker processes for --executor local (one GPU each when there are several)."),
         partition: Optional[str] = typer.Option(None, "--partition", help="Slurm partition."),
         gpus_per_job: int = typer.Option(1, "--gpus-per-job", min=0, help="GPUs per Slurm job."),
         cpus_per_job: int = typer.Option(8, "--cpus-per-job", min=1, help="CPUs per Slurm job."),
         mem_gb: int = typer.Option(32, "--mem-gb", min=1, help="Memory per Slurm job, GB."),
         time_limit: int = typer.Option(240, "--time-limit", min=1, help="Time limit per Slurm job, minutes."),
         array_size: int = typer.Option(64, "--array-size", min=1, help="Most Slurm jobs running at once.")):
    """Compute every missing cell of SPEC, in dependency order; stored cells are never recomputed."""
    from xstore.executors import ClusterOptions
    from xstore.fill import fill as run_fill

    if executor not in ("serial", "local", "slurm"):
        raise UserError(f"unknown executor {executor!r}; choose serial, local or slurm")
    spec_obj, store = _spec_and_store(spec, db)
    cluster = ClusterOptions(partition=partition, gpus_per_job=gpus_per_job, cpus_per_job=cpus_per_job,
                             mem_gb=mem_gb, time_limit_min=time_limit, array_parallelism=array_size)
    with _say_what_was_kept():
        report = run_fill(spec_obj, store, retry_failed=retry_failed, console=err, executor=executor,
                          workers=workers, cluster=cluster)
    _print_fill_report(report, store)
    raise typer.Exit(report.exit_code)


@contextmanager
def _say_what_was_kept():
    """Ctrl-C during a fill: one line with what this run stored and the command that goes on from there (here,
    as typer turns a KeyboardInterrupt into a silent exit 130 before `main` could see it)."""
    try:
        yield
    except Interrupted as stop:
        err.print(f"{stop}: `{shlex.join(['xstore', *sys.argv[1:]])}`", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(stop.exit_code) from None


def _print_fill_report(report, store) -> None:
    computed = sum(report.computed.values())
    waiting = f"; {len(report.blocked)} cells wait on them" if report.blocked else ""
    if computed == 0 and not report.failed:
        if not report.skipped_failed:
            out.print(f"nothing to compute: all {report.already_done} declared cells are already stored in {store.path}")
        else:
            out.print(f"nothing computed: {report.already_done} of {report.declared} declared cells are stored; "
                      f"{report.skipped_failed} failed earlier{waiting}; use --retry-failed to try them again")
        return
    parts = ", ".join(f"{n} {kind}" for kind, n in report.computed.items()) or "none"
    out.print(f"computed {computed} cells ({parts}); {report.already_done} were already stored")
    if report.failed or report.skipped_failed:
        out.print(f"[red]{len(report.failed) + report.skipped_failed} cells failed[/]{waiting}. "
                  "See `xstore status`, and retry with --retry-failed.")
        for cell, message, _ in report.failed[:10]:
            out.print(f"  {cell.kind} {cell.describe()}: {message}")


@app.command()
def plan(spec: str = SpecArg, list_cells: bool = typer.Option(False, "--list", help="Name every missing cell."),
         db: Optional[str] = typer.Option(None, "--db", help="Database file (default: the spec's `database`).")):
    """Show, per cell kind, how many cells SPEC declares and how many are done, failed and missing."""
    from xstore.planner import declare
    from xstore.planner import plan as make_plan

    spec_obj, store = _spec_and_store(spec, db)
    cells = declare(spec_obj)
    if store.path.exists():
        from xstore import sandbox

        with sandbox.connect(store) as con:
            result = make_plan(con, cells)
    else:
        from xstore.planner import Plan

        result = Plan(cells=cells, done=set(), failed=set())
    table = Table("kind", "declared", "done", "failed", "missing", title=f"plan for {store.path.name}")
    totals = [0, 0, 0, 0]
    for kind, row in result.counts().items():
        values = [row["declared"], row["done"], row["failed"], row["missing"]]
        totals = [a + b for a, b in zip(totals, values)]
        table.add_row(kind, *map(str, values))
    table.add_row("[bold]all[/]", *(f"[bold]{v}[/]" for v in totals))
    out.print(table)
    if list_cells:
        for cell in result.missing:
            flag = " (failed)" if cell.key in result.failed else ""
            out.print(f"{cell.kind:18} {cell.key}  {cell.describe()}{flag}")


@app.command()
def status(target: Optional[str] = typer.Argument(None, help="Database file or spec (default: $XSTORE_DB).")):
    """Summarise a database: schema version, stored cells per kind, rows per table, open failures."""
    from xstore import integrity, labels, sandbox
    from xstore.schema import DATA_TABLES

    store = _store(target)
    with sandbox.connect(store) as con:
        version = store.schema_version(con)
        integrity.check(store, con)  # a table or column missing: say so, rather than count what is left
        kinds = con.execute("SELECT kind, count(*), round(sum(wall_seconds), 1) FROM cell GROUP BY kind ORDER BY min(finished_at)").fetchall()
        failures = con.execute(
            """SELECT f.kind, f.cell_key, f.error, f.attempt FROM failure f
               WHERE NOT EXISTS (SELECT 1 FROM cell c WHERE c.key = f.cell_key)
               QUALIFY f.attempt = max(f.attempt) OVER (PARTITION BY f.cell_key) ORDER BY f.failed_at""").fetchall()
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in DATA_TABLES}
        stale = labels.stale(con)
    size = store.path.stat().st_size / 2**20
    out.print(f"{store.path}  schema version {version}  {size:.1f} MiB")
    table = Table("kind", "cells", "wall seconds", title="stored cells")
    for kind, n, wall in kinds:
        table.add_row(kind, str(n), str(wall))
    out.print(table)
    out.print("rows: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    if failures:
        out.print(f"[red]{len(failures)} cells failed and are not stored:[/]")
        for kind, key, error, attempt in failures:
            out.print(f"  {kind} {key} (attempt {attempt}): {error}")
    else:
        out.print("no open failures")
    if stale:
        out.print(f"[yellow]the label table{'s' if len(stale) > 1 else ''} {', '.join(stale)} no longer match"
                  f"{'' if len(stale) > 1 else 'es'} {'their views' if len(stale) > 1 else 'its view'} (rows written "
                  "by hand?): queries label runs or attacks by the old rows until `xstore db upgrade` or a fill "
                  "rewrites them[/]")


@app.command()
def query(name: Optional[str] = typer.Argument(None, help="A named query from queries/ (see --list)."),
          param: List[str] = typer.Option([], "--param", "-p", help="key=value, bound as a parameter; once per key."),
          sql: Optional[str] = typer.Option(None, "--sql", help="SQL of your own instead of a named query (read-only)."),
          fmt: str = typer.Option("table", "--format", "-f", help="table, csv, json or markdown."),
          limit: Optional[int] = typer.Option(None, "--limit", min=0, help=f"Show at most N rows (table default: "
                                              f"{TABLE_ROWS}; 0: all). CSV, JSON and Markdown write all by default."),
          allow_read: List[Path] = typer.Option([], "--allow-read", help="A folder whose files --sql may read too "
                                                "(read_csv, read_parquet...); SELECT statements only. Repeatable."),
          db: Optional[str] = DbOpt,
          list_queries: bool = typer.Option(False, "--list", help="List the named queries and their parameters.")):
    """Run a named query (or --sql) on a sandboxed read-only connection and print the result."""
    from xstore import export, named

    if list_queries:
        for q in named.available().values():
            params = ", ".join(f"{p.name}={p.default}" for p in q.params.values())
            out.print(f"[bold]{q.name}[/]  {q.summary}" + (f"  [dim]({params})[/]" if params else ""))
        return
    if fmt not in export.FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(export.FORMATS)}")
    if (name is None) == (sql is None):
        raise UserError("give either a query name or --sql, not both and not neither (see `xstore query --list`)")
    given = named.from_cli(param)
    if sql is not None and given:
        raise UserError("--param goes with a named query; --sql takes no parameters")
    if allow_read and sql is None:
        raise UserError("--allow-read goes with --sql: named queries read only the database")
    store = _store(db)
    with named.result(store, name, given, sql, allow_read) as result:
        shown, total = export.write(result, fmt, sys.stdout, console=out, title=name, limit=limit)
    if fmt == "table" and shown == total:
        out.print(f"{total:,} row{'s' if total != 1 else ''}", highlight=False)
    elif fmt == "table":
        out.print(f"showing the first {shown:,} of {total:,} rows: --limit N shows more (0: all); --format csv, "
                  "json or markdown writes them all", highlight=False)
    elif shown < total:
        err.print(f"wrote the first {shown:,} of {total:,} rows (--limit {limit})", highlight=False)


@app.command()
def tasks(
    name: Optional[str] = typer.Argument(None, help="Show one task in full: labels, splits, hub source, local layout."),
    role: Optional[str] = typer.Option(None, help="Only tasks of this role: intermediate or target."),
):
    """List the task catalogue: name, role, head kind, languages, source and version."""
    from xstore.catalog import TASKS, get_task
    from xstore.tasks.translated import TRANSLATIONS

    if name is not None:
        t = get_task(name)
        table = Table("field", "value", show_header=False)
        splits = "; ".join(f"{split}: {' '.join(langs)}" for split, langs in t.splits.items())
        for field, value in [("task", t.name), ("version", str(t.version)), ("role", t.role), ("head", t.head),
                             ("labels", ", ".join(t.labels) or "-"), ("text fields", ", ".join(t.text_fields)),
                             ("splits", splits), ("max length", str(t.max_length)), ("source", t.source),
                             ("hub", t.hub or "none: local files only"), ("local layout", t.layout or "-")]:
            table.add_row(field, value)
        if t.name in TRANSLATIONS:  # the "TASK@translated" intermediate setting (xstore/alternatives.py)
            tr = TRANSLATIONS[t.name]
            for field, value in [(f"{t.name}@translated", "en and " + " ".join(tr.languages)),
                                 ("  hub", tr.hub or "none: a local folder only"), ("  local layout", tr.layout)]:
                table.add_row(field, escape(value))
        out.print(table)
        return
    if role is not None and role not in ("intermediate", "target"):
        raise UserError(f"--role: expected intermediate or target, got {role!r}")
    table = Table("task", "role", "head", "languages", "source", "version")
    for t in TASKS.values():
        if role is None or t.role in (role, "both"):
            langs = t.languages
            shown = " ".join(langs) if len(langs) <= 8 else f"{len(langs)}: {' '.join(langs[:6])} ..."
            table.add_row(t.name, t.role, t.head, shown, t.source, str(t.version))
    out.print(table)
    out.print("`xstore tasks NAME` shows one task's labels, splits, hub source and local-file layout.")


@app.command()
def attacks():
    """List the attack catalogue: name, version, protocols (default first), default budget, source."""
    from xstore.catalog import ATTACKS

    table = Table("attack", "version", "protocols", "defaults", "source")
    table.add_row("none", "-", "-", "-", "clean inputs")
    for a in ATTACKS.values():
        table.add_row(a.name, str(a.version), ", ".join(a.protocols),
                      ", ".join(f"{k}={v}" for k, v in a.defaults.items()), a.source)
    out.print(table)
    out.print('Choose a protocol per attack in the spec: \\[attacks.NAME] protocol = "transfer" (reference = "none", '
              "the no-intermediate run of the same seed) or \"per-victim\"; budgets there are part of each cell's key.")


@app.command()
def demo(directory: Path = typer.Option(Path("xstore-demo"), "--dir", help="Folder for the spec and the database.")):
    """Fill the embedded offline demo grid (tiny model, about 35 s on 2 idle CPU cores) and print its table."""
    from importlib import resources

    from xstore import export, named
    from xstore.fill import fill as run_fill
    from xstore.spec import load_spec

    directory.mkdir(parents=True, exist_ok=True)
    spec_path = directory / "demo.toml"
    packaged = resources.files("xstore.demo").joinpath("demo.toml").read_text(encoding="utf-8")
    if not spec_path.exists():
        spec_path.write_text(packaged, encoding="utf-8")
    elif spec_path.read_text(encoding="utf-8") != packaged:
        err.print(f"using the existing {spec_path}, which differs from the packaged demo.toml (delete it to start "
                  "again from the packaged one)", highlight=False, soft_wrap=True)
    spec = load_spec(spec_path)
    from xstore.db import Store

    store = Store(spec.database_path)
    with _say_what_was_kept():
        report = run_fill(spec, store, console=err)
    _print_fill_report(report, store)
    if report.exit_code:
        raise typer.Exit(report.exit_code)
    with named.result(store, "calibration_summary") as result:
        shown = result.filter("split = 'test'")  # the English dev rows only feed calibration
        # a variant column that says only "default" tells the reader nothing
        one_variant = len(set(shown.project("variant").fetchall())) <= 1
        dropped = {"base_model", "target", "split"} | ({"variant"} if one_variant else set())
        shown = shown.project(", ".join(f'"{c}"' for c in shown.columns if c not in dropped))
        export.write(shown, "table", sys.stdout, console=out, limit=0,
                     title="demo (test split, mean over seeds): accuracy, confidence and ECE")
    out.print(f"database: {store.path}   next: xstore query --list --db {spec_path}")


@app.command()
def delete(target: str = typer.Argument(..., help="Database file or spec."),
           run: Optional[str] = typer.Option(None, "--run", help="A training run's key (or a unique prefix)."),
           task: Optional[str] = typer.Option(None, "--task", help="Every cell built on this task's data."),
           attack: Optional[str] = typer.Option(None, "--attack", help="Every cell built on this attack's perturbations."),
           cell: Optional[str] = typer.Option(None, "--cell", help="One cell's key (or a unique prefix)."),
           version: Optional[int] = typer.Option(None, "--version", help="With --task or --attack: only this version."),
           dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be removed; change nothing."),
           yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")):
    """Remove cells and everything computed from them; `--dry-run` shows what would go first."""
    from xstore.delete import Selection
    from xstore.delete import delete as run_delete
    from xstore.delete import plan_delete

    store = _store(target)
    selection = Selection(run=run, task=task, attack=attack, cell=cell, version=version)
    summary = plan_delete(store, selection)
    if not summary["keys"]:
        out.print("nothing matches: no cell removed")
        return
    cells = ", ".join(f"{n} {kind}" for kind, n in summary["kinds"].items())
    rows = ", ".join(f"{table} {n}" for table, n in summary["rows"].items() if n)
    out.print(f"{'would remove' if dry_run else 'removing'} {len(summary['keys'])} cells ({cells}); rows: {rows}")
    if dry_run:
        return
    if not yes and not typer.confirm("delete them?", default=False):
        raise typer.Exit(1)
    run_delete(store, selection)
    out.print(f"removed {len(summary['keys'])} cells; `xstore fill` will compute them again if a spec declares them")


@app.command()
def export(target: str = typer.Argument(..., help="Database file, or a spec file naming one (its languages and "
                                                  "settings then fix the column and row order)."),
           table: Optional[str] = typer.Option(None, "--table", help="A metric: accuracy, confidence, overconfidence, "
                                               "ece, ece_equal_mass, mce, classwise_ece, brier, nll, auroc, aurc, "
                                               "attack_success_rate, ece_shift, confidence_on_successful_attacks, "
                                               "changed_share. The paper's own results: task_score (one target, "
                                               "its languages) or xtreme (targets and their average, with the best "
                                               "setting per target on English dev and the oracle's). For "
                                               "annotators: perturbation_sample (a CSV)."),
           figure: Optional[str] = typer.Option(None, "--figure", help="reliability or histogram, as PNG and PDF."),
           fmt: str = typer.Option("latex", "--format", "-f", help="Table format: latex, markdown or csv."),
           out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Table: the file to write (default: "
                                                   "stdout). Figure: the path without suffix."),
           split: str = typer.Option("test", "--split", help="Evaluated split."),
           attack: Optional[str] = typer.Option(None, "--attack", help="Inputs: none (clean), an attack setting as the "
                                                "queries label it, an attack (all its settings) or all (default: "
                                                "none, or all for adversarial tables)."),
           changed_only: bool = typer.Option(False, "--changed-only", help="Adversarial tables: only the inputs the "
                                             "attack changed."),
           calibration: str = typer.Option("none", "--calibration", help="none, temperature or temperature-oracle."),
           n_bins: int = typer.Option(10, "--n-bins", help="Confidence bins for ECE-type metrics and figures."),
           base_model: Optional[str] = typer.Option(None, "--base-model", help="Needed when the database has several."),
           target_task: Optional[str] = typer.Option(None, "--target", help="Needed when the database has several."),
           delta: bool = typer.Option(False, "--delta", help="Table of differences from the no-intermediate baseline "
                                      "of the same seed."),
           percent: bool = typer.Option(False, "--percent", help="Show values x 100."),
           digits: int = typer.Option(3, "--digits", help="Decimals shown in LaTeX and Markdown."),
           run: Optional[str] = typer.Option(None, "--run", help="Figure: the run's key."),
           intermediate: Optional[str] = typer.Option(None, "--intermediate", help="Figure: the run's intermediate setting."),
           seed: Optional[int] = typer.Option(None, "--seed", help="Figure: the run's seed. perturbation_sample: "
                                              "the sample's seed (default 0)."),
           variant: Optional[str] = typer.Option(None, "--variant", help="Figure: the run's variant, where there are several."),
           language: Optional[str] = typer.Option(None, "--language", help="Figure: the language."),
           n: int = typer.Option(50, "--n", help="perturbation_sample: perturbations per attack setting and language."),
           min_validity: Optional[float] = typer.Option(None, "--min-validity", min=0.0, max=1.0,
                                                        help="Keep an attack's values only in languages where people "
                                                        "judged at least this share of its successful perturbations "
                                                        "to keep their label (xstore annotate import).")):
    """Write a paper table (--table, as LaTeX, Markdown or CSV) or a figure (--figure, PNG and PDF)."""
    if (table is None) == (figure is None):
        raise UserError("give --table METRIC or --figure reliability|histogram (one of them)")
    store = _store(target)
    if table == "perturbation_sample":
        _export_sample(store, out_path, n, seed or 0, attack)
        return
    languages = settings = None
    if target.endswith(".toml"):
        from xstore.spec import intermediate_name, load_spec

        spec = load_spec(target)
        languages = None if spec.grid.languages == "all" else spec.grid.languages
        settings = [intermediate_name(s) for s in spec.grid.intermediate]
    if table is not None:
        from xstore import paper as papers
        from xstore import tables

        paper = papers.build(store, table, split=split, attack=attack, calibration=calibration, n_bins=n_bins,
                             base_model=base_model, target=target_task, delta=delta, languages=languages,
                             settings=settings, changed_only=changed_only, min_validity=min_validity)
        text = tables.render(paper, fmt, digits=digits, percent=percent)
        if out_path is None:
            sys.stdout.write(text)
        else:
            out_path.write_text(text, encoding="utf-8")
            err.print(f"wrote {out_path}")
        return
    from xstore import figures

    if figure not in figures.FIGURES:
        raise UserError(f"unknown figure {figure!r}; choose one of {', '.join(figures.FIGURES)}")
    if language is None:
        raise UserError("a figure shows one language: give --language")
    bins = figures.select_bins(store, language=language, run_key=run, intermediate=intermediate, seed=seed,
                               variant=variant, base_model=base_model, target=target_task, attack=attack or "none",
                               calibration=calibration, split=split, n_bins=n_bins)
    if out_path is None:
        import re

        name = f"{figure}_{intermediate or run}_{variant or ''}_{seed}_{language}_{attack or 'none'}_{calibration}"
        out_path = Path(re.sub(r"[^\w.+-]+", "_", name.replace("__", "_")))
    for path in figures.FIGURES[figure](bins, out_path):
        out.print(f"wrote {path}")


def _export_sample(store, out_path: Optional[Path], n: int, seed: int, attack: Optional[str]) -> None:
    """The annotators' CSV, to stdout or to `out_path` (written under a temporary name and renamed into place
    once complete, so a refused or interrupted export leaves no file)."""
    from xstore import annotations

    if out_path is None:
        annotations.write_sample(store, sys.stdout, n, seed, attack)
        return
    partial = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    try:
        with open(partial, "w", encoding="utf-8", newline="") as handle:
            rows = annotations.write_sample(store, handle, n, seed, attack)
        os.replace(partial, out_path)
    except OSError as error:
        raise UserError(f"cannot write {out_path}: {error.strerror or error}; nothing was written") from None
    finally:
        partial.unlink(missing_ok=True)
    err.print(f"wrote {rows} perturbations to {out_path}: fill in label_holds (yes, no or unsure) and annotator, then "
              f"`xstore annotate import {out_path} --db {store.path}`", highlight=False, soft_wrap=True)


@app.command()
def report(target: str = typer.Argument(..., help="Database file, or a spec file naming one."),
           out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Report file, .md or .html (default: "
                                                   "DATABASE-report.md in the current folder)."),
           fmt: Optional[str] = typer.Option(None, "--format", "-f", help="markdown or html (default: from --out)."),
           no_figures: bool = typer.Option(False, "--no-figures", help="Tables only, no reliability diagrams."),
           split: str = typer.Option("test", "--split", help="Evaluated split."),
           n_bins: int = typer.Option(10, "--n-bins", help="Confidence bins for ECE and the diagrams.")):
    """Write a one-page Markdown or HTML report of a whole database: tables, deltas and reliability diagrams."""
    from xstore import report as make_report

    store = _store(target)
    out_path = out_path or Path(f"{store.path.stem}-report" + (".html" if fmt == "html" else ".md"))
    for path in make_report.write(store, out_path, fmt=fmt, figures=not no_figures, n_bins=n_bins, split=split):
        out.print(f"wrote {path}")


@annotate_app.command("import")
def annotate_import(file: Path = typer.Argument(..., help="A CSV from `xstore export --table perturbation_sample`, "
                                                "with label_holds (yes, no, unsure) and annotator filled in."),
                    db: Optional[str] = DbOpt,
                    annotator: Optional[str] = typer.Option(None, "--annotator", help="Name for rows whose annotator "
                                                            "column is empty.")):
    """Store judgements as `annotation` rows; a file that does not match the database is refused whole."""
    from xstore import annotations

    store = _store(db)
    counts = annotations.import_file(store, file, annotator)
    blank = f"; {counts['blank']} rows left blank were skipped" if counts["blank"] else ""
    out.print(f"imported {counts['imported']} judgements into {store.path}{blank}; "
              "`xstore query attack_validity` gives the share whose label holds")


@db_app.command("upgrade")
def db_upgrade(target: str = typer.Argument(..., help="Database file or spec.")):
    """Apply pending schema migrations to a database."""
    store = _store(target)
    if not store.path.exists():
        raise UserError(f"database {store.path} does not exist")
    applied = store.upgrade()
    out.print(f"applied {', '.join(applied)}" if applied else f"{store.path} is already at the latest schema")
    with store.connect() as con:
        healed = store.heal_labels(con)
    if healed:
        out.print(f"rewrote the label table{'s' if len(healed) > 1 else ''} {', '.join(healed)}: "
                  "they no longer matched their views")


@db_app.command("version")
def db_version(target: str = typer.Argument(..., help="Database file or spec.")):
    """Print the schema version of a database and the version this xstore expects."""
    from xstore import sandbox
    from xstore.db import latest_version

    store = _store(target)
    with sandbox.connect(store, check=False) as con:
        version = store.schema_version(con)
    out.print(f"{store.path}: schema version {version} (this xstore: {latest_version()})")


def main() -> None:
    """Entry point: run the app, turning UserError into one line on stderr and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except UserError as error:
        # escaped: messages name spec sections ("[mlm]", "[data]"), which rich would read as markup and drop
        err.print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as error:  # click's own usage errors
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        if isinstance(error, click.exceptions.Abort):
            sys.exit(1)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
