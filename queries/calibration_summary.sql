-- calibration_summary: per intermediate setting, how accurate, confident and calibrated is each language,
--   clean and attacked, before and after post-hoc calibration? (the demo's result table)
-- Grain: one row per base model x intermediate setting x target x run variant x split x language x attack
--   setting x calibration method, averaged over seeds.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE
-- Reads: calibrated_prediction, target_run, run_calibration.
-- Definition: per run as in accuracy_by_language, confidence_by_language and ece_by_language (ECE:
--   Guo et al. 2017, eq. 3, bins [b/B, (b+1)/B)); then the mean over seeds.
WITH binned AS (  -- per run and bin: size, accuracy and mean confidence
    SELECT run_key, split, language, attack, calibration,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, avg(correct::DOUBLE) AS acc_bin, avg(confidence) AS conf_bin
    FROM calibrated_prediction
    GROUP BY run_key, split, language, attack, calibration, bin
),
per_run AS (  -- per run: accuracy, confidence and ECE
    SELECT run_key, split, language, attack, calibration,
           sum(n_bin) AS n,
           sum(n_bin * acc_bin) / sum(n_bin) AS accuracy,
           sum(n_bin * conf_bin) / sum(n_bin) AS confidence,
           sum(n_bin * abs(acc_bin - conf_bin)) / sum(n_bin) AS ece
    FROM binned
    GROUP BY run_key, split, language, attack, calibration
)
SELECT
    r.base_model,                                   -- phase-1 encoder
    r.intermediate,                                 -- intermediate setting
    r.target,                                       -- target task
    r.variant,                                      -- run variant ("default": no setting differs between runs)
    u.split,                                        -- evaluated split
    u.language,                                     -- language of the inputs
    u.attack,                                       -- attack setting ("none" = clean)
    u.calibration,                                  -- "none" or a post-hoc method
    count(*) AS seeds,                              -- runs averaged
    count(*) FILTER (WHERE c.temperature_at_bound) AS seeds_at_bound,  -- of them, fits at their search limit
    round(avg(u.accuracy), 4) AS accuracy,          -- mean accuracy over seeds
    round(avg(u.confidence), 4) AS confidence,      -- mean max-softmax probability over seeds
    round(avg(u.ece), 4) AS ece,                    -- mean ECE over seeds
    round(avg(u.confidence - u.accuracy), 4) AS overconfidence  -- confidence minus accuracy
FROM per_run AS u
JOIN target_run AS r ON r.run_key = u.run_key
JOIN run_calibration AS c  -- the fit each run's rows used, for its flag
  ON c.run_key = u.run_key AND c.calibration = u.calibration AND (c.language IS NULL OR c.language = u.language)
GROUP BY ALL
ORDER BY r.base_model, r.target, r.variant, u.split, r.intermediate, u.attack, u.calibration, u.language
