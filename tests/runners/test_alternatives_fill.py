"""Phang et al. 2020's alternatives fill end to end on the tiny model: "mnli+mlm" (MLM text from a small local
folder in five languages and four scripts) and "mnli@translated" (a fixture in XTREME's translate-train layout),
beside plain "mnli" and "none"; each is a run of its own that the named queries keep apart."""

import json
from pathlib import Path

import duckdb
import pytest
from safetensors import safe_open

from conftest import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LANGUAGES = ["en", "de", "ru", "zh", "ar"]

SPEC = """
database = "alt.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = {intermediate}
targets = ["xnli"]
languages = ["de"]
seeds = [1]

[train.intermediate]
learning_rate = 1e-3
batch_size = 2
grad_accum_steps = 1
max_steps = {steps}
max_length = 32

[train.target]
learning_rate = 1e-3
batch_size = 2
grad_accum_steps = 1
max_steps = 2
max_length = 32

[predict]
max_length = 32

[data]
mnli = "{fixtures}/tasks/mnli"
xnli = "{fixtures}/tasks/xnli"

[mlm]
folder = "{fixtures}/mlm"
languages = {languages}
mixing = "{mixing}"

[translated.mnli]
folder = "{fixtures}/translated/mnli"
languages = {languages}
"""

SETTINGS = ["none", "mnli", "mnli+mlm", "mnli@translated"]


def write(folder: Path, intermediate=SETTINGS, steps=2, mixing="alternate") -> Path:
    path = folder / "alt.toml"
    path.write_text(SPEC.format(intermediate=json.dumps(intermediate), steps=steps, fixtures=FIXTURES,
                                languages=json.dumps(LANGUAGES), mixing=mixing))
    return path


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    from xstore.db import Store
    from xstore.fill import fill
    from xstore.spec import load_spec

    folder = tmp_path_factory.mktemp("alternatives")
    spec = load_spec(write(folder))
    report = fill(spec, Store(spec.database_path))
    assert report.exit_code == 0, report.failed
    return folder


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def test_each_alternative_is_a_run_of_its_own_trained_on_its_data(filled):
    con = duckdb.connect(str(filled / "alt.duckdb"), read_only=True)
    runs = {row[0]: row[1:] for row in con.execute(
        "SELECT intermediate, key, train_examples, checkpoint_sha256 FROM training_run WHERE phase = 'intermediate'").fetchall()}
    assert sorted(runs) == ["mnli", "mnli+mlm", "mnli@translated"]
    assert len({key for key, _, _ in runs.values()}) == 3 and len({sha for _, _, sha in runs.values()}) == 3
    english = runs["mnli"][1]
    # MLM: every non-blank line of the five files (the English file has a blank line), stored as `mlm` examples
    text = {lang: _lines(FIXTURES / "mlm" / f"{lang}.txt") for lang in LANGUAGES}
    stored = dict(con.execute("SELECT language, count(*) FROM example WHERE task = 'mlm' GROUP BY 1").fetchall())
    assert stored == text and runs["mnli+mlm"][1] == english + sum(text.values())
    # translations: each language's file (zh's is XNLI-MT's with a header line); English is MNLI's own data
    translated = dict(con.execute(
        "SELECT language, count(*) FROM example WHERE task = 'mnli@translated' GROUP BY 1").fetchall())
    assert translated == {"de": 4, "ru": 3, "zh": 2, "ar": 3}
    assert runs["mnli@translated"][1] == english + 12
    # XNLI-MT's "contradictory" is the third class; the Cyrillic premise is read as written
    assert con.execute("""SELECT label FROM example WHERE task = 'mnli@translated' AND language = 'ru'
                          AND text_a = 'Весь день шёл дождь.'""").fetchone() == (2,)
    sources = con.execute("""SELECT location FROM data_source WHERE task IN ('mlm', 'mnli@translated')""").fetchall()
    assert len(sources) == 9 and all(str(FIXTURES) in location for (location,) in sources)


def test_the_mlm_head_is_discarded_after_phase_2(filled):
    con = duckdb.connect(str(filled / "alt.duckdb"), read_only=True)
    path = con.execute("SELECT checkpoint_path FROM training_run WHERE intermediate = 'mnli+mlm' AND phase = 'intermediate'").fetchone()[0]
    checkpoint = filled / "alt.xstore" / path
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["architectures"] == ["XLMRobertaModel"]
    with safe_open(checkpoint / "model.safetensors", "pt") as weights:
        names = list(weights.keys())
    assert names and not [n for n in names if "lm_head" in n or "classifier" in n]


