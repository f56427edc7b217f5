-- delta_vs_baseline: does intermediate-task training change accuracy, confidence, over-confidence, ECE, MCE,
--   Brier score or NLL, against the no-intermediate baseline of the same seed, beyond test-set noise?
-- Grain: one row per target run with an intermediate setting x language x attack x split x calibration
--   method x metric.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE and MCE
--   $n_boot INTEGER in [1, 10000] = 1000  bootstrap replicates (the cost grows in proportion: see Cost)
--   $level DOUBLE in (0, 1) = 0.95  coverage of the percentile interval
--   $seed INTEGER in [0, 2147483647] = 0  seed of the resampling (same seed, data and DuckDB version: the same interval, to rounding)
-- Reads: prediction, training_run, calibration_fit.
-- Cost: one row per paired input, side and replicate, about 1.2 s per 10 million on 2 cores (50,000 inputs x 200
--   replicates). Efron & Tibshirani 1993 ask for about 1,000 replicates for a percentile interval and 200 for a
--   standard error.
-- Definition: the baseline of a run is the run with intermediate "none" of the same base model, target,
--   seed and hyperparameters (the comparison of Phang et al. 2020). On the inputs both predicted (joined
--   on example_id, so a perturbed input is compared with the same perturbed input), each metric as in
--   metrics_over_seeds for both runs, and delta = run - baseline. A paired Poisson bootstrap over inputs
--   (as in metrics_bootstrap: both runs get the same weight for the same input in a replicate) gives the
--   percentile interval of delta and a two-sided bootstrap p-value, 2 * min(share of replicate deltas
--   <= 0, share >= 0), capped at 1. Post-hoc calibration compares like with like: each run with its own
--   fitted temperature.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
softmax AS (  -- per prediction: e_k = exp((z_k - max z) / T); logits[1..3] by plain arithmetic (about twice as
              -- fast as a list lambda, docs/dependencies.md), classes past the third by a lambda
    SELECT p.run_key, p.split, p.language, p.attack, p.example_id, c.method, c.temperature,
           (p.pred_label = p.label)::DOUBLE AS correct,
           list_max(p.logits)::DOUBLE AS z_max,
           exp((p.logits[1]::DOUBLE - z_max) / c.temperature) AS e1,
           exp((p.logits[2]::DOUBLE - z_max) / c.temperature) AS e2,
           coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0) AS e3,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp(2 * (z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest_squared,
           (p.logits[p.label + 1]::DOUBLE - z_max) / c.temperature AS z_gold
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
scored AS (  -- per prediction: confidence bin, correctness, confidence, Brier score and NLL
    SELECT run_key, split, language, attack, method, temperature, example_id, correct,
           e1 + e2 + e3 + e_rest AS sum_exp,
           1.0 / sum_exp AS confidence,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           (e1 * e1 + e2 * e2 + e3 * e3 + e_rest_squared) / (sum_exp * sum_exp) - 2 * exp(z_gold) / sum_exp + 1 AS brier,
           ln(sum_exp) - z_gold AS nll
    FROM softmax
),
pairs AS (  -- every target run with an intermediate setting, and its baseline run
    SELECT r.key AS run_key, b.key AS baseline_key
    FROM training_run AS r
    JOIN training_run AS b
      ON b.phase = 'target' AND b.intermediate = 'none' AND b.base_model = r.base_model AND b.task = r.task
     AND b.seed = r.seed AND b.hparams::VARCHAR = r.hparams::VARCHAR
    WHERE r.phase = 'target' AND r.intermediate <> 'none'
),
matched AS (  -- inputs that both runs predicted, with both runs' scores
    SELECT pr.run_key, pr.baseline_key, x.split, x.language, x.attack, x.method, x.example_id,
           x.bin AS x_bin, x.correct AS x_correct, x.confidence AS x_confidence, x.brier AS x_brier, x.nll AS x_nll,
           y.bin AS y_bin, y.correct AS y_correct, y.confidence AS y_confidence, y.brier AS y_brier, y.nll AS y_nll
    FROM pairs AS pr
    JOIN scored AS x ON x.run_key = pr.run_key
    JOIN scored AS y
      ON y.run_key = pr.baseline_key AND y.split = x.split AND y.language = x.language AND y.attack = x.attack
     AND y.method = x.method AND y.example_id = x.example_id
),
sides AS (  -- the same inputs twice: once as the run scored them, once as its baseline did
    SELECT run_key, split, language, attack, method, example_id, 'run' AS side,
           x_bin AS bin, x_correct AS correct, x_confidence AS confidence, x_brier AS brier, x_nll AS nll
    FROM matched
    UNION ALL
    SELECT run_key, split, language, attack, method, example_id, 'baseline' AS side,
           y_bin, y_correct, y_confidence, y_brier, y_nll
    FROM matched
),
draws AS (  -- per input, side and replicate: a uniform number from the hash of seed, replicate and input
    SELECT s.*, r.replicate,
           hash($seed, r.replicate, s.split, s.language, s.attack, s.example_id)::DOUBLE / 18446744073709551616.0 AS u
    FROM sides AS s
    CROSS JOIN range(-1, $n_boot) AS r(replicate)
),
weighted AS (  -- its Poisson(1) weight, the same on both sides; replicate -1 is the sample itself (weight 1)
    SELECT *,
           CASE WHEN replicate < 0 THEN 1
                WHEN u < 0.36787944117144233 THEN 0 WHEN u < 0.7357588823428847 THEN 1
                WHEN u < 0.9196986029286058 THEN 2 WHEN u < 0.9810118431238463 THEN 3
                WHEN u < 0.9963401531726563 THEN 4 WHEN u < 0.9994058151824183 THEN 5
                WHEN u < 0.999916758850712 THEN 6 WHEN u < 0.9999897508033253 THEN 7 ELSE 8 END AS w
    FROM draws
),
binned AS (  -- per side, replicate and bin: weighted size and sums
    SELECT run_key, split, language, attack, method, side, replicate, bin,
           sum(w) AS n_bin, sum(w * correct) AS correct_bin, sum(w * confidence) AS conf_bin,
           sum(w * brier) AS brier_bin, sum(w * nll) AS nll_bin
    FROM weighted
    WHERE w > 0
    GROUP BY run_key, split, language, attack, method, side, replicate, bin
),
per_replicate AS (  -- per side and replicate: every metric
    SELECT run_key, split, language, attack, method, side, replicate,
           sum(correct_bin) / sum(n_bin) AS accuracy,
           sum(conf_bin) / sum(n_bin) AS confidence,
           (sum(conf_bin) - sum(correct_bin)) / sum(n_bin) AS overconfidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece,
           max(abs(correct_bin - conf_bin) / n_bin) AS mce,
           sum(brier_bin) / sum(n_bin) AS brier,
           sum(nll_bin) / sum(n_bin) AS nll
    FROM binned
    GROUP BY run_key, split, language, attack, method, side, replicate
),
long AS (  -- one row per side, replicate and metric
    UNPIVOT per_replicate ON accuracy, confidence, overconfidence, ece, mce, brier, nll INTO NAME metric VALUE value
),
differences AS (  -- per replicate and metric: the run's value, the baseline's, and their difference
    SELECT run_key, split, language, attack, method, metric, replicate,
           any_value(value) FILTER (WHERE side = 'run') AS value,
           any_value(value) FILTER (WHERE side = 'baseline') AS baseline,
           any_value(value) FILTER (WHERE side = 'run') - any_value(value) FILTER (WHERE side = 'baseline') AS delta
    FROM long
    GROUP BY run_key, split, language, attack, method, metric, replicate
),
summary AS (  -- per run and metric: the estimates, the percentile interval and the p-value of the difference
    SELECT run_key, split, language, attack, method, metric,
           any_value(value) FILTER (WHERE replicate < 0) AS value,
           any_value(baseline) FILTER (WHERE replicate < 0) AS baseline,
           any_value(delta) FILTER (WHERE replicate < 0) AS delta,
           quantile_cont(delta, (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_low,
           quantile_cont(delta, 1 - (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_high,
           least(1.0, 2 * least(avg((delta <= 0)::DOUBLE) FILTER (WHERE replicate >= 0),
                                avg((delta >= 0)::DOUBLE) FILTER (WHERE replicate >= 0))) AS p_value,
           count(*) FILTER (WHERE replicate >= 0) AS replicates
    FROM differences
    GROUP BY run_key, split, language, attack, method, metric
),
sizes AS (  -- per run: paired inputs and its baseline
    SELECT run_key, split, language, attack, method, count(*) AS n, any_value(baseline_key) AS baseline_key
    FROM matched
    GROUP BY run_key, split, language, attack, method
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting compared with "none"
    r.task AS target,                   -- target task
    r.seed,                             -- training seed, shared with the baseline
    m.split,                            -- evaluated split
    m.language,                         -- language of the inputs
    m.attack,                           -- attack ("none" = clean)
    m.method AS calibration,            -- "none" or a post-hoc method (each run with its own fit)
    m.metric,                           -- accuracy, confidence, overconfidence, ece, mce, brier or nll
    z.n,                                -- inputs both runs predicted
    m.value,                            -- the metric for the run with the intermediate setting
    m.baseline,                         -- the metric for the no-intermediate baseline
    m.delta,                            -- value - baseline
    m.ci_low,                           -- lower end of the paired bootstrap interval of delta
    m.ci_high,                          -- upper end of the paired bootstrap interval of delta
    m.p_value,                          -- two-sided paired bootstrap p-value of delta = 0
    m.replicates,                       -- replicates used
    m.run_key,                          -- training_run.key of the run
    z.baseline_key                      -- training_run.key of its baseline
FROM summary AS m
JOIN sizes AS z USING (run_key, split, language, attack, method)
JOIN training_run AS r ON r.key = m.run_key
ORDER BY r.base_model, r.task, r.intermediate, r.seed, m.split, m.language, m.attack, m.method, m.metric
