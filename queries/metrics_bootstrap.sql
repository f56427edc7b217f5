-- metrics_bootstrap: how uncertain is each run's accuracy, confidence, over-confidence, ECE, MCE, Brier
--   score and NLL because of the finite test set, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method x metric.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE and MCE
--   $n_boot INTEGER in [1, 10000] = 1000  bootstrap replicates (the cost grows in proportion: see Cost)
--   $level DOUBLE in (0, 1) = 0.95  coverage of the percentile interval
--   $seed INTEGER in [0, 2147483647] = 0  seed of the resampling (same seed, data and DuckDB version: the same interval, to rounding)
-- Reads: prediction, training_run, calibration_fit.
-- Cost: one row per input and replicate, about 1.2 s per 10 million on 2 cores (50,000 inputs x 200
--   replicates). Efron & Tibshirani 1993 ask for about 1,000 replicates for a percentile interval and 200 for a
--   standard error.
-- Definition: each metric as in metrics_over_seeds, on the whole sample (estimate) and on $n_boot Poisson
--   bootstrap resamples of the inputs: each input enters a replicate with a Poisson(1) weight (Hanley &
--   MacGibbon 2006; Chamandy et al. 2012), the large-n form of resampling n of n with replacement (Efron
--   1979), drawn by inverting the Poisson CDF at u = hash(seed, replicate, input) / 2^64 so that it needs
--   no random state and gives every run the same weights for the same input. The interval holds the
--   (1 - level) / 2 and (1 + level) / 2 quantiles of the replicate values (percentile bootstrap). A
--   replicate whose weights are all 0 (likely only for a handful of inputs) is left out.
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
draws AS (  -- per prediction and replicate: a uniform number from the hash of seed, replicate and input
    SELECT s.*, r.replicate,
           hash($seed, r.replicate, s.split, s.language, s.attack, s.example_id)::DOUBLE / 18446744073709551616.0 AS u
    FROM scored AS s
    CROSS JOIN range(-1, $n_boot) AS r(replicate)
),
weighted AS (  -- its Poisson(1) weight, by the inverse CDF; replicate -1 is the sample itself (weight 1)
    SELECT *,
           CASE WHEN replicate < 0 THEN 1
                WHEN u < 0.36787944117144233 THEN 0 WHEN u < 0.7357588823428847 THEN 1
                WHEN u < 0.9196986029286058 THEN 2 WHEN u < 0.9810118431238463 THEN 3
                WHEN u < 0.9963401531726563 THEN 4 WHEN u < 0.9994058151824183 THEN 5
                WHEN u < 0.999916758850712 THEN 6 WHEN u < 0.9999897508033253 THEN 7 ELSE 8 END AS w
    FROM draws
),
binned AS (  -- per replicate and bin: weighted size and sums
    SELECT run_key, split, language, attack, method, replicate, bin,
           sum(w) AS n_bin, sum(w * correct) AS correct_bin, sum(w * confidence) AS conf_bin,
           sum(w * brier) AS brier_bin, sum(w * nll) AS nll_bin
    FROM weighted
    WHERE w > 0
    GROUP BY run_key, split, language, attack, method, replicate, bin
),
per_replicate AS (  -- per replicate: every metric
    SELECT run_key, split, language, attack, method, replicate,
           sum(correct_bin) / sum(n_bin) AS accuracy,
           sum(conf_bin) / sum(n_bin) AS confidence,
           (sum(conf_bin) - sum(correct_bin)) / sum(n_bin) AS overconfidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece,
           max(abs(correct_bin - conf_bin) / n_bin) AS mce,
           sum(brier_bin) / sum(n_bin) AS brier,
           sum(nll_bin) / sum(n_bin) AS nll
    FROM binned
    GROUP BY run_key, split, language, attack, method, replicate
),
long AS (  -- one row per replicate and metric
    UNPIVOT per_replicate ON accuracy, confidence, overconfidence, ece, mce, brier, nll INTO NAME metric VALUE value
),
summary AS (  -- per run and metric: the estimate and the percentile interval of the replicates
    SELECT run_key, split, language, attack, method, metric,
           any_value(value) FILTER (WHERE replicate < 0) AS estimate,
           quantile_cont(value, (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_low,
           quantile_cont(value, 1 - (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_high,
           stddev_samp(value) FILTER (WHERE replicate >= 0) AS se,
           count(*) FILTER (WHERE replicate >= 0) AS replicates
    FROM long
    GROUP BY run_key, split, language, attack, method, metric
),
sizes AS (  -- per run: inputs and temperature
    SELECT run_key, split, language, attack, method, count(*) AS n, any_value(temperature) AS temperature
    FROM scored
    GROUP BY run_key, split, language, attack, method
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    m.split,                            -- evaluated split
    m.language,                         -- language of the inputs
    m.attack,                           -- attack ("none" = clean)
    m.method AS calibration,            -- "none" or a post-hoc method
    z.temperature,                      -- T applied to the logits
    m.metric,                           -- accuracy, confidence, overconfidence, ece, mce, brier or nll
    z.n,                                -- inputs evaluated
    m.estimate,                         -- the metric on all inputs
    m.ci_low,                           -- lower end of the bootstrap interval
    m.ci_high,                          -- upper end of the bootstrap interval
    m.se,                               -- bootstrap standard error (standard deviation of the replicates)
    m.replicates,                       -- replicates used
    m.run_key                           -- training_run.key of the target run
FROM summary AS m
JOIN sizes AS z USING (run_key, split, language, attack, method)
JOIN training_run AS r ON r.key = m.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, m.split, m.language, m.attack, m.method, m.metric