def test_alternate_mixing_interleaves_mlm_batches(filled):
    # two optimizer steps of one batch each: step 1 draws MNLI, step 2 MLM; the MLM loss over the tiny model's
    # vocabulary is far above the 3-class loss, so the logged mean loss of the mixed run shows it
    con = duckdb.connect(str(filled / "alt.duckdb"), read_only=True)
    loss = dict(con.execute("""SELECT r.intermediate, s.loss FROM training_step s JOIN training_run r ON r.key = s.run_key
                               WHERE r.phase = 'intermediate' AND s.step = 2""").fetchall())
    assert loss["mnli"] < 1.5 and loss["mnli@translated"] < 1.5 and loss["mnli+mlm"] > 2.5


def test_the_queries_show_them_as_separate_intermediate_settings(filled, capsys):
    code, out, err = run_cli(["query", "accuracy_by_language", "--db", filled / "alt.toml", "-f", "json"], capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert sorted(row["intermediate"] for row in rows) == sorted(SETTINGS)
    assert len({row["run_key"] for row in rows}) == 4
    code, out, err = run_cli(["query", "metrics_over_seeds", "--db", filled / "alt.toml", "-f", "json"], capsys)
    assert code == 0, err
    accuracy = [row for row in json.loads(out) if row["metric"] == "accuracy"]
    assert sorted(row["intermediate"] for row in accuracy) == sorted(SETTINGS)


def test_adding_the_alternatives_leaves_the_plain_runs_alone(filled, tmp_path):
    # the plain settings of a spec without the alternatives are the cells already stored: nothing to compute
    from xstore.db import Store
    from xstore.planner import declare, plan
    from xstore.spec import load_spec

    path = write(tmp_path, intermediate=["none", "mnli"])
    text = path.read_text().replace('database = "alt.duckdb"', f'database = "{filled / "alt.duckdb"}"')
    path.write_text(text.split("[mlm]")[0])
    spec = load_spec(path)
    cells = declare(spec)
    with Store(spec.database_path).connect(read_only=True) as con:
        assert cells and not plan(con, cells).missing


def _subprocess_fill(folder: Path, kill_at=None):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "XSTORE_KILL_AT"}
    if kill_at:
        env["XSTORE_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "xstore", "fill", str(folder / "alt.toml")], env=env,
                          capture_output=True, text=True, timeout=600)


def _phase2(folder: Path):
    con = duckdb.connect(str(folder / "alt.duckdb"), read_only=True)
    return (con.execute("SELECT key, checkpoint_sha256 FROM training_run WHERE phase = 'intermediate'").fetchall(),
            con.execute("SELECT step, loss FROM training_step s JOIN training_run r ON r.key = s.run_key "
                        "WHERE r.phase = 'intermediate' ORDER BY step").fetchall())


def test_a_killed_mlm_training_resumes_to_the_same_model(tmp_path):
    # the MLM masks come from torch's generator, which the resumable state saves: a training killed after
    # step 3 and resumed from its state of step 2 ends with the uninterrupted run's weights and losses
    results = []
    for name, every in (("whole", 0), ("killed", 2)):
        folder = tmp_path / name
        folder.mkdir()
        write(folder, intermediate=["mnli+mlm"], steps=4)
        path = folder / "alt.toml"
        path.write_text(path.read_text().replace("max_steps = 4\n", f"max_steps = 4\nlog_every = 1\ncheckpoint_every = {every}\n", 1))
        if every:  # killed in a process of its own, resumed in another
            assert _subprocess_fill(folder, "train_step:3").returncode == -9
            done = _subprocess_fill(folder)
            assert done.returncode == 0, done.stderr[-2000:]
            assert "resumed from step 2 of 4" in done.stderr
        else:
            from xstore.db import Store
            from xstore.fill import fill
            from xstore.spec import load_spec

            spec = load_spec(path)
            assert fill(spec, Store(spec.database_path)).exit_code == 0
        results.append(_phase2(folder))
    assert results[0] == results[1] and len(results[0][1]) == 4
