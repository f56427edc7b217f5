"""End to end on the tiny model: a fill of XNLI, PAN-X and BUCC targets (data written here, our own sentences, in
XTREME's local layouts) stores what the task scores sum, and the paper's queries and tables read it."""

from __future__ import annotations

import duckdb
import pytest

from conftest import run_cli

_SPEC = """
database = "paper.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["none", "demo-sentiment"]
targets = ["xnli", "panx", "bucc2018"]
languages = ["en", "de"]
seeds = [1]

[train.intermediate]
learning_rate = 1e-3
batch_size = 4
max_steps = 2
max_length = 32

[train.target]
learning_rate = 1e-3
batch_size = 4
max_steps = 2
max_length = 32

[predict]
eval_splits = ["dev", "test"]
max_length = 32

[data]
xnli = "xnli"
panx = "panx"
bucc2018 = "bucc2018"
"""
_PAIRS = {  # premise, hypothesis, label: our own sentences
    "en": [("The shop opens at nine.", "The shop opens in the morning.", "entailment"),
           ("The shop opens at nine.", "The shop is closed all day.", "contradiction"),
           ("The shop opens at nine.", "The shop sells bread.", "neutral"),
           ("A boy reads a book.", "A child is reading.", "entailment")],
    "de": [("Der Laden öffnet um neun.", "Der Laden öffnet morgens.", "entailment"),
           ("Der Laden öffnet um neun.", "Der Laden ist den ganzen Tag zu.", "contradiction"),
           ("Ein Junge liest ein Buch.", "Das Buch ist rot.", "neutral")],
}
_SENTENCES = {  # words and PAN-X tags
    "en": [[("Anna", "B-PER"), ("lives", "O"), ("in", "O"), ("New", "B-LOC"), ("York", "I-LOC")],
           [("Siemens", "B-ORG"), ("hired", "O"), ("Tom", "B-PER"), ("Miller", "I-PER")],
           [("It", "O"), ("rained", "O"), ("in", "O"), ("Paris", "B-LOC")]],
    "de": [[("Anna", "B-PER"), ("wohnt", "O"), ("in", "O"), ("Köln", "B-LOC")],
           [("Die", "O"), ("Firma", "O"), ("Bosch", "B-ORG"), ("wächst", "O")],
           [("Max", "B-PER"), ("Weber", "I-PER"), ("fährt", "O"), ("nach", "O"), ("Wien", "B-LOC")]],
}
_BUCC = [("Der Hund schläft.", "The dog sleeps."), ("Es ist kalt.", "It is cold."),
         ("Wir essen Brot.", "We eat bread."), ("Das Auto ist neu.", "The car is new.")]


def _write_data(root):
    (root / "xnli").mkdir()
    for split in ("train", "dev", "test"):
        for language, rows in _PAIRS.items():
            if split != "train" or language == "en":
                (root / "xnli" / f"{split}-{language}.tsv").write_text(
                    "".join(f"{a}\t{b}\t{y}\n" for a, b, y in rows), encoding="utf-8")
    (root / "panx").mkdir()
    for split in ("train", "dev", "test"):
        for language, sentences in _SENTENCES.items():
            if split != "train" or language == "en":
                text = "\n".join("".join(f"{w}\t{t}\n" for w, t in s) for s in sentences)
                (root / "panx" / f"{split}-{language}.tsv").write_text(text, encoding="utf-8")
    (root / "bucc2018").mkdir()
    for split in ("dev", "test"):
        prefix = root / "bucc2018" / f"de-en.{split}"
        prefix.with_suffix(f".{split}.de").write_text("".join(f"de-{i}\t{d}\n" for i, (d, _) in enumerate(_BUCC)), "utf-8")
        prefix.with_suffix(f".{split}.en").write_text("".join(f"en-{i}\t{e}\n" for i, (_, e) in enumerate(_BUCC)), "utf-8")
        prefix.with_suffix(f".{split}.gold").write_text("".join(f"de-{i}\ten-{i}\n" for i in range(len(_BUCC))), "utf-8")


@pytest.fixture(scope="module")
def paper_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    _write_data(root)
    spec = root / "paper.toml"
    spec.write_text(_SPEC, encoding="utf-8")
    from xstore.cli import main  # noqa: F401  (run_cli needs capsys; a module fixture runs the CLI itself)
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "xstore", "fill", str(spec)], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return spec


