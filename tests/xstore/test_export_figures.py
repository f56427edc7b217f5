"""Reliability diagrams, confidence histograms and the one-page report (xstore.figures, xstore.report,
`xstore export --figure`, `xstore report`) on the database of export_fixture."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import run_cli
from export_fixture import make
from xstore import api, figures
from xstore.db import Store
from xstore.errors import UserError


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return make(tmp_path_factory.mktemp("figures"))


def _is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _is_pdf(path):
    return path.read_bytes()[:5] == b"%PDF-"


def test_bins_of_one_run(db_path):
    """none seed 2, German: four predictions at 0.75, one right -> one bin, ECE 0.5."""
    bins = figures.select_bins(Store(db_path), language="de", intermediate="none", seed=2)
    assert bins.n == [4] and bins.n_correct == [1] and bins.lower == [pytest.approx(0.7)]
    assert bins.ece == pytest.approx(0.5, abs=1e-7)
    hot = figures.select_bins(Store(db_path), language="de", intermediate="none", seed=2, calibration="temperature")
    assert hot.lower == [pytest.approx(0.6)]  # sqrt3 / (sqrt3 + 1) = 0.634
    with pytest.raises(UserError, match="2 runs match"):
        figures.select_bins(Store(db_path), language="de", intermediate="none")
    with pytest.raises(UserError, match="no predictions with language 'xx'"):
        figures.select_bins(Store(db_path), language="xx", intermediate="none", seed=1)


def test_cli_writes_png_and_pdf(db_path, tmp_path, capsys):
    stem = tmp_path / "figs" / "rd"
    code, out, err = run_cli(["export", db_path, "--figure", "reliability", "--intermediate", "none", "--seed", "1",
                              "--language", "en", "--out", stem], capsys)
    assert code == 0, err
    assert _is_png(stem.with_suffix(".png")) and _is_pdf(stem.with_suffix(".pdf"))
    code, _, err = run_cli(["export", db_path, "--figure", "histogram", "--intermediate", "none", "--seed", "1",
                            "--attack", "charnoise", "--calibration", "temperature", "--language", "de",
                            "--out", tmp_path / "h"], capsys)
    assert code == 0, err
    assert _is_png(tmp_path / "h.png") and _is_pdf(tmp_path / "h.pdf")
    code, _, err = run_cli(["export", db_path, "--figure", "reliability", "--intermediate", "none", "--seed", "1"], capsys)
    assert code == 2 and "--language" in err


def test_api_figures(db_path, tmp_path):
    db = api.open(db_path)
    paths = db.reliability_diagram(tmp_path / "r", language="en", intermediate="demo-sentiment", seed=1)
    assert [p.suffix for p in paths] == [".png", ".pdf"] and all(p.stat().st_size > 1000 for p in paths)
    paths = db.confidence_histogram(tmp_path / "h", language="en", run_key="none-1")
    assert _is_png(paths[0])


def test_markdown_report(db_path, tmp_path, capsys):
    target = tmp_path / "report.md"
    code, out, err = run_cli(["report", db_path, "--out", target], capsys)
    assert code == 0, err
    text = target.read_text()
    for heading in ("# xstore report: export.duckdb", "## Clean inputs, no post-hoc calibration",
                    "## Post-hoc calibration: ECE", "## Adversarial inputs",
                    "## Intermediate training against the no-intermediate baseline (same seed)",
                    "## Reliability diagrams"):
        assert heading in text
    assert "| demo-sentiment | **0.125 ± 0.177** | **0.000 ± 0.000** | **0.063 ± 0.088** |" in text
    images = [line for line in text.splitlines() if line.startswith("![")]
    assert len(images) == 4  # 2 settings x (English, the worst other language)
    assert all(_is_png(tmp_path / line.split("](")[1].rstrip(")")) for line in images)


def test_html_report_inlines_its_figures(db_path, tmp_path):
    paths = api.open(db_path).report(tmp_path / "r.html")
    text = paths[0].read_text()
    assert text.startswith("<!DOCTYPE html>") and text.count("<table>") >= 6
    assert 'src="data:image/png;base64,' in text and "<b>0.125 ± 0.177</b>" in text
    no_figures = api.open(db_path).report(tmp_path / "plain.md", figures=False)
    assert len(no_figures) == 1 and "![" not in no_figures[0].read_text()


def test_import_xstore_loads_no_matplotlib():
    code = ("import sys, xstore, xstore.tables, xstore.figures, xstore.report, xstore.cli\n"
            "print(sorted(m for m in ('matplotlib', 'torch', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_reliability_diagram_counts_each_bin_below_and_keeps_its_legend_off_the_bars(db_path):
    import matplotlib.patches

    bins = figures.select_bins(Store(db_path), language="en", intermediate="demo-sentiment", seed=1)
    fig = figures.reliability_figure(bins)
    try:
        fig.canvas.draw()
        diagram, counts = fig.axes
        assert counts.get_xlabel() == "confidence" and counts.get_ylabel() == "inputs"
        heights = [p.get_height() for p in counts.patches if isinstance(p, matplotlib.patches.Rectangle)]
        assert heights == bins.n  # how many inputs each bin holds, bin for bin
        legend = diagram.get_legend().get_window_extent()
        bars = [p.get_window_extent() for ax in fig.axes for p in ax.patches]
        assert bars and not any(legend.overlaps(bar) for bar in bars)
        assert f"ECE = {bins.ece:.3f}" in diagram.get_title()
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
