"""Metric queries: the named queries against a minimal DuckDB query, vectorised NumPy and torchmetrics.

10 million synthetic 3-class predictions in 1,000 groups (50 target runs x 10 languages x clean and
attacked) are loaded into a temporary xstore database through Arrow. Accuracy, ECE (10 bins), Brier score
and NLL per group are then computed by: each named query (accuracy_by_language, ece_by_language,
brier_by_language, nll_by_language) and metrics_over_seeds (all seven metrics, rolled up over seeds); a
minimal hand-written DuckDB query for the four metrics that reads logits[1..3] with plain arithmetic;
NumPy (float64, bincount over group ids, single-threaded); and torchmetrics once per group, including
splitting the rows by group. metrics_over_seeds is also timed against a minimal hand-written roll-up of the same
seven metrics over seeds, and must agree with it. Every implementation runs in a forked child, so its peak memory is its own;
all must agree on every group's metrics before any time is reported. The named queries read the view
calibrated_prediction; each prediction group has its `cell` rows, as a fill stores them, and the named
queries run a second time after half the attacked cells are given another charnoise rate, so that the
view joins every attacked prediction to its attack setting's label.
Run: python bench/metrics.py [--rows N] [--reps N] [--threads N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import insert_target_runs, print_table, result  # noqa: E402

N_BINS = 10
RUNS, LANGUAGES, ATTACKS = 50, ("en", "de", "fr", "es", "ru", "ar", "hi", "th", "zh", "sw"), ("none", "charnoise")
GROUPS = RUNS * len(LANGUAGES) * len(ATTACKS)  # 1,000

# The minimal query: what a careful person would write by hand for these four metrics on 3-class rows, with
# the facts in docs/dependencies.md: list_max and logits[1..3] read once with plain arithmetic. (Picking the
# gold logit with CASE instead of logits[label + 1] was no faster; greatest(logits[1], logits[2], logits[3])
# was about 1.5x slower.)
_BINNED = f"""
WITH s AS (
    SELECT run_key, language, attack, (pred_label = label)::DOUBLE AS correct, list_max(logits)::DOUBLE AS zm,
           exp(logits[1]::DOUBLE - zm) AS e1, exp(logits[2]::DOUBLE - zm) AS e2, exp(logits[3]::DOUBLE - zm) AS e3,
           logits[label + 1]::DOUBLE - zm AS zy
    FROM prediction),
r AS (
    SELECT run_key, language, attack, correct, e1 + e2 + e3 AS se, 1 / se AS conf,
           (e1 * e1 + e2 * e2 + e3 * e3) / (se * se) - 2 * exp(zy) / se + 1 AS brier, ln(se) - zy AS nll
    FROM s),
b AS (
    SELECT run_key, language, attack, least(floor(conf * {N_BINS}), {N_BINS - 1}) AS bin, count(*) AS n,
           sum(correct) AS c, sum(conf) AS cf, sum(brier) AS br, sum(nll) AS nl
    FROM r GROUP BY ALL)"""
MINIMAL_SQL = _BINNED + """
SELECT run_key, language, attack, sum(c) / sum(n) AS accuracy, sum(abs(c - cf)) / sum(n) AS ece,
       sum(br) / sum(n) AS brier, sum(nl) / sum(n) AS nll
FROM b GROUP BY ALL
"""

# The minimal hand-written equivalent of metrics_over_seeds on these rows: the seven metrics per group, binned as
# above (T = 1: the bench has no fits), then mean and std over seeds and the paired difference from the same
# seed's "none" run; no calibration methods, variants or attack settings to keep apart.
MINIMAL_ROLLUP_SQL = _BINNED + """,
m AS (
    SELECT run_key, language, attack, sum(c) / sum(n) AS accuracy, sum(cf) / sum(n) AS confidence,
           (sum(cf) - sum(c)) / sum(n) AS overconfidence, sum(abs(c - cf)) / sum(n) AS ece,
           max(abs(c - cf) / n) AS mce, sum(br) / sum(n) AS brier, sum(nl) / sum(n) AS nll
    FROM b GROUP BY ALL),
l AS (UNPIVOT m ON accuracy, confidence, overconfidence, ece, mce, brier, nll INTO NAME metric VALUE value),
j AS (
    SELECT t.intermediate, t.seed, l.language, l.attack, l.metric, l.value, bl.value AS baseline
    FROM l JOIN training_run AS t ON t.key = l.run_key
    JOIN training_run AS tb ON tb.intermediate = 'none' AND tb.seed = t.seed
    LEFT JOIN l AS bl ON bl.run_key = tb.key AND bl.language = l.language AND bl.attack = l.attack
                     AND bl.metric = l.metric)
