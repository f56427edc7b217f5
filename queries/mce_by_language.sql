-- mce_by_language: what is the worst calibration gap over confidence bins, per run, language, attack and
--   calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins over [0, 1]
-- Reads: calibrated_prediction, target_run.
-- Definition: maximum calibration error, MCE = max_b |accuracy_b - confidence_b| over the non-empty
--   equal-width bins (Naeini et al. 2015; Guo et al. 2017, eq. 5); torchmetrics' calibration error with
--   norm="max". Bins and confidence as in ece_by_language.
WITH binned AS (  -- per bin: size, accuracy and mean confidence
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, avg(correct::DOUBLE) AS acc_bin, avg(confidence) AS conf_bin
    FROM calibrated_prediction
    GROUP BY run_key, split, language, attack, calibration, bin
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.target,                           -- target task
    r.variant,                          -- run variant ("default": no setting differs between runs)
    r.seed,                             -- training seed
    b.split,                            -- evaluated split
    b.language,                         -- language of the inputs
    b.attack,                           -- attack setting ("none" = clean)
    b.calibration,                      -- "none" or a post-hoc method
    any_value(b.temperature) AS temperature,  -- T applied to the logits
    any_value(b.temperature_at_bound) AS temperature_at_bound,  -- T was fit at or next to its search limit
    sum(b.n_bin)::BIGINT AS n,          -- inputs evaluated
    max(abs(b.acc_bin - b.conf_bin)) AS mce,  -- largest |accuracy - confidence| over non-empty bins
    arg_max(b.bin, abs(b.acc_bin - b.conf_bin))::INTEGER AS worst_bin,  -- the bin with that gap (0-based)
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN target_run AS r ON r.run_key = b.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, b.split, b.language, b.attack, b.calibration
