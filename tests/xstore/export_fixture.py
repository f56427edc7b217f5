"""A hand-computed database for the export tests: 2 intermediate settings x 2 seeds x 2 languages.

Every run x language has four English-style predictions [log 3, 0] (confidence 0.75, class 0) whose gold
labels make `right` of them right, so each ECE is |right / 4 - 0.75| (one bin):
    setting          seed  en right -> ECE    de right -> ECE
    none             1     3 -> 0.0           2 -> 0.25
    none             2     2 -> 0.25          1 -> 0.5
    demo-sentiment   1     3 -> 0.0           3 -> 0.0
    demo-sentiment   2     4 -> 0.25          3 -> 0.0
Over seeds (sample std): none en 0.125 +- 0.176777, de 0.375 +- 0.176777, average of the per-seed language
means (0.125, 0.375) 0.25 +- 0.176777; demo-sentiment en 0.125 +- 0.176777, de 0 +- 0, average (0, 0.125)
0.0625 +- 0.088388. Best (lowest) per column: en both (a tie), de and average demo-sentiment.
Each run also has a temperature fit T = 2 and a charnoise copy of its inputs with every label flipped.

The row helpers live in tests/queries/querydb.py; that folder is put on sys.path here because test
folders have no __init__.py (and a second conftest.py would shadow tests/conftest.py).
"""

from __future__ import annotations

import sys
from math import log
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queries"))

from querydb import QueryDB  # noqa: E402

from xstore.db import Store  # noqa: E402

RIGHT = {("none", 1): (3, 2), ("none", 2): (2, 1), ("demo-sentiment", 1): (3, 3), ("demo-sentiment", 2): (4, 3)}


def make(folder: Path) -> Path:
    """Write the database into `folder`; returns its path."""
    store = Store(folder / "export.duckdb")
    store.upgrade()
    qdb = QueryDB(store)
    for (setting, seed), rights in RIGHT.items():
        run = f"{setting}-{seed}"
        qdb.add_run(run, seed=seed, intermediate=setting)
        for language, right in zip(("en", "de"), rights):
            labels = [0] * right + [1] * (4 - right)
            ids = [f"{language}{i}" for i in range(4)]
            qdb.add_predictions(run, [[log(3), 0]] * 4, labels, language=language, example_ids=ids)
            qdb.add_predictions(run, [[log(3), 0]] * 4, [1 - y for y in labels], language=language,
                                attack="charnoise", example_ids=ids)
        qdb.add_fit(run, 2.0)
    return store.path