SELECT intermediate, language, attack, metric, count(*) AS seeds, avg(value) AS mean, stddev_samp(value) AS std,
       avg(value - baseline) AS delta_mean, stddev_samp(value - baseline) AS delta_std
FROM j GROUP BY ALL
"""


# -- data ---------------------------------------------------------------------------------------------


def synthetic(n: int, seed: int = 0) -> dict:
    """n predictions: float32 logits (n, 3), labels right ~70% of the time, and a group id 0..999 each."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(n, 3)).astype(np.float32)
    pred = logits.argmax(axis=1).astype(np.int32)
    labels = np.where(rng.random(n) < 0.7, pred, rng.integers(0, 3, n)).astype(np.int32)
    group = rng.integers(0, GROUPS, n).astype(np.int32)
    return {"logits": logits, "labels": labels, "pred": pred, "group": group}


def _strings(indices: np.ndarray, values: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(indices), pa.array(values)).cast(pa.string())


def arrow_table(data: dict) -> pa.Table:
    """The rows as runners/predict.py writes them; strings built in Arrow, not in Python loops."""
    logits, group = data["logits"], data["group"]
    n = len(group)
    run, language, attack = group // 20, group % 10, (group // 10) % 2
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    confidence = 1 / np.exp(shifted).sum(axis=1)
    ids = pc.binary_join_element_wise("ex", pc.cast(pa.array(np.arange(n) % 10_000), pa.string()), "")
    return pa.table({
        "cell_key": _strings(group, [f"cell{g:04d}" for g in range(GROUPS)]),
        "example_id": ids,
        "perturbation_id": pa.nulls(n, pa.string()),
        "run_key": _strings(run, [f"run{r:03d}" for r in range(RUNS)]),
        "task": _strings(np.zeros(n, np.int32), ["xnli"]),
        "split": _strings(np.zeros(n, np.int32), ["test"]),
        "language": _strings(language, list(LANGUAGES)),
        "attack": _strings(attack, list(ATTACKS)),
        "label": pa.array(data["labels"]),
        "logits": pa.ListArray.from_arrays(pa.array(np.arange(0, 3 * n + 1, 3, dtype=np.int32)),
                                           pa.array(logits.reshape(-1))),
        "pred_label": pa.array(data["pred"]),
        "confidence": pa.array(confidence),
    })


def load(db: Path, data: dict) -> float:
    """Migrate a fresh database, insert the training runs and the predictions; returns seconds for the latter."""
    from xstore import labels
    from xstore.db import Store

    store = Store(db)
    store.upgrade()
    table = arrow_table(data)
    with store.connect() as con:
        # 50 target runs: 5 intermediate settings x 10 seeds.
        insert_target_runs(con, "xnli")
        t0 = time.perf_counter()
        con.register("rows", table)
        con.execute("INSERT INTO prediction BY NAME SELECT * FROM rows")  # unit takes its default, 0
        con.unregister("rows")
        seconds = time.perf_counter() - t0
        _cells(con)
        labels.refresh(con)  # the run and attack labels, as a fill keeps them
        return seconds


def _cells(con) -> None:
    """The cell rows a fill would store: a predict cell per group, and per language a charnoise perturb cell
    (rate 0.1) that the group's attacked predictions read."""
    con.execute("""INSERT INTO cell BY NAME
                   SELECT 'perturb' || l AS key, 'perturb' AS kind,
                          json_object('attack', 'charnoise', 'attack_version', 1, 'kind_version', 1,
                                      'params', json_object('rate', 0.1, 'seed', 0), 'task', 'xnli',
                                      'split', 'test', 'language', 'l' || l) AS params,
                          '{}' AS parents, '' AS host, 0 AS pid, now() AS started_at, now() AS finished_at,
                          0 AS wall_seconds
                   FROM range(10) AS t(l)""")
    # group = 20 * run + 10 * attack + language (see group_index)
    con.execute("""INSERT INTO cell BY NAME
                   SELECT printf('cell%04d', g) AS key,
                          CASE WHEN (g // 10) % 2 = 1 THEN 'predict_perturbed' ELSE 'predict_clean' END AS kind,
                          '{}' AS params,
                          CASE WHEN (g // 10) % 2 = 1
                               THEN json_object('run', printf('run%03d', g // 20), 'perturbations', 'perturb' || (g % 10))
                               ELSE json_object('run', printf('run%03d', g // 20)) END AS parents,
                          '' AS host, 0 AS pid, now() AS started_at, now() AS finished_at, 0 AS wall_seconds
                   FROM range(1000) AS t(g)""")


