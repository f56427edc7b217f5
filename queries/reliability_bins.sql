-- reliability_bins: in each confidence bin, how accurate is the model and how many inputs fall there (the
--   data of a reliability diagram and a confidence histogram), per run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method x non-empty
--   confidence bin.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins over [0, 1]
-- Reads: calibrated_prediction, target_run.
-- Definition: the bins of ece_by_language: bin b holds confidences in [b/B, (b+1)/B), the last also 1.0
--   (Guo et al. 2017, section 2, "reliability diagrams"; DeGroot & Fienberg 1983). Empty bins have no row.
--   The share-weighted sum of |gap| over a run's bins is its ECE.
WITH binned AS (  -- per bin: size, correct predictions and mean confidence; and the run's size
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound,
           least(floor(confidence * $n_bins), $n_bins - 1)::INTEGER AS bin,
           count(*) AS n_bin, sum(correct::DOUBLE) AS correct_bin, avg(confidence) AS conf_bin,
           sum(count(*)) OVER (PARTITION BY run_key, split, language, attack, calibration) AS n_run
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
    b.temperature,                      -- T applied to the logits
    b.temperature_at_bound,             -- T was fit at or next to the limit of its search range
    b.bin,                              -- bin index, 0 = least confident
    b.bin / $n_bins AS lower,           -- lower edge of the bin (inclusive)
    (b.bin + 1) / $n_bins AS upper,     -- upper edge (exclusive, but 1.0 belongs to the last bin)
    b.n_bin AS n,                       -- inputs in the bin
    b.correct_bin::BIGINT AS n_correct,  -- correct predictions in the bin
    b.n_bin / b.n_run AS share,         -- share of the run's inputs in the bin
    b.correct_bin / b.n_bin AS accuracy,  -- accuracy in the bin
    b.conf_bin AS confidence,           -- mean confidence in the bin
    b.conf_bin - b.correct_bin / b.n_bin AS gap,  -- confidence minus accuracy (> 0: over-confident)
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN target_run AS r ON r.run_key = b.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, b.split, b.language, b.attack, b.calibration, b.bin
