-- ece_equal_mass_by_language: how well calibrated is the model when every bin holds as many predictions,
--   per run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-mass confidence bins
-- Reads: calibrated_prediction, target_run.
-- Definition: ECE = sum_b (n_b / n) * |accuracy_b - confidence_b| (Guo et al. 2017, eq. 3) over bins of
--   equal size instead of equal width: the "ECE_EM" of Roelofs et al. 2022 ("Mitigating bias in calibration
--   error estimation"), the binning of Nixon et al. 2019's adaptive calibration error. Predictions sorted
--   by confidence (ties by example_id, so the split is deterministic) are cut by ntile: with n = q*B + r,
--   the first r bins hold q + 1 predictions, the rest q (numpy.array_split does the same). Confidence is
--   the max softmax probability of logits / T as in ece_by_language.
WITH ranked AS (  -- per prediction: its equal-mass bin within its run, split, language, attack and method
    SELECT run_key, split, language, attack, calibration, temperature, temperature_at_bound, correct, confidence,
           ntile($n_bins) OVER (PARTITION BY run_key, split, language, attack, calibration
                                ORDER BY confidence, example_id) AS bin
    FROM calibrated_prediction
),
binned AS (  -- per bin: size, accuracy and mean confidence
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, bin,
           count(*) AS n_bin, avg(correct::DOUBLE) AS acc_bin, avg(confidence) AS conf_bin
    FROM ranked
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
    count(*) AS bins,                   -- non-empty bins (fewer than n_bins when n < n_bins)
    sum(b.n_bin * abs(b.acc_bin - b.conf_bin)) / sum(b.n_bin) AS ece_equal_mass,  -- ECE over equal-mass bins
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN target_run AS r ON r.run_key = b.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, b.split, b.language, b.attack, b.calibration