def split_attack_settings(db: Path) -> None:
    """Give the perturb cells of five of the ten languages rate 0.05: charnoise then has two settings, and every
    attacked prediction is labelled by a join (charnoise[rate=0.05] or charnoise[rate=0.1])."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute("""UPDATE cell SET params = json_merge_patch(params, '{"params": {"rate": 0.05, "seed": 0}}')
                       WHERE kind = 'perturb' AND key IN ('perturb0', 'perturb2', 'perturb4', 'perturb6', 'perturb8')""")
    finally:
        con.close()


def group_index(frame_run, frame_language, frame_attack) -> np.ndarray:
    """The synthetic group id of result rows named by run, language and attack."""
    run = np.array([int(r[3:]) for r in frame_run])
    language = np.array([LANGUAGES.index(x) for x in frame_language])
    attack = np.array([ATTACKS.index(x) for x in frame_attack])
    # group = 20 * run + 10 * attack + language, as arrow_table decomposes it
    return 20 * run + 10 * attack + language


# -- implementations: each returns an array (1000, 4) of accuracy, ECE, Brier, NLL per group ------------


def _duckdb_frame(db: Path, threads: int, sql: str | None = None, name: str | None = None, params=None):
    import duckdb

    from xstore import named

    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"SET threads = {threads}")
    try:
        if name is not None:
            query = named.get(name)
            return con.sql(query.sql, params=query.bind(params or {})).to_arrow_table()
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def _by_group(table: pa.Table, columns: list[str]) -> np.ndarray:
    out = np.full((GROUPS, len(columns)), np.nan)
    # an attack setting's label starts with its attack's name: charnoise[rate=0.05] -> charnoise
    attacks = [label.split("[", 1)[0] for label in table["attack"].to_pylist()]
    idx = group_index(table["run_key"].to_pylist(), table["language"].to_pylist(), attacks)
    for j, column in enumerate(columns):
        out[idx, j] = table[column].to_numpy(zero_copy_only=False)
    return out


def minimal(db, data, threads):
    return _by_group(_duckdb_frame(db, threads, sql=MINIMAL_SQL), ["accuracy", "ece", "brier", "nll"])


def named_query(name: str, column: str):
    def compute(db, data, threads):
        params = {"n_bins": N_BINS} if name == "ece_by_language" else {}
        out = np.full((GROUPS, 4), np.nan)
        table = _duckdb_frame(db, threads, name=name, params=params)
        out[:, ["accuracy", "ece", "brier", "nll"].index(column)] = _by_group(table, [column])[:, 0]
        return out
    return compute


ROLLUP_COLUMNS = ["seeds", "mean", "std", "delta_mean", "delta_std"]


def _rollup_values(table: pa.Table) -> np.ndarray:
    """A roll-up's rows (5 settings x 10 languages x 2 attacks x 7 metrics) sorted by what names them, as an
    array of ROLLUP_COLUMNS, so that two roll-ups can be compared."""
    # 5 settings x 10 languages x 2 attacks x 7 metrics
    assert table.num_rows == 5 * len(LANGUAGES) * len(ATTACKS) * 7, table.num_rows
    attacks = pa.array([label.split("[", 1)[0] for label in table["attack"].to_pylist()])
    table = table.set_column(table.schema.get_field_index("attack"), "attack", attacks)
    order = table.sort_by([(c, "ascending") for c in ("intermediate", "language", "attack", "metric")])
    return np.column_stack([order[c].to_numpy(zero_copy_only=False).astype(np.float64) for c in ROLLUP_COLUMNS])


def named_rollup(db, data, threads):
    """metrics_over_seeds: every metric per run, then mean and std over seeds and the delta to the baseline."""
    return _rollup_values(_duckdb_frame(db, threads, name="metrics_over_seeds", params={"n_bins": N_BINS}))


def minimal_rollup(db, data, threads):
    return _rollup_values(_duckdb_frame(db, threads, sql=MINIMAL_ROLLUP_SQL))


def numpy_metrics(db, data, threads):
    """Vectorised NumPy in float64: softmax, per-row values, then bincount per group (and group x bin)."""
    z = data["logits"].astype(np.float64)
    labels, group = data["labels"], data["group"]
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1)
    confidence = 1 / s
    p_gold = e[np.arange(len(labels)), labels] / s
    correct = (data["pred"] == labels).astype(np.float64)
    brier = (e * e).sum(axis=1) / (s * s) - 2 * p_gold + 1
    nll = np.log(s) - z[np.arange(len(labels)), labels]
    n = np.bincount(group, minlength=GROUPS)
    cell = group * N_BINS + np.minimum(np.floor(confidence * N_BINS), N_BINS - 1).astype(np.int64)
    gap = np.abs(np.bincount(cell, correct, GROUPS * N_BINS) - np.bincount(cell, confidence, GROUPS * N_BINS))
    return np.column_stack([
        np.bincount(group, correct, GROUPS) / n,
        gap.reshape(GROUPS, N_BINS).sum(axis=1) / n,
        np.bincount(group, brier, GROUPS) / n,
        np.bincount(group, nll, GROUPS) / n,
    ])


def torchmetrics_metrics(db, data, threads):
    """torchmetrics once per group (ECE, accuracy), torch for Brier and NLL (torchmetrics has no multiclass
    Brier score); the rows split by group first, inside the timing."""
    import torch
    import torch.nn.functional as F
    from torchmetrics.functional.classification import multiclass_accuracy, multiclass_calibration_error

    # One thread: a group's tensors are small, and with two threads torch's intra-op pool made a single
    # max() over 200 x 3 values take ~10 ms on a busy 2-core machine (6 us with one).
    torch.set_num_threads(1)
    order = np.argsort(data["group"], kind="stable")
    bounds = np.searchsorted(data["group"][order], np.arange(1, GROUPS))
    logits = np.split(data["logits"][order], bounds)
    labels = np.split(data["labels"][order].astype(np.int64), bounds)
    out = np.empty((GROUPS, 4))
    for g in range(GROUPS):
        z, y = torch.from_numpy(logits[g]), torch.from_numpy(labels[g])
        probs = torch.softmax(z.double(), dim=1)
        out[g] = (
            multiclass_accuracy(probs, y, num_classes=3, average="micro").item(),
            multiclass_calibration_error(probs, y, num_classes=3, n_bins=N_BINS, norm="l1").item(),
            ((probs - F.one_hot(y, 3)) ** 2).sum(dim=1).mean().item(),
            F.cross_entropy(z.double(), y).item(),
        )
    return out


NAMED = {
    "named accuracy_by_language": named_query("accuracy_by_language", "accuracy"),
    "named ece_by_language": named_query("ece_by_language", "ece"),
    "named brier_by_language": named_query("brier_by_language", "brier"),
    "named nll_by_language": named_query("nll_by_language", "nll"),
    "named metrics_over_seeds (7 metrics)": named_rollup,
}
ROLLUP = "named metrics_over_seeds (7 metrics)"
MINIMAL_ROLLUP = "minimal DuckDB roll-up (7 metrics over seeds)"
IMPLEMENTATIONS = {
    "minimal DuckDB query (4 metrics)": minimal,
    MINIMAL_ROLLUP: minimal_rollup,
    **NAMED,
    "NumPy, vectorised (4 metrics)": numpy_metrics,
    "torchmetrics per group (4 metrics)": torchmetrics_metrics,
}


# -- measuring ----------------------------------------------------------------------------------------


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(function, db, data, threads, reps, conn) -> None:
    try:
        if function is torchmetrics_metrics:  # imports are not part of the measurement
            import torch  # noqa: F401
            import torchmetrics.functional.classification  # noqa: F401
        start = _rss_mib()
        times, values = [], None
        for _ in range(reps):
            t0 = time.perf_counter()
            values = function(db, data, threads)
            times.append(time.perf_counter() - t0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        conn.send(("ok", min(times), peak - start, values))
    except BaseException as error:  # noqa: BLE001  (reported to the parent)
        conn.send(("error", repr(error), 0.0, None))


def measure_one(function, db, data, threads: int, reps: int):
    """Best-of-reps seconds, peak memory above the child's start (MiB), and the values, in a forked child."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_child, args=(function, db, data, threads, reps, child))
    process.start()
    status, seconds, peak, values = parent.recv()
    process.join()
    if status != "ok":
        raise RuntimeError(seconds)
    return seconds, peak, values


