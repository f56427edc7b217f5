-- ece_by_language: how well calibrated is the model, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins over [0, 1]
-- Reads: calibrated_prediction, target_run.
-- Definition: expected calibration error, ECE = sum_b (n_b / n) * |accuracy_b - confidence_b| over
--   equal-width confidence bins (Guo et al. 2017, eq. 3; Naeini et al. 2015). Bin b holds the
--   confidences in [b/B, (b+1)/B), the last bin also 1.0, as torchmetrics' bucketize(right=True)
--   bins them; confidence is the max softmax probability of logits / T (T = 1 for "none", fitted on
--   English dev for "temperature", on the row's own language's dev set for "temperature-oracle").
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
    sum(b.n_bin) AS n,                  -- inputs evaluated
    sum(b.n_bin * abs(b.acc_bin - b.conf_bin)) / sum(b.n_bin) AS ece,  -- expected calibration error
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN target_run AS r ON r.run_key = b.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, b.split, b.language, b.attack, b.calibration