def _query(spec, sql):
    with duckdb.connect(str(spec.parent / "paper.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_fill_stores_sentence_counts_and_the_view_scores_every_target(paper_db, capsys):
    assert _query(paper_db, "SELECT count(*) FROM failure") == [(0,)]
    sentences = _query(paper_db, "SELECT count(*) FROM tag_sentence")[0][0]
    assert sentences == 2 * 3 * 3  # settings x (dev en, test en, test de: PAN-X's dev is English only) x sentences
    code, out, err = run_cli(["query", "task_score_by_language", "--db", paper_db.parent / "paper.duckdb", "-f", "csv"],
                             capsys)
    assert code == 0, err
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(out)))
    per_target = {}
    for r in rows:
        per_target.setdefault(r["target"], set()).add((r["metric"], r["split"], r["language"]))
    assert per_target == {
        "xnli": {("accuracy", s, x) for s in ("dev", "test") for x in ("en", "de")},
        "panx": {("f1", "dev", "en"), ("f1", "test", "en"), ("f1", "test", "de")},
        "bucc2018": {("f1", "dev", "de"), ("f1", "test", "de")},
    }
    assert len(rows) == 2 * (4 + 3 + 2)
    assert {r["tuned_on"] for r in rows if r["target"] == "bucc2018"} == {"dev"}


def test_panx_f1_agrees_with_seqeval_on_the_stored_predictions(paper_db):
    seqeval = pytest.importorskip("seqeval.metrics")
    from xstore.catalog import get_task

    labels = get_task("panx").labels
    words = _query(paper_db, """
        SELECT p.run_key, p.split, p.language, p.example_id, list(p.pred_label ORDER BY p.unit),
               any_value(e.fields->>'$.tags')
        FROM prediction AS p JOIN example AS e ON e.id = p.example_id
        WHERE p.task = 'panx' GROUP BY ALL""")
    import json

    groups = {}
    for run, split, language, _, predicted, gold in words:
        g, p = groups.setdefault((run, split, language), ([], []))
        g.append([labels[t] for t in json.loads(gold)])
        p.append([labels[t] for t in predicted])
    scores = {(r, s, x): v for r, s, x, v in _query(paper_db, """
        SELECT run_key, split, language, score FROM task_score WHERE target = 'panx'""")}
    assert set(scores) == set(groups)
    for key, (gold, predicted) in groups.items():
        assert scores[key] == pytest.approx(100 * seqeval.f1_score(gold, predicted), abs=1e-9), key


def test_xtreme_score_and_best_intermediate_read_the_fill(paper_db, capsys):
    db = str(paper_db.parent / "paper.duckdb")
    code, out, err = run_cli(["query", "xtreme_score", "--db", db, "-f", "json"], capsys)
    assert code == 0, err
    import json

    rows = {r["intermediate"]: r for r in json.loads(out)}
    assert set(rows) == {"none", "demo-sentiment"}
    assert rows["none"]["targets"] == ["bucc2018", "panx", "xnli"] and rows["none"]["seeds"] == 1
    assert rows["none"]["targets_missing"] == ["mlqa", "pawsx", "tatoeba", "tydiqa", "udpos", "xquad"]
    assert rows["none"]["delta_mean"] == 0 and rows["demo-sentiment"]["paired_seeds"] == 1
    code, out, err = run_cli(["query", "best_intermediate", "--db", db, "-f", "json"], capsys)
    chosen = {(r["target"], r["rule"]) for r in json.loads(out)}
    # BUCC has no English side to choose on: only its oracle row
    assert chosen == {("xnli", "english-dev"), ("xnli", "oracle"), ("panx", "english-dev"), ("panx", "oracle"),
                      ("bucc2018", "oracle")}


def test_export_writes_the_papers_tables(paper_db, capsys):
    db = str(paper_db.parent / "paper.duckdb")
    code, out, err = run_cli(["export", db, "--table", "xtreme", "-f", "markdown", "--percent", "--digits", "1"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "| intermediate | xnli | panx | bucc2018 | average |"
    assert [line.split(" | ")[0] for line in lines[2:6]] == [
        "| none", "| demo-sentiment", "| best on English dev", "| oracle: best on target test"]
    assert "**" in lines[2] + lines[3]  # the best of each column in bold
    assert "XTREME targets not in the database: pawsx, udpos, xquad, mlqa, tydiqa, tatoeba" in out
    code, out, err = run_cli(["export", db, "--table", "xtreme", "--delta", "-f", "latex"], capsys)
    assert code == 0, err
    assert "difference from the no-intermediate baseline" in out and "demo-sentiment" in out
    assert "\\textbf" not in out.split("best on English dev")[1]  # selection rows are not ranked
    code, out, err = run_cli(["export", db, "--table", "task_score", "--target", "panx", "-f", "markdown"], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == "| intermediate | en | de | average |"