def measure(n_rows: int, reps: int = 3, threads: int | None = None, echo=print) -> list[dict]:
    threads = threads or os.cpu_count() or 1
    data = synthetic(n_rows)
    rows, timings, values = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "metrics.duckdb"
        seconds = load(db, data)
        rows.append(result("metrics", f"load {n_rows:,} rows via Arrow", n_rows / seconds, "rows/s"))
        echo(f"loaded {n_rows:,} rows in {seconds:.2f} s ({db.stat().st_size / 2**20:.0f} MiB)")
        two = Path(tmp) / "two-settings.duckdb"
        shutil.copyfile(db, two)
        split_attack_settings(two)
        cases = [(name, function, db) for name, function in IMPLEMENTATIONS.items()]
        cases += [(f"{name}, two attack settings", function, two) for name, function in NAMED.items()]
        # Round-robin, one repetition of each at a time: a change in a shared machine's load then falls on
        # every implementation alike instead of on whichever ran during it; the best repetition counts.
        for rep in range(reps):
            for name, function, path in cases:
                seconds, peak, value = measure_one(function, path, data, threads, 1)
                if name not in timings or seconds < timings[name][0]:
                    timings[name] = (seconds, peak, value)
                values[name] = value
                echo(f"round {rep + 1}: {name:40} {seconds:7.3f} s   peak +{peak:7.0f} MiB")
    _check_agreement(values)
    base = timings["minimal DuckDB query (4 metrics)"][0]
    base_rollup = timings[MINIMAL_ROLLUP][0]
    for name, (seconds, peak, _) in timings.items():
        goal = "<= 1.5x minimal" if name.startswith("named") else ""
        rows.append(result("metrics", name, seconds, "s", "minimal DuckDB query", seconds / base, goal))
        if name.startswith(ROLLUP):  # also against the hand-written query that answers the same question
            rows.append(result("metrics", name, seconds, "s", MINIMAL_ROLLUP, seconds / base_rollup, goal))
    for name, (seconds, peak, _) in timings.items():
        rows.append(result("metrics", f"peak memory: {name}", peak, "MiB"))
    named4 = sum(timings[f"named {q}_by_language"][0] for q in ("accuracy", "ece", "brier", "nll"))
    rows.append(result("metrics", "named accuracy + ece + brier + nll, run one after another", named4, "s",
                       "minimal DuckDB query", named4 / base))
    for other in ("NumPy, vectorised (4 metrics)", "torchmetrics per group (4 metrics)"):
        rows.append(result("metrics", f"{other} / named ece_by_language", timings[other][0], "s",
                           "named ece_by_language", timings[other][0] / timings["named ece_by_language"][0],
                           "> 1 (named faster)"))
    return rows


