"""A task file with a missing field, an unknown label, an empty text or broken JSON: one clear message,
exit 2, and nothing stored for that cell."""

import json

import pytest

from conftest import run_cli, write_spec
from xstore.db import Store

GOOD = {"language": "en", "split": "train", "index": 0, "premise": "A man sings.", "hypothesis": "A person sings.",
        "label": "entailment"}


@pytest.mark.parametrize("broken, message", [
    ({k: v for k, v in GOOD.items() if k != "hypothesis"}, "has no 'hypothesis' field"),
    ({**GOOD, "label": "maybe"}, "has unknown label 'maybe'; expected one of entailment, neutral, contradiction"),
    ({**GOOD, "premise": "   "}, "has an empty text field"),
    (None, "is not valid JSON"),
])
def test_bad_task_file(tmp_path, capsys, broken, message):
    data = tmp_path / "data"
    data.mkdir()
    lines = [json.dumps({**GOOD, "index": i}) for i in range(1, 4)]
    lines.insert(1, "{oops" if broken is None else json.dumps(broken))
    (data / "demo_nli.jsonl").write_text("\n".join(lines) + "\n")
    path = write_spec(tmp_path)
    text = path.read_text().replace('["none", "demo-sentiment"]', '["none"]')  # nothing to train meanwhile
    path.write_text(text + '\n[data]\n"demo-nli" = "data"\n')
    code, out, err = run_cli(["fill", path], capsys)
    assert code == 2
    assert f"demo_nli.jsonl line 2 {message}" in out + err
    with Store(tmp_path / "small.duckdb").connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM example WHERE task = 'demo-nli'").fetchone() == (0,)
        failed = con.execute("SELECT DISTINCT kind FROM failure").fetchall()
    assert failed == [("load",)]
