"""Paper tables (xstore.tables and `xstore export --table`) on the hand-computed database of export_fixture:
a golden file for the LaTeX export, the hand values behind it, and the Markdown and CSV forms."""

from __future__ import annotations

import csv
import io
from math import sqrt
from pathlib import Path

import pytest

from conftest import run_cli
from export_fixture import make
from xstore import api, tables
from xstore.db import Store
from xstore.errors import UserError

GOLDEN = Path(__file__).parent / "golden" / "ece_table.tex"
S = 0.25 / sqrt(2)  # sample std of two values 0.25 apart


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return make(tmp_path_factory.mktemp("export"))


def test_latex_matches_the_golden_file(db_path, capsys):
    code, out, err = run_cli(["export", db_path, "--table", "ece", "--format", "latex", "--digits", "4"], capsys)
    assert code == 0, err
    assert out == GOLDEN.read_text()


def test_cells_are_the_hand_computed_means_and_stds(db_path):
    table = tables.build(Store(db_path), "ece")
    assert table.rows == ["none", "demo-sentiment"] and table.columns == ["en", "de", tables.AVERAGE]
    expected = {("none", "en"): (0.125, S), ("none", "de"): (0.375, S), ("none", "avg"): (0.25, S),
                ("demo-sentiment", "en"): (0.125, S), ("demo-sentiment", "de"): (0.0, 0.0),
                ("demo-sentiment", "avg"): (0.0625, S / 2)}
    for key, (mean, std) in expected.items():
        cell = table.cells[key]
        assert cell.seeds == 2
        assert cell.mean == pytest.approx(mean, abs=1e-7) and cell.std == pytest.approx(std, abs=1e-7), key
    assert table.best(3) == {("none", "en"), ("demo-sentiment", "en"), ("demo-sentiment", "de"),
                             ("demo-sentiment", "avg")}


def test_cells_agree_with_metrics_over_seeds(db_path):
    db = api.open(db_path)
    table = db.table("ece", calibration="temperature")
    reference = db.df("metrics_over_seeds")
    reference = reference[(reference["metric"] == "ece") & (reference["calibration"] == "temperature")
                          & (reference["attack"] == "none")]
    assert len(reference) == 4
    for row in reference.itertuples():
        cell = table.cells[(row.intermediate, row.language)]
        assert cell.mean == pytest.approx(row.mean, abs=1e-12) and cell.std == pytest.approx(row.std, abs=1e-12)


def test_delta_table(db_path):
    """demo-sentiment minus none per seed: en (0 - 0, 0.25 - 0.25) -> 0 +- 0; de (0 - 0.25, 0 - 0.5) -> -0.375."""
    table = tables.build(Store(db_path), "ece", delta=True)
    assert table.rows == ["demo-sentiment"]
    assert table.cells[("demo-sentiment", "en")].mean == pytest.approx(0.0, abs=1e-7)
    assert table.cells[("demo-sentiment", "de")].mean == pytest.approx(-0.375, abs=1e-7)
    assert table.cells[("demo-sentiment", "de")].std == pytest.approx(S, abs=1e-7)
    assert "difference from the no-intermediate baseline" in tables.to_markdown(table)
    assert "| demo-sentiment | 0.000 ± 0.000 | -0.375 ± 0.177 |" in tables.to_markdown(table)  # no "-0.000"


def test_markdown_and_csv(db_path):
    db = api.open(db_path)
    markdown = db.export("ece", "markdown")
    assert markdown.splitlines()[:4] == [
        "| intermediate | en | de | average |", "|---|---:|---:|---:|",
        "| none | **0.125 ± 0.177** | 0.375 ± 0.177 | 0.250 ± 0.177 |",
        "| demo-sentiment | **0.125 ± 0.177** | **0.000 ± 0.000** | **0.063 ± 0.088** |"]
    assert markdown.splitlines()[-1].endswith("mean ± std over seeds*")  # the caption's sign is the cells'
    rows = list(csv.DictReader(io.StringIO(db.export("ece", "csv"))))
    assert [r["intermediate"] for r in rows] == ["none", "demo-sentiment"]
    assert float(rows[0]["de"]) == pytest.approx(0.375, abs=1e-7) and float(rows[0]["de_std"]) == pytest.approx(S, abs=1e-7)
    assert rows[1]["average_seeds"] == "2"
    assert db.export("ece", "latex", percent=True, digits=1).count(r"\textbf{12.5 $\pm$ 17.7}") == 2


def test_higher_is_better_and_adversarial_tables(db_path):
    """Accuracy: en 0.75/0.5 (none) vs 0.75/1.0; the charnoise copies flip every label, so the attack
    succeeds on every input that was right."""
    db = api.open(db_path)
    accuracy = db.table("accuracy")
    assert accuracy.best(3) >= {("demo-sentiment", "en"), ("demo-sentiment", "de")}
    success = db.table("attack_success_rate")  # the only attack is chosen
    assert success.where["attack"] == "charnoise"
    assert all(cell.mean == 1.0 for cell in success.cells.values())
    assert db.table("ece", attack="charnoise").where["attack"] == "charnoise"


def test_spec_order_and_errors(db_path, tmp_path, capsys):
    table = tables.build(Store(db_path), "ece", languages=["de", "en", "fr"], settings=["demo-sentiment", "none"])
    assert table.columns == ["de", "en", tables.AVERAGE] and table.rows == ["demo-sentiment", "none"]
    with pytest.raises(UserError, match="unknown table 'eec'"):
        tables.build(Store(db_path), "eec")
    with pytest.raises(UserError, match="calibration 'platt'; the database has none, temperature"):
        tables.build(Store(db_path), "ece", calibration="platt")
    code, _, err = run_cli(["export", db_path, "--table", "ece", "--figure", "reliability"], capsys)
    assert code == 2 and "one of them" in err
    code, _, err = run_cli(["export", db_path, "--table", "ece", "--format", "docx"], capsys)
    assert code == 2 and "unknown table format 'docx'" in err
    out_file = tmp_path / "t.md"
    code, _, _ = run_cli(["export", db_path, "--table", "nll", "-f", "markdown", "--out", out_file], capsys)
    assert code == 0 and out_file.read_text().startswith("| intermediate |")


def test_help_names_every_table(capsys):
    code, out, _ = run_cli(["export", "--help"], capsys)
    assert code == 0
    words = set(out.replace(",", " ").replace(".", " ").split())
    assert set(tables.METRICS) <= words
