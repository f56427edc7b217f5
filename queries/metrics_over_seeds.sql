-- metrics_over_seeds: per intermediate setting, what are accuracy, confidence, over-confidence, ECE, MCE,
--   Brier score and NLL as mean and standard deviation over seeds, and how far from the no-intermediate
--   baseline of the same seed?
-- Grain: one row per base model x intermediate setting x target x run variant x split x language x attack
--   setting x calibration method x metric.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE and MCE
-- Reads: calibrated_prediction, target_run, baseline_run, run_calibration.
-- Definition: per run, each metric as in its own query (accuracy_by_language, confidence_by_language,
--   overconfidence_by_language, ece_by_language, mce_by_language, brier_by_language, nll_by_language);
--   then over the runs that differ only in seed (same run variant): the mean, the sample standard deviation
--   (n - 1; NULL for one seed), and the same for the paired difference from the run's baseline_run (the run
--   with intermediate "none" of the same base model, target, seed and target-phase settings: STILTs'
--   comparison, Phang et al. 2020). The baseline's own rows have a difference of 0.
WITH binned AS (  -- per equal-width bin: size and the sums of correctness, confidence, Brier score and NLL
    SELECT run_key, split, language, attack, calibration,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, sum(correct::DOUBLE) AS correct_bin, sum(confidence) AS conf_bin,
           sum(brier) AS brier_bin, sum(nll) AS nll_bin
    FROM calibrated_prediction
    GROUP BY run_key, split, language, attack, calibration, bin
),
per_run AS (  -- per run: every metric
    SELECT run_key, split, language, attack, calibration,
           sum(correct_bin) / sum(n_bin) AS accuracy,
           sum(conf_bin) / sum(n_bin) AS confidence,
           (sum(conf_bin) - sum(correct_bin)) / sum(n_bin) AS overconfidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece,
           max(abs(correct_bin - conf_bin) / n_bin) AS mce,
           sum(brier_bin) / sum(n_bin) AS brier,
           sum(nll_bin) / sum(n_bin) AS nll
    FROM binned
    GROUP BY run_key, split, language, attack, calibration
),
long AS (  -- one row per run and metric
    UNPIVOT per_run ON accuracy, confidence, overconfidence, ece, mce, brier, nll INTO NAME metric VALUE value
),
runs AS (  -- each run's metric with its setting, and the same metric of its no-intermediate baseline
    SELECT r.base_model, r.intermediate, r.target, r.variant, r.seed, l.split, l.language, l.attack, l.calibration,
           l.metric, l.value, bl.value AS baseline, c.temperature_at_bound AS at_bound
    FROM long AS l
    JOIN target_run AS r ON r.run_key = l.run_key
    JOIN run_calibration AS c  -- the fit the run's rows used, for its flag
      ON c.run_key = l.run_key AND c.calibration = l.calibration AND (c.language IS NULL OR c.language = l.language)
    LEFT JOIN baseline_run AS b ON b.run_key = l.run_key
    LEFT JOIN long AS bl
      ON bl.run_key = b.baseline_key AND bl.split = l.split AND bl.language = l.language AND bl.attack = l.attack
     AND bl.calibration = l.calibration AND bl.metric = l.metric
)
SELECT
    u.base_model,                       -- phase-1 encoder
    u.intermediate,                     -- intermediate setting
    u.target,                           -- target task
    u.variant,                          -- run variant ("default": no setting differs between runs)
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack setting ("none" = clean)
    u.calibration,                      -- "none" or a post-hoc method
    u.metric,                           -- accuracy, confidence, overconfidence, ece, mce, brier or nll
    count(*) AS seeds,                  -- runs (seeds) rolled up
    count(*) FILTER (WHERE u.at_bound) AS seeds_at_bound,  -- of them, runs whose T was fit at its search limit
    avg(u.value) AS mean,               -- mean over seeds
    stddev_samp(u.value) AS std,        -- sample standard deviation over seeds (NULL for one seed)
    min(u.value) AS min,                -- smallest value over seeds
    max(u.value) AS max,                -- largest value over seeds
    count(u.baseline) AS paired_seeds,  -- seeds that also have a no-intermediate baseline run
    avg(u.value - u.baseline) AS delta_mean,  -- mean over seeds of (value - baseline of the same seed)
    stddev_samp(u.value - u.baseline) AS delta_std,  -- its sample standard deviation
    list(u.seed ORDER BY u.seed) AS seed_list  -- the seeds rolled up
FROM runs AS u
GROUP BY ALL
ORDER BY u.base_model, u.target, u.variant, u.split, u.metric, u.attack, u.calibration, u.intermediate, u.language
