-- ece_perturbed_vs_clean: is the model worse calibrated on perturbed inputs than on the same inputs clean,
--   per run, language, attack and calibration?
-- Grain: one row per target run x language x attack (not "none") x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins over [0, 1]
-- Reads: prediction, training_run, calibration_fit.
-- Definition: clean and perturbed predictions of the same run, paired on example_id and scored at the
--   same temperature; on those pairs, ECE (as in ece_by_language: Guo et al. 2017, eq. 3, bins
--   [b/B, (b+1)/B)), accuracy and mean confidence of the clean and of the perturbed inputs, and the
--   perturbed minus clean differences. Restricting both to the same inputs keeps inputs an attack skips
--   from changing the clean side.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
softmax AS (  -- per prediction: sum_k exp((z_k - max z) / T), logits[1..3] by plain arithmetic (about twice as
              -- fast as a list lambda, docs/dependencies.md), classes past the third by a lambda
    SELECT p.run_key, p.split, p.language, p.attack, p.example_id, c.method, c.temperature, p.pred_label, p.label,
           list_max(p.logits)::DOUBLE AS z_max,
           exp((p.logits[1]::DOUBLE - z_max) / c.temperature)
             + exp((p.logits[2]::DOUBLE - z_max) / c.temperature)
             + coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0)
             + CASE WHEN len(p.logits) > 3
                    THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                    ELSE 0 END AS sum_exp,
           exp((p.logits[p.label + 1]::DOUBLE - z_max) / c.temperature) / sum_exp AS gold_probability
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
scored AS (  -- per prediction: confidence, gold probability, predicted label and correctness
    SELECT run_key, split, language, attack, example_id, method, temperature, pred_label,
           1.0 / sum_exp AS confidence, gold_probability, pred_label = label AS correct
    FROM softmax
),
pairs AS (  -- one row per attacked input with its clean counterpart, scored at the same temperature
    SELECT x.run_key, x.split, x.language, x.attack, x.method, x.temperature, x.example_id,
           c.confidence AS clean_confidence, c.correct::DOUBLE AS clean_correct,
           x.confidence AS perturbed_confidence, x.correct::DOUBLE AS perturbed_correct
    FROM scored AS x
    JOIN scored AS c
      ON c.run_key = x.run_key AND c.split = x.split AND c.language = x.language AND c.method = x.method
     AND c.example_id = x.example_id AND c.attack = 'none'
    WHERE x.attack <> 'none'
),
sides AS (  -- each pair twice: its clean and its perturbed prediction
    SELECT run_key, split, language, attack, method, temperature, 'clean' AS side,
           clean_confidence AS confidence, clean_correct AS correct
    FROM pairs
    UNION ALL
    SELECT run_key, split, language, attack, method, temperature, 'perturbed' AS side,
           perturbed_confidence, perturbed_correct
    FROM pairs
),
binned AS (  -- per side and bin: size, correct predictions and summed confidence
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature, side,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, sum(correct) AS correct_bin, sum(confidence) AS conf_bin
    FROM sides
    GROUP BY run_key, split, language, attack, method, side, bin
),
per_side AS (  -- per side: accuracy, confidence and ECE
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature, side,
           sum(n_bin)::BIGINT AS n, sum(correct_bin) / sum(n_bin) AS accuracy, sum(conf_bin) / sum(n_bin) AS confidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece
    FROM binned
    GROUP BY run_key, split, language, attack, method, side
),
compared AS (  -- both sides on one row
    SELECT c.run_key, c.split, c.language, c.attack, c.method, c.temperature, c.n,
           c.accuracy AS clean_accuracy, x.accuracy AS perturbed_accuracy,
           c.confidence AS clean_confidence, x.confidence AS perturbed_confidence,
           c.ece AS clean_ece, x.ece AS perturbed_ece
    FROM per_side AS c
    JOIN per_side AS x USING (run_key, split, language, attack, method)
    WHERE c.side = 'clean' AND x.side = 'perturbed'
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack
    u.method AS calibration,            -- "none" or a post-hoc method
    u.temperature,                      -- T applied to the logits
    u.n,                                -- paired inputs
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
JOIN training_run AS r ON r.key = u.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, u.split, u.language, u.attack, u.method
