"""Figures for a paper: reliability diagrams and confidence histograms of one run x language x attack, as PNG
and PDF, drawn with matplotlib (imported only here, only when a figure is drawn) from `reliability_bins`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from xstore import named
from xstore.errors import UserError


@dataclass
class Bins:
    """The reliability bins of one run x split x language x attack x calibration method."""

    title: str
    n_bins: int
    lower: list[float]
    n: list[int]
    n_correct: list[int]
    accuracy: list[float]
    confidence: list[float]

    @property
    def ece(self) -> float:
        total = sum(self.n)
        return sum(n * abs(a - c) for n, a, c in zip(self.n, self.accuracy, self.confidence)) / total


def select_bins(store, *, language: str, run_key: Optional[str] = None, intermediate: Optional[str] = None,
                seed: Optional[int] = None, variant: Optional[str] = None, base_model: Optional[str] = None,
                target: Optional[str] = None, attack: str = "none", calibration: str = "none", split: str = "test",
                n_bins: int = 10) -> Bins:
    """The bins of the one run that the arguments name: a run_key, or intermediate and seed (and variant, base
    model and target where the database holds several); `attack` is an attack setting as the queries label it."""
    rows = named.run_readonly(store, "reliability_bins", {"n_bins": n_bins}).to_pylist()
    wanted = {"language": language, "attack": attack, "calibration": calibration, "split": split,
              "run_key": run_key, "intermediate": intermediate, "seed": seed, "variant": variant,
              "base_model": base_model, "target": target}
    for column, value in wanted.items():
        if value is None:
            continue
        kept = [r for r in rows if r[column] == value]
        if not kept:
            present = sorted({str(r[column]) for r in rows})
            raise UserError(f"no predictions with {column} {value!r} for this figure; there are: {', '.join(present) or 'none'}")
        rows = kept
    runs = {(r["run_key"], r["intermediate"], r["variant"], r["seed"]) for r in rows}
    if len(runs) > 1:
        listed = "; ".join(f"{i} ({v}) seed {s} ({k})" for k, i, v, s in sorted(runs, key=lambda x: x[1:]))
        raise UserError(f"{len(runs)} runs match; name one with --intermediate, --variant and --seed, or --run: {listed}")
    first = rows[0]
    variant_text = "" if first["variant"] == "default" else f" ({first['variant']})"
    title = (f"{first['intermediate']}{variant_text}, seed {first['seed']}: {first['target']} {split} {language}, "
             f"attack {attack}, calibration {calibration}")
    return Bins(title, n_bins, [r["lower"] for r in rows], [r["n"] for r in rows], [r["n_correct"] for r in rows],
                [r["accuracy"] for r in rows], [r["confidence"] for r in rows])


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _save(fig, stem: Path, formats: tuple[str, ...]) -> list[Path]:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix in formats:
        path = stem.with_name(stem.name + suffix)
        fig.savefig(path, dpi=200, bbox_inches="tight")
        paths.append(path)
    return paths


def reliability_diagram(bins: Bins, stem: Path, formats: tuple[str, ...] = (".png", ".pdf")) -> list[Path]:
    """Accuracy per confidence bin against the diagonal, the gap to mean confidence shaded, and below it how
    many inputs each bin holds (Guo et al. 2017, Figure 1: a reliability diagram says nothing about bins
    without their counts); writes STEM.png and STEM.pdf and returns their paths."""
    plt = _pyplot()
    fig = reliability_figure(bins, plt)
    try:
        return _save(fig, stem, formats)
    finally:
        plt.close(fig)


def reliability_figure(bins: Bins, plt=None):
    """The matplotlib figure of `reliability_diagram`: the diagram on top, the inputs per bin below it on the
    same confidence axis, and the legend above the diagram, where no bar can be."""
    plt = plt or _pyplot()
    width = 1.0 / bins.n_bins
    fig, (ax, counts) = plt.subplots(2, 1, figsize=(3.6, 4.8), sharex=True, height_ratios=(3, 1),
                                     gridspec_kw={"hspace": 0.08})
    ax.bar(bins.lower, bins.accuracy, width=width, align="edge", color="#3b6ea8", edgecolor="black",
           linewidth=0.6, label="accuracy")
    gaps = [c - a for a, c in zip(bins.accuracy, bins.confidence)]
    ax.bar(bins.lower, gaps, bottom=bins.accuracy, width=width, align="edge", color="#d9534f", alpha=0.35,
           edgecolor="#d9534f", hatch="//", linewidth=0.6, label="gap to confidence")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy")
    ax.set_title(f"{bins.title}\nECE = {bins.ece:.3f}, n = {sum(bins.n)}", fontsize=7, pad=18)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7, frameon=False,
              borderaxespad=0.2)
    counts.bar(bins.lower, bins.n, width=width, align="edge", color="#7f7f7f", edgecolor="black", linewidth=0.6)
    counts.set(xlim=(0, 1), xlabel="confidence", ylabel="inputs")
    counts.set_ylim(0, max(bins.n) * 1.15)
    return fig


def confidence_histogram(bins: Bins, stem: Path, formats: tuple[str, ...] = (".png", ".pdf")) -> list[Path]:
    """How many inputs fall in each confidence bin, right and wrong stacked, with the mean accuracy and mean
    confidence marked (Guo et al. 2017, Figure 1, top); writes STEM.png and STEM.pdf."""
    plt = _pyplot()
    width = 1.0 / bins.n_bins
    total = sum(bins.n)
    right = [c / total for c in bins.n_correct]
    wrong = [(n - c) / total for n, c in zip(bins.n, bins.n_correct)]
    accuracy = sum(bins.n_correct) / total
    confidence = sum(n * c for n, c in zip(bins.n, bins.confidence)) / total
    fig, ax = plt.subplots(figsize=(3.6, 2.6))
    try:
        ax.bar(bins.lower, right, width=width, align="edge", color="#3b6ea8", edgecolor="black", linewidth=0.6,
               label="right")
        ax.bar(bins.lower, wrong, bottom=right, width=width, align="edge", color="#d9534f", edgecolor="black",
               linewidth=0.6, label="wrong")
        ax.axvline(accuracy, color="black", linestyle="--", linewidth=1, label=f"accuracy {accuracy:.3f}")
        ax.axvline(confidence, color="grey", linestyle=":", linewidth=1.5, label=f"avg. confidence {confidence:.3f}")
        ax.set(xlim=(0, 1), xlabel="confidence", ylabel="share of inputs")
        ax.set_title(bins.title, fontsize=7)
        ax.legend(loc="upper left", fontsize=7)
        return _save(fig, stem, formats)
    finally:
        plt.close(fig)


FIGURES = {"reliability": reliability_diagram, "histogram": confidence_histogram}