def _check_agreement(values: dict) -> None:
    """Every implementation's values agree with NumPy's, per group and metric (torchmetrics: float32 bins)."""
    reference = values["NumPy, vectorised (4 metrics)"]
    rollup = values[MINIMAL_ROLLUP]
    for name, got in values.items():
        if name.startswith(ROLLUP):
            both = ~np.isnan(rollup)
            if not (np.array_equal(both, ~np.isnan(got)) and np.allclose(got[both], rollup[both], rtol=0, atol=1e-9)):
                raise AssertionError(f"{name} disagrees with {MINIMAL_ROLLUP}")
            continue
        if got is None or name == MINIMAL_ROLLUP:
            continue
        mask = ~np.isnan(got)
        tol = 1e-4 if name.startswith("torchmetrics") else 1e-9
        worst = np.abs(got[mask] - reference[mask]).max()
        if not worst <= tol:
            raise AssertionError(f"{name} disagrees with NumPy by {worst:.3g} (tolerance {tol})")


def run(quick: bool = False) -> list[dict]:
    return measure(50_000 if quick else 10_000_000, reps=1 if quick else 3,
                   echo=lambda *a: print(*a, file=sys.stderr))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="predictions to store (default 10 million)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per implementation; the best counts")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB and torch threads (default: all cores)")
    args = parser.parse_args()
    threads = args.threads or os.cpu_count()
    rows = measure(args.rows, args.reps, threads)
    print_table(rows, f"metric queries, {args.rows:,} predictions in {GROUPS:,} groups, {threads} threads "
                      f"(NumPy single-threaded), best of {args.reps}")


if __name__ == "__main__":
    main()
