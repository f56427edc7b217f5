"""Task-score queries: task_score_by_language and xtreme_score against minimal hand-written queries.

10 million synthetic token-level PAN-X predictions (7 tags) in 500 groups (50 target runs = 5 intermediate
settings x 10 seeds, x 10 languages, every group with as many sentences as the others, give or take one), 20 words
a sentence, with the sentences' tag_sentence rows and the cells' cell_score rows as a fill stores them, are loaded
into a temporary xstore database. The named queries read the view task_score (per-cell sums, BUCC's predictions,
the label tables); the minimal queries read tag_sentence and training_run, as someone who knew the database holds
PAN-X alone would write them, and return the same values. Each runs in a forked child, round-robin, the best of
--reps counting; both must agree on every value (NULL with NULL, NaN with NaN) before any time is reported. Also:
what storing one cell's score sums adds to writing its rows.
Run: python bench/task_scores.py [--rows N (at least 10,000)] [--reps N] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import insert_target_runs, print_table, result  # noqa: E402
from metrics import measure_one  # noqa: E402

RUNS, LANGUAGES, WORDS, TAGS = 50, ("en", "de", "fr", "es", "ru", "ar", "hi", "th", "zh", "sw"), 20, 7
GROUPS = RUNS * len(LANGUAGES)

# The minimal queries return the same values as the named ones (the bench checks every one), as someone who knew
# the database holds PAN-X alone would write them: entity F1, precision and recall (0 where a group has no gold
# and no predicted entity, as seqeval's zero_division and the view), sentences, and the run's configuration.
MINIMAL_BY_LANGUAGE = """
SELECT r.base_model, r.intermediate, r.task AS target, r.seed, s.split, s.language, count(*) AS n,
       coalesce(200.0 * sum(s.correct_entities) / nullif(sum(s.gold_entities) + sum(s.predicted_entities), 0), 0)
           AS score,
       coalesce(100.0 * sum(s.correct_entities) / nullif(sum(s.predicted_entities), 0), 0) AS precision,
       coalesce(100.0 * sum(s.correct_entities) / nullif(sum(s.gold_entities), 0), 0) AS recall,
       s.run_key
FROM tag_sentence AS s JOIN training_run AS r ON r.key = s.run_key
GROUP BY r.base_model, r.intermediate, r.task, r.seed, s.split, s.language, s.run_key
ORDER BY r.base_model, r.task, r.intermediate, r.seed, s.split, s.language
"""
MINIMAL_XTREME = """
WITH l AS (SELECT run_key, language,
                  coalesce(200.0 * sum(correct_entities) / nullif(sum(gold_entities) + sum(predicted_entities), 0), 0)
                      AS f1
           FROM tag_sentence GROUP BY run_key, language),
r AS (SELECT t.intermediate, t.seed, avg(l.f1) AS score FROM l JOIN training_run AS t ON t.key = l.run_key
      GROUP BY t.intermediate, t.seed)
SELECT r.intermediate, count(*) AS seeds, avg(r.score) AS mean, stddev_samp(r.score) AS std,
       avg(r.score - b.score) AS delta_mean, stddev_samp(r.score - b.score) AS delta_std,
       list(r.seed ORDER BY r.seed) AS seed_list
