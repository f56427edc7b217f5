"""`python bench/run.py --quick` runs every benchmark end to end, so the scripts cannot rot unseen.

Each benchmark checks its own work (the metric implementations agree, xstore's logits match the
pipeline's, every row written is stored) and exits non-zero when it does not; this test checks that
each printed its rows. Figures are not checked: no timed tests.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_benchmark_runs_quick_and_prints_its_rows():
    """The XNLI benchmarks (predict, train, fill_real) run when XNLI_DIR or XSTORE_TEST_DATA/xnli holds XNLI's files."""
    env = {**os.environ, "COLUMNS": "250"}
    xnli = os.environ.get("XNLI_DIR") or os.path.join(os.environ.get("XSTORE_TEST_DATA", ""), "xnli")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick"], capture_output=True,
                          text=True, env=env, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    expected = {
        "ingest": "Arrow insert, 50,000 rows",
        "memory": "held: peak above start",
        "planner": "plan",
        "fill": "demo fill, ",
        "metrics": "named ece_by_language",
        "output": "xstore query -f csv",
        "task_scores": "named xtreme_score",
        "attacks": "deepwordbug:",
    }
    if os.path.isdir(xnli):
        expected["predict"] = "xstore encode + batched_logits"
        expected["fill_real"] = "prediction stage"
        if importlib.util.find_spec("accelerate"):
            expected["train"] = "xstore training loop"
    for bench, measure in expected.items():
        rows = [line for line in table.splitlines() if line.lstrip("│ ").startswith(bench)]
        assert any(measure in row for row in rows), (bench, measure, table[-3000:])
