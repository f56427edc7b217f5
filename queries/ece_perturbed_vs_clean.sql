-- ece_perturbed_vs_clean: is the model worse calibrated on perturbed inputs than on the same inputs clean,
--   per run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting (not "none") x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins over [0, 1]
--   $changed_only BOOLEAN = false  only the inputs the attack changed (calibrated_prediction.input_changed)
-- Reads: calibrated_prediction, target_run.
-- Definition: clean and perturbed predictions of the same run, paired on example_id and scored at the
--   same temperature; on those pairs, ECE (as in ece_by_language: Guo et al. 2017, eq. 3, bins
--   [b/B, (b+1)/B)), accuracy and mean confidence of the clean and of the perturbed inputs, and the
--   perturbed minus clean differences. Restricting both to the same inputs keeps inputs an attack skips
--   from changing the clean side; inputs it left as they were still count on both sides unless changed_only
--   is set (n_changed says how many it changed).
WITH pairs AS (  -- one row per attacked input with its clean counterpart, scored at the same temperature
    SELECT x.run_key, x.split, x.language, x.attack, x.calibration, x.temperature, x.temperature_at_bound,
           x.example_id, x.input_changed, c.confidence AS clean_confidence, c.correct::DOUBLE AS clean_correct,
           x.confidence AS perturbed_confidence, x.correct::DOUBLE AS perturbed_correct
    FROM calibrated_prediction AS x
    JOIN calibrated_prediction AS c
      ON c.run_key = x.run_key AND c.split = x.split AND c.language = x.language AND c.calibration = x.calibration
     AND c.example_id = x.example_id AND c.attack = 'none'
    WHERE x.attack <> 'none' AND (x.input_changed OR NOT $changed_only)
),
sides AS (  -- each pair twice: its clean and its perturbed prediction
    SELECT run_key, split, language, attack, calibration, temperature, temperature_at_bound, input_changed,
           'clean' AS side, clean_confidence AS confidence, clean_correct AS correct
    FROM pairs
    UNION ALL
    SELECT run_key, split, language, attack, calibration, temperature, temperature_at_bound, input_changed,
           'perturbed' AS side, perturbed_confidence, perturbed_correct
    FROM pairs
),
binned AS (  -- per side and bin: size, changed inputs, correct predictions and summed confidence
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, side,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, count(*) FILTER (WHERE input_changed) AS changed_bin, sum(correct) AS correct_bin,
           sum(confidence) AS conf_bin
    FROM sides
    GROUP BY run_key, split, language, attack, calibration, side, bin
),
per_side AS (  -- per side: accuracy, confidence and ECE
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, side,
           sum(n_bin)::BIGINT AS n, sum(changed_bin)::BIGINT AS n_changed,
           sum(correct_bin) / sum(n_bin) AS accuracy, sum(conf_bin) / sum(n_bin) AS confidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece
    FROM binned
    GROUP BY run_key, split, language, attack, calibration, side
),
compared AS (  -- both sides on one row
    SELECT c.run_key, c.split, c.language, c.attack, c.calibration, c.temperature, c.temperature_at_bound, c.n,
           c.n_changed, c.accuracy AS clean_accuracy, x.accuracy AS perturbed_accuracy,
           c.confidence AS clean_confidence, x.confidence AS perturbed_confidence,
           c.ece AS clean_ece, x.ece AS perturbed_ece
    FROM per_side AS c
    JOIN per_side AS x USING (run_key, split, language, attack, calibration)
    WHERE c.side = 'clean' AND x.side = 'perturbed'
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.target,                           -- target task
    r.variant,                          -- run variant ("default": no setting differs between runs)
    r.seed,                             -- training seed
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack setting
    u.calibration,                      -- "none" or a post-hoc method
    u.temperature,                      -- T applied to the logits
    u.temperature_at_bound,             -- T was fit at or next to the limit of its search range
    u.n,                                -- paired inputs
    u.n_changed,                        -- of those, inputs whose perturbed text differs from the clean one
    u.clean_ece,                        -- ECE on the clean inputs of the pairs
    u.perturbed_ece,                    -- ECE on their perturbed versions
    u.perturbed_ece - u.clean_ece AS ece_shift,  -- perturbed minus clean ECE
    u.clean_accuracy,                   -- accuracy, clean
    u.perturbed_accuracy,               -- accuracy, perturbed
    u.clean_confidence,                 -- mean confidence, clean
    u.perturbed_confidence,             -- mean confidence, perturbed
    u.perturbed_confidence - u.clean_confidence AS confidence_shift,  -- mean confidence change under attack
    u.run_key                           -- training_run.key of the target run
FROM compared AS u
JOIN target_run AS r ON r.run_key = u.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack, u.calibration
