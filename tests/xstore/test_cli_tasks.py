"""`xstore tasks` lists the catalogue; `xstore tasks NAME` shows where one task's data comes from."""

from conftest import run_cli
from xstore.tasks import TASKS


def test_the_list_names_every_task_with_its_role_and_head(capsys):
    code, out, _ = run_cli(["tasks"], capsys)
    assert code == 0
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert set(TASKS) <= set(rows)
    for name, entry in TASKS.items():
        assert entry.role in rows[name] and entry.head in rows[name]
    assert "15: en ar bg" in rows["xnli"] and "40:" in rows["panx"]  # long language lists are counted


def test_role_filter(capsys):
    code, out, _ = run_cli(["tasks", "--role", "intermediate"], capsys)
    assert code == 0 and "hellaswag" in out and "xnli" not in out
    code, _, err = run_cli(["tasks", "--role", "both-ish"], capsys)
    assert code == 2 and "intermediate or target" in err


def test_one_task_in_full(capsys):
    code, out, _ = run_cli(["tasks", "pawsx"], capsys)
    assert code == 0
    for expected in ("not_paraphrase", "google-research-datasets/paws-x", "train-en.tsv", "ja"):
        assert expected in out
    code, out, _ = run_cli(["tasks", "ccg"], capsys)
    assert "none: local files only" in out and "tags.txt" in out
    code, _, err = run_cli(["tasks", "xnly"], capsys)
    assert code == 2 and "unknown task 'xnly'" in err
