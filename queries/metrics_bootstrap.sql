-- metrics_bootstrap: how uncertain is each run's accuracy, confidence, over-confidence, ECE, MCE, Brier
--   score and NLL because of the finite test set, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method x metric.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE and MCE
--   $n_boot INTEGER in [1, 10000] = 1000  bootstrap replicates (the cost grows in proportion: see Cost)
--   $level DOUBLE in (0, 1) = 0.95  coverage of the percentile interval
--   $seed INTEGER in [0, 2147483647] = 0  seed of the resampling (same seed, data and DuckDB version: the same interval, to rounding)
-- Reads: calibrated_prediction, target_run; the macros bootstrap_key and bootstrap_weight.
-- Cost: one row per input and replicate, about 1.2 s per 10 million on 2 cores (50,000 inputs x 200
--   replicates). Efron & Tibshirani 1993 ask for about 1,000 replicates for a percentile interval and 200 for a
--   standard error.
-- Definition: each metric as in metrics_over_seeds, on the whole sample (estimate) and on $n_boot Poisson
--   bootstrap resamples of the inputs: each input enters a replicate with a Poisson(1) weight (Hanley &
--   MacGibbon 2006; Chamandy et al. 2012), the large-n form of resampling n of n with replacement (Efron
--   1979), drawn by inverting the Poisson CDF at u = hash(key xor hash(replicate)) / 2^64, key the hash of
--   one string of seed, split, language, attack setting and input (bootstrap_weight), so that it needs no
--   random state and gives every run the same weights for the same input. The interval holds the
--   (1 - level) / 2 and (1 + level) / 2 quantiles of the replicate values (percentile bootstrap). A
--   replicate whose weights are all 0 (likely only for a handful of inputs) is left out.
WITH scored AS (  -- per prediction: confidence bin, correctness, confidence, Brier score, NLL, and its draw key
    SELECT run_key, split, language, attack, calibration, temperature, temperature_at_bound,
           correct::DOUBLE AS correct, confidence, least(floor(confidence * $n_bins), $n_bins - 1) AS bin, brier, nll,
           bootstrap_key($seed, split, language, attack, example_id) AS draw_key
    FROM calibrated_prediction
),
weighted AS (  -- per prediction and replicate: its Poisson(1) weight; replicate -1 is the sample itself (weight 1)
    SELECT s.*, r.replicate, bootstrap_weight(s.draw_key, r.replicate) AS w
    FROM scored AS s
    CROSS JOIN range(-1, $n_boot) AS r(replicate)
),
binned AS (  -- per replicate and bin: weighted size and sums
    SELECT run_key, split, language, attack, calibration, replicate, bin,
           sum(w) AS n_bin, sum(w * correct) AS correct_bin, sum(w * confidence) AS conf_bin,
           sum(w * brier) AS brier_bin, sum(w * nll) AS nll_bin
    FROM weighted
    WHERE w > 0
    GROUP BY run_key, split, language, attack, calibration, replicate, bin
),
per_replicate AS (  -- per replicate: every metric
    SELECT run_key, split, language, attack, calibration, replicate,
           sum(correct_bin) / sum(n_bin) AS accuracy,
           sum(conf_bin) / sum(n_bin) AS confidence,
           (sum(conf_bin) - sum(correct_bin)) / sum(n_bin) AS overconfidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece,
           max(abs(correct_bin - conf_bin) / n_bin) AS mce,
           sum(brier_bin) / sum(n_bin) AS brier,
           sum(nll_bin) / sum(n_bin) AS nll
    FROM binned
    GROUP BY run_key, split, language, attack, calibration, replicate
),
long AS (  -- one row per replicate and metric
    UNPIVOT per_replicate ON accuracy, confidence, overconfidence, ece, mce, brier, nll INTO NAME metric VALUE value
),
summary AS (  -- per run and metric: the estimate and the percentile interval of the replicates
    SELECT run_key, split, language, attack, calibration, metric,
           any_value(value) FILTER (WHERE replicate < 0) AS estimate,
           quantile_cont(value, (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_low,
           quantile_cont(value, 1 - (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_high,
           stddev_samp(value) FILTER (WHERE replicate >= 0) AS se,
           count(*) FILTER (WHERE replicate >= 0) AS replicates
    FROM long
    GROUP BY run_key, split, language, attack, calibration, metric
),
sizes AS (  -- per run: inputs and temperature
    SELECT run_key, split, language, attack, calibration, count(*) AS n, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound
    FROM scored
    GROUP BY run_key, split, language, attack, calibration
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.target,                           -- target task
    r.variant,                          -- run variant ("default": no setting differs between runs)
    r.seed,                             -- training seed
    m.split,                            -- evaluated split
    m.language,                         -- language of the inputs
    m.attack,                           -- attack setting ("none" = clean)
    m.calibration,                      -- "none" or a post-hoc method
    z.temperature,                      -- T applied to the logits
    z.temperature_at_bound,             -- T was fit at or next to the limit of its search range
    m.metric,                           -- accuracy, confidence, overconfidence, ece, mce, brier or nll
    z.n,                                -- inputs evaluated
    m.estimate,                         -- the metric on all inputs
    m.ci_low,                           -- lower end of the bootstrap interval
    m.ci_high,                          -- upper end of the bootstrap interval
    m.se,                               -- bootstrap standard error (standard deviation of the replicates)
    m.replicates,                       -- replicates used
    m.run_key                           -- training_run.key of the target run
FROM summary AS m
JOIN sizes AS z USING (run_key, split, language, attack, calibration)
JOIN target_run AS r ON r.run_key = m.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, m.split, m.language, m.attack, m.calibration,
         m.metric
