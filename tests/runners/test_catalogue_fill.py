"""The catalogue's real entries, read from their local layouts (tests/fixtures/tasks), fill end to end.

One spec per group of targets that share a fixture language: an intermediate task of another head kind,
then each target trained on its English fixture data and predicted zero-shot, rows checked per head.
"""

import json
from pathlib import Path

import duckdb

from conftest import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tasks"

_SPEC = """
database = "cat.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = {intermediate}
targets = {targets}
languages = {languages}
seeds = [1]

[train.intermediate]
learning_rate = 1e-3
batch_size = 2
grad_accum_steps = 1
max_steps = 2
max_length = 64

[train.target]
learning_rate = 1e-3
batch_size = 2
grad_accum_steps = 1
max_steps = 2
max_length = 64

[predict]
max_length = 64

[data]
{data}
"""


def _fill(tmp_path, capsys, intermediate, targets, languages, tasks):
    data = "\n".join(f'{t} = "{FIXTURES / t}"' for t in tasks)
    spec = tmp_path / "cat.toml"
    spec.write_text(_SPEC.format(intermediate=intermediate, targets=targets, languages=languages, data=data))
    code, out, err = run_cli(["fill", spec], capsys)
    assert code == 0, out + err
    return duckdb.connect(str(tmp_path / "cat.duckdb"), read_only=True)


def test_sentence_span_and_retrieval_targets_after_a_multiple_choice_intermediate(tmp_path, capsys):
    con = _fill(tmp_path, capsys, '["none", "commonsenseqa"]', '["xnli", "xquad", "tatoeba"]', '["de"]',
                ["commonsenseqa", "xnli", "xquad", "tatoeba"])
    assert con.execute("SELECT count(*) FROM failure").fetchone() == (0,)
    runs = con.execute("SELECT task, intermediate, steps FROM training_run WHERE phase = 'target' ORDER BY 1, 2").fetchall()
    assert runs == [("tatoeba", "commonsenseqa", 0), ("tatoeba", "none", 0),
                    ("xnli", "commonsenseqa", 2), ("xnli", "none", 2), ("xquad", "commonsenseqa", 2), ("xquad", "none", 2)]
    # each target predicted in German, one row per input (tatoeba: per sentence; xquad: per question)
    per_task = dict(con.execute("""
        SELECT p.task, count(*) FROM prediction p WHERE p.split = 'test' AND p.language = 'de' GROUP BY 1""").fetchall())
    examples = dict(con.execute("""
        SELECT task, count(*) FROM example WHERE split = 'test' AND language = 'de' GROUP BY 1""").fetchall())
    assert per_task == {task: 2 * n for task, n in examples.items()}
    assert con.execute("SELECT count(*) FROM span_answer").fetchone()[0] == 2 * examples["xquad"]
    assert con.execute("SELECT DISTINCT normalization FROM span_answer").fetchall() == [("squad-v1.1",)]
    # provenance: every load names the fixture file it read and its sha256
    sources = con.execute("SELECT origin, location, length(fingerprint) FROM data_source").fetchall()
    assert sources and all(o == "local" and str(FIXTURES) in loc and n == 64 for o, loc, n in sources)


def test_tagging_target_after_a_span_intermediate(tmp_path, capsys):
    con = _fill(tmp_path, capsys, '["squad"]', '["udpos"]', '["ja"]', ["squad", "udpos"])
    words = con.execute("""SELECT sum(json_array_length(fields->'$.tokens')) FROM example
                           WHERE task = 'udpos' AND split = 'test'""").fetchone()[0]
    rows = con.execute("SELECT count(*), count(DISTINCT example_id), max(unit) FROM prediction WHERE task = 'udpos'").fetchone()
    assert rows[0] == words and rows[1] >= 1  # one row per word: every word of these short sentences fits in 64 tokens
    labels = con.execute("SELECT DISTINCT len(logits) FROM prediction WHERE task = 'udpos'").fetchall()
    assert labels == [(17,)]  # the 17 UPOS tags


def test_ccg_supertags_size_the_head_in_a_multitask_mixture(tmp_path, capsys):
    # CCG declares no labels: its tag set comes from the data folder's tags.txt, for the head and the task row
    con = _fill(tmp_path, capsys, '[["ccg", "sst2"]]', '["xnli"]', '["de"]', ["ccg", "sst2", "xnli"])
    tags = (FIXTURES / "ccg" / "tags.txt").read_text(encoding="utf-8").split()
    stored = con.execute("SELECT labels FROM task WHERE name = 'ccg'").fetchone()[0]
    assert json.loads(stored) == tags
    run = con.execute("SELECT task, steps FROM training_run WHERE phase = 'intermediate'").fetchone()
    assert run == ("ccg+sst2", 2)