FROM r JOIN r AS b ON b.seed = r.seed AND b.intermediate = 'none'
GROUP BY r.intermediate
ORDER BY r.intermediate != 'none', r.intermediate
"""


def load(db: Path, n_rows: int, seed: int = 0) -> None:
    """Migrate a fresh database and insert the runs, the token predictions and their sentences' counts."""
    from xstore import labels
    from xstore.db import Store

    rng = np.random.default_rng(seed)
    sentences = n_rows // WORDS
    if sentences < GROUPS:
        raise ValueError(f"--rows must be at least {GROUPS * WORDS:,}: one sentence for each run and language")
    # Every run x language gets sentences (as many as the others, give or take one), so every run has every language
    # and its baseline pairs with it whatever --rows is; drawing groups at random left some empty at 20,000 rows.
    group = np.repeat(rng.permutation(np.arange(sentences) % GROUPS).astype(np.int32), WORDS)
    run, language = group // len(LANGUAGES), group % len(LANGUAGES)
    logits = rng.normal(0, 2, size=(n_rows, TAGS)).astype(np.float32)
    tags = rng.integers(0, TAGS, n_rows).astype(np.int32)
    sentence_ids = pa.array([f"s{i}" for i in range(sentences)])
    groups = pa.DictionaryArray.from_arrays  # strings built in Arrow from small dictionaries
    runs = [f"run{r:03d}" for r in range(RUNS)]
    cells = [f"cell{g:04d}" for g in range(GROUPS)]
    predictions = pa.table({
        "cell_key": groups(pa.array(group), pa.array(cells)).cast(pa.string()),
        "example_id": sentence_ids.take(pa.array(np.arange(n_rows) // WORDS)),
        "perturbation_id": pa.nulls(n_rows, pa.string()),
        "run_key": groups(pa.array(run), pa.array(runs)).cast(pa.string()),
        "task": pa.array(["panx"] * 1).take(pa.array(np.zeros(n_rows, np.int32))),
        "split": pa.array(["test"]).take(pa.array(np.zeros(n_rows, np.int32))),
        "language": groups(pa.array(language), pa.array(list(LANGUAGES))).cast(pa.string()),
        "attack": pa.array(["none"]).take(pa.array(np.zeros(n_rows, np.int32))),
        "label": pa.array(tags),
        "logits": pa.ListArray.from_arrays(pa.array(np.arange(0, TAGS * n_rows + 1, TAGS, dtype=np.int32)),
                                           pa.array(logits.reshape(-1))),
        "pred_label": pa.array(logits.argmax(axis=1).astype(np.int32)),
        "confidence": pa.array(rng.random(n_rows)),
        "unit": pa.array((np.arange(n_rows) % WORDS).astype(np.int32)),
    })
    first = group[::WORDS]
    gold = rng.integers(0, 4, sentences).astype(np.int32)
    predicted = rng.integers(0, 4, sentences).astype(np.int32)
    correct = np.minimum(gold, predicted) - rng.integers(0, 2, sentences).clip(0, np.minimum(gold, predicted))
    sentences_table = pa.table({
        "cell_key": groups(pa.array(first), pa.array(cells)).cast(pa.string()), "example_id": sentence_ids,
        "run_key": groups(pa.array(first // len(LANGUAGES)), pa.array(runs)).cast(pa.string()),
        "task": pa.array(["panx"] * sentences), "split": pa.array(["test"] * sentences),
        "language": groups(pa.array(first % len(LANGUAGES)), pa.array(list(LANGUAGES))).cast(pa.string()),
        "attack": pa.array(["none"] * sentences), "words": pa.array(np.full(sentences, WORDS, np.int32)),
        "scored_words": pa.array(np.full(sentences, WORDS, np.int32)),
        "correct_words": pa.array(rng.integers(0, WORDS + 1, sentences).astype(np.int32)),
        "gold_entities": pa.array(gold), "predicted_entities": pa.array(predicted),
        "correct_entities": pa.array(correct.astype(np.int32)),
    })
    store = Store(db)
    store.upgrade()
    with store.connect() as con:
        insert_target_runs(con, "panx")
        con.execute("""INSERT INTO task VALUES ('panx', 1, 'target', 'tagging', '["O", "B-PER", "I-PER", "B-ORG",
                       "I-ORG", "B-LOC", "I-LOC"]', '["tokens"]', '["en"]')""")
        for name, table in (("prediction", predictions), ("tag_sentence", sentences_table)):
            con.register("rows", table)
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM rows")
            con.unregister("rows")
        labels.refresh(con)  # the run labels and each cell's score sums, as a fill stores them
        labels.refresh_scores(con)


def _frame(db: Path, threads: int, sql: str | None = None, name: str | None = None) -> dict:
    """The query's rows by column. Run with `execute`, which binds and plans it once: a DuckDB relation (`con.sql`)
    binds it once to describe its columns and again to run it, which costs a view-heavy query more than a plain
    one (measured: 10 to 15 ms for the named queries)."""
    import duckdb

    from xstore import named

    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"SET threads = {threads}")
    try:
        if name:
            query = named.get(name)
            sql, params = query.sql, query.bind({})
        else:
            params = None
        rows = con.execute(sql, params).fetchall()
        columns = [d[0] for d in con.description]
    finally:
        con.close()
    return {c: [row[i] for row in rows] for i, c in enumerate(columns)}


def _by_language(got: dict) -> dict:
    """(run, language) -> (score, precision, recall, sentences)."""
    return {(r, x): (s, p, c, float(n)) for r, x, s, p, c, n in
            zip(got["run_key"], got["language"], got["score"], got["precision"], got["recall"], got["n"])}


def _xtreme(got: dict) -> dict:
    """intermediate -> (seeds, mean, std, delta mean, delta std)."""
    return {i: (float(k), m, s, d, e) for i, k, m, s, d, e in
            zip(got["intermediate"], got["seeds"], got["mean"], got["std"], got["delta_mean"], got["delta_std"])}


def named_by_language(db, data, threads):
    return _by_language(_frame(db, threads, name="task_score_by_language"))


def minimal_by_language(db, data, threads):
    return _by_language(_frame(db, threads, sql=MINIMAL_BY_LANGUAGE))


def named_xtreme(db, data, threads):
    return _xtreme(_frame(db, threads, name="xtreme_score"))


def minimal_xtreme(db, data, threads):
    return _xtreme(_frame(db, threads, sql=MINIMAL_XTREME))


PAIRS = {  # named query -> (its implementation, the minimal query's)
    "task_score_by_language": (named_by_language, minimal_by_language),
    "xtreme_score": (named_xtreme, minimal_xtreme),
}


def _same(ours, theirs) -> bool:
    """Equal within 1e-9, or NULL (None) on both sides, or NaN on both sides: NULL against NaN is a difference."""
    if ours is None or theirs is None:
        return ours is theirs
    if np.isnan(ours) or np.isnan(theirs):
        return bool(np.isnan(ours) and np.isnan(theirs))
    return abs(ours - theirs) <= 1e-9


def _agree(named: dict, minimal: dict, what: str) -> None:
    """Raise unless both queries give the same rows and, row by row, the same values (see _same)."""
    if named.keys() != minimal.keys():
        raise AssertionError(f"{what}: different rows: {sorted(named.keys() ^ minimal.keys())[:5]}")
    for key, ours in named.items():
        theirs = minimal[key]
        pairs = zip(ours, theirs) if isinstance(ours, tuple) else [(ours, theirs)]
        if not all(_same(x, y) for x, y in pairs):
            raise AssertionError(f"{what}: at {key} the named query gives {ours}, the minimal one {theirs}")


def write_cost(db: Path, cells: int = 5) -> tuple[float, float]:
    """Median seconds of storing one cell's score sums (labels.score_cell, as Store.write_cell does after the
    cell's rows), and of inserting that cell's prediction and tag_sentence rows from Arrow (the write it joins),
    over `cells` cells, each in a transaction rolled back."""
    import statistics

    from xstore import labels
    from xstore.db import Store

    sums, inserts = [], []
    with Store(db).connect() as con:
        keys = [k for (k,) in con.execute("SELECT cell_key FROM cell_score ORDER BY cell_key LIMIT ?", [cells]).fetchall()]
        for key in keys:
            rows = {t: con.execute(f"SELECT * REPLACE (cell_key || '-copy' AS cell_key) FROM {t} WHERE cell_key = ?",
                                   [key]).to_arrow_table()
                    for t in ("prediction", "tag_sentence")}  # a copy under another key: tag_sentence is keyed
            con.begin()
            t0 = time.perf_counter()
            for table, arrow in rows.items():
                con.register("_rows", arrow)
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows").fetchall()
                con.unregister("_rows")
            inserts.append(time.perf_counter() - t0)
            con.rollback()
            con.begin()
            con.execute("DELETE FROM cell_score WHERE cell_key = ?", [key]).fetchall()
            t0 = time.perf_counter()
            labels.score_cell(con, key)
            sums.append(time.perf_counter() - t0)
            con.rollback()
    return statistics.median(sums), statistics.median(inserts)


def measure(n_rows: int, reps: int = 3, threads: int | None = None, echo=print) -> list[dict]:
    threads = threads or os.cpu_count() or 1
    rows, best = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "scores.duckdb"
        load(db, n_rows)
        echo(f"loaded {n_rows:,} token predictions, {n_rows // WORDS:,} sentences ({db.stat().st_size / 2**20:.0f} MiB)")
        for rep in range(reps):  # round-robin, as bench/metrics.py: a shared machine's load falls on all alike
            for name, pair in PAIRS.items():
                values = []
                for label, function in zip(("named", "minimal"), pair):
                    seconds, _, value = measure_one(function, db, None, threads, 1)
                    values.append(value)
                    key = (name, label)
                    best[key] = min(seconds, best.get(key, float("inf")))
                    echo(f"round {rep + 1}: {label:8} {name:24} {seconds:7.3f} s")
                _agree(*values, name)
        sums, inserts = write_cost(db)
        echo(f"storing a cell's score sums {sums * 1000:.1f} ms, inserting its rows {inserts * 1000:.1f} ms (medians)")
    for name in PAIRS:
        named_s, minimal_s = best[(name, "named")], best[(name, "minimal")]
        rows.append(result("task_scores", f"minimal query for {name}", minimal_s, "s"))
        rows.append(result("task_scores", f"named {name}", named_s, "s", "minimal query", named_s / minimal_s,
                           "<= 1.5x minimal"))
    rows.append(result("task_scores", f"insert one cell's rows ({n_rows // GROUPS:,} token predictions, "
                       f"{n_rows // WORDS // GROUPS:,} sentences) into {n_rows:,}", inserts, "s"))
    rows.append(result("task_scores", "  store its score sums (cell_score)", sums, "s", "its rows' insert",
                       sums / inserts))
    return rows


def run(quick: bool = False) -> list[dict]:
    return measure(50_000 if quick else 10_000_000, reps=1 if quick else 3, echo=lambda *a: print(*a, file=sys.stderr))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="token predictions to store (default 10 million)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per query; the best counts")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    args = parser.parse_args()
    if args.rows < GROUPS * WORDS:
        parser.error(f"--rows must be at least {GROUPS * WORDS:,}: one sentence for each run and language")
    rows = measure(args.rows, args.reps, args.threads)
    print_table(rows, f"task-score queries, {args.rows:,} token predictions, {args.rows // WORDS:,} sentences, "
                      f"best of {args.reps}")


if __name__ == "__main__":
    main()
