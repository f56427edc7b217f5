"""What a bootstrap must satisfy, and the multiple-comparison adjustment of delta_vs_baseline.

The weights come from the macros of migration 0004 (bootstrap_key, bootstrap_weight), which metrics_bootstrap
and delta_vs_baseline both use. References: NumPy's Poisson(1) bootstrap, statsmodels' multipletests.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)
from xstore.errors import UserError

POISSON_1 = [math.exp(-1) / math.factorial(k) for k in range(5)]


def _weights(qdb, n_inputs: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """The (replicate x input) weight matrix the queries draw for inputs "e0".."e{n-1}" of German test, clean."""
    with qdb.store.connect(read_only=True) as con:
        rows = con.execute("""SELECT r.replicate, i.i, bootstrap_weight(bootstrap_key(?, 'test', 'de', 'none', 'e' || i.i),
                                                                       r.replicate)
                              FROM range(?) AS i(i), range(?) AS r(replicate)""", [seed, n_inputs, n_boot]).fetchall()
    out = np.zeros((n_boot, n_inputs), dtype=np.int64)
    for replicate, i, w in rows:
        out[replicate, i] = w
    return out


def test_every_replicate_draws_its_own_weights(qdb):
    """150 inputs, 1,000 replicates: 1,000 distinct weight vectors (hashing the fields as separate arguments gave
    538 on the demo database), and replicate -1, the sample itself, weighs every input 1."""
    weights = _weights(qdb, 150, 1000)
    assert len({row.tobytes() for row in weights}) == 1000
    with qdb.store.connect(read_only=True) as con:
        assert con.execute("SELECT bootstrap_weight(bootstrap_key(0, 'test', 'de', 'none', 'e1'), -1)").fetchone() == (1,)
    # neither replicates nor inputs are correlated beyond chance: |r| of 1,000 x 1,000 pairs stays small
    assert np.abs(np.corrcoef(weights)[np.triu_indices(1000, 1)]).max() < 0.45
    assert np.abs(np.corrcoef(weights.T)[np.triu_indices(150, 1)]).max() < 0.2


def test_weights_are_poisson_one(qdb):
    """Over 150,000 draws each frequency of 0..4 lies within 4 standard errors of e^-1 / k!; the mean is 1."""
    weights = _weights(qdb, 150, 1000).ravel()
    n = len(weights)
    for k, p in enumerate(POISSON_1):
        assert abs((weights == k).mean() - p) < 4 * math.sqrt(p * (1 - p) / n), k
    assert abs(weights.mean() - 1) < 4 / math.sqrt(n)
    assert abs(weights.var() - 1) < 0.02


def _paired(qdb, x_right, b_right, seed: int = 1, prefix: str = "e") -> tuple[list, list]:
    """Runs x (demo-sentiment) and b (none) of `seed` on the same German inputs, right where the masks say: their
    training_run and prediction rows, to insert."""
    n = len(x_right)
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, 3)) * 2
    pred = logits.argmax(axis=1)
    ids = [f"{prefix}{i}" for i in range(n)]
    runs = [qdb.run_rows(f"b{seed}", seed=seed), qdb.run_rows(f"x{seed}", seed=seed, intermediate="demo-sentiment")]
    predictions = [qdb.prediction_rows(run, logits, np.where(right, pred, (pred + 1) % 3), language="de", example_ids=ids)
                   for run, right in ((f"b{seed}", b_right), (f"x{seed}", x_right))]
    return runs, predictions


def _insert(qdb, pairs) -> None:
    qdb.insert("training_run", pa.concat_tables([t for runs, _ in pairs for t in runs]))
    qdb.insert("prediction", pa.concat_tables([t for _, predictions in pairs for t in predictions]))


def test_interval_and_p_value_match_a_numpy_bootstrap(qdb):
    """150 paired inputs, 21 right only for x and 15 only for the baseline (the demo's German case): the query's
    2,000 replicates against NumPy's 40,000 Poisson(1) replicates, within Monte Carlo error (the 2.5% quantile
    of 2,000 replicates has a standard error of about 0.005 here, a p-value near 0.35 about 0.011)."""
    x_right = np.zeros(150, bool)
    b_right = np.zeros(150, bool)
    x_right[:21] = True
    b_right[21:36] = True
    x_right[36:60] = b_right[36:60] = True
    _insert(qdb, [_paired(qdb, x_right, b_right)])
    row = by_key(qdb.query("delta_vs_baseline", n_boot=2000), "calibration", "metric")[("none", "accuracy")]
    assert row["delta"] == pytest.approx(0.04)
    rng = np.random.default_rng(0)
    w = rng.poisson(1.0, size=(40000, 150))
    deltas = (w @ x_right) / w.sum(axis=1) - (w @ b_right) / w.sum(axis=1)
    low, high = np.quantile(deltas, [0.025, 0.975])
    p = min(1.0, 2 * min((deltas <= 0).mean(), (deltas >= 0).mean()))
    assert abs(row["ci_low"] - low) < 0.015 and abs(row["ci_high"] - high) < 0.015
    assert abs(row["p_value"] - p) < 0.04


def test_intervals_cover_a_known_difference_about_95_percent_of_the_time(qdb):
    """200 simulated pairs of runs, each on 100 inputs: the baseline right with probability 0.6, the run with
    0.7 (the same errors where both err), so the true accuracy difference is 0.1. The 95% intervals of the
    paired bootstrap must cover it in 183 to 197 of 200 (a binomial(200, 0.95) lies there 99.6% of the time)."""
    rng = np.random.default_rng(7)
    pairs = []
    for seed in range(1, 201):
        u = rng.random(100)
        pairs.append(_paired(qdb, u < 0.7, u < 0.6, seed=seed, prefix=f"s{seed}-"))
    _insert(qdb, pairs)
    rows = qdb.query("delta_vs_baseline", n_boot=200)
    accuracy = rows[(rows["metric"] == "accuracy") & (rows["calibration"] == "none")]
    assert len(accuracy) == 200
    covered = ((accuracy["ci_low"] <= 0.1) & (0.1 <= accuracy["ci_high"])).sum()
    assert 183 <= covered <= 197, covered


@pytest.fixture
def family(qdb):
    """Two seeds x three languages x clean and one attack: twelve tests per metric and calibration, with
    differences from none to large, so their p-values spread over (0, 1]."""
    rng = np.random.default_rng(3)
    for seed in (1, 2):
        qdb.add_run(f"b{seed}", seed=seed)
        qdb.add_run(f"x{seed}", seed=seed, intermediate="demo-sentiment")
        for gain, language in zip((0.0, 0.1, 0.25), ("de", "fr", "ru")):
            logits = rng.normal(size=(80, 3)) * 2
            pred = logits.argmax(axis=1)
            u = rng.random(80)
            for attack in ("none", "charnoise"):
                ids = [f"{language}{i}" for i in range(80)]
                for run, right in ((f"b{seed}", u < 0.5), (f"x{seed}", u < 0.5 + gain)):
                    qdb.add_predictions(run, logits, np.where(right, pred, (pred + 1) % 3), language=language,
                                        attack=attack, example_ids=ids)
        qdb.add_fit(f"b{seed}", 1.3)
        qdb.add_fit(f"x{seed}", 0.8)
    return qdb


@pytest.mark.parametrize("adjust, method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_are_statsmodels_multipletests(family, adjust, method):
    from statsmodels.stats.multitest import multipletests

    rows = family.query("delta_vs_baseline", n_boot=200, adjust=adjust)
    assert set(rows["adjustment"]) == {adjust}
    groups = rows.groupby(["calibration", "metric"])
    assert len(groups) == 2 * 7
    for _, group in groups:
        tested = group[group["p_value"].notna()]
        assert len(tested) == 12 and (tested["family_size"] == 12).all()
        expected = multipletests(tested["p_value"].to_numpy(), method=method)[1]
        assert np.allclose(tested["p_adjusted"].to_numpy(), expected, rtol=0, atol=1e-12)
        assert (tested["p_adjusted"] >= tested["p_value"] - 1e-15).all()
    accuracy = rows[(rows["metric"] == "accuracy") & (rows["calibration"] == "none")]
    assert accuracy["p_value"].min() < 0.05 < accuracy["p_value"].max()  # the family is not degenerate


def test_holm_by_hand(qdb):
    """p = 0.01, 0.04, 0.03 over three rows: Holm 0.03, 0.06, 0.06; BH 0.03, 0.04, 0.04 (sorted p times
    m / rank, then the running minimum from the top)."""
    import duckdb

    from xstore import named

    sql = named.get("delta_vs_baseline").sql
    adjusted = sql[sql.index("adjusted AS ("):sql.index("\nSELECT\n    a.base_model")].removeprefix("adjusted AS (")
    adjusted = adjusted.rsplit(")", 1)[0]
    con = duckdb.connect()
    con.execute("""CREATE TABLE family AS SELECT 'm' AS base_model, 'i' AS intermediate, 'default' AS variant,
                   'test' AS split, 'none' AS calibration, 'accuracy' AS metric, p AS p_value, 3 AS family_size,
                   rank AS p_rank FROM (VALUES (0.01, 1), (0.03, 2), (0.04, 3)) AS t(p, rank)""")
    for adjust, expected in (("holm", [0.03, 0.06, 0.06]), ("bh", [0.03, 0.04, 0.04])):
        got = con.execute(adjusted.replace("$adjust", f"'{adjust}'") + " ORDER BY p_rank").df()["p_adjusted"]
        assert np.allclose(got, expected, atol=1e-15), adjust
    # any other adjustment is refused before the query runs, from the header's list
    with pytest.raises(UserError, match=r"'adjust' must be VARCHAR in \{holm, bh\}, got 'bonferroni'"):
        qdb.query("delta_vs_baseline", n_boot=5, adjust="bonferroni")
    # and the SQL refuses it too, for whoever runs the file without xstore
    with pytest.raises(duckdb.InvalidInputException, match="adjust must be holm or bh"):
        con.execute(adjusted.replace("$adjust", "'bonferroni'")).fetchall()
