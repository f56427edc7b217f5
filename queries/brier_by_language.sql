-- brier_by_language: how far are the predicted class probabilities from the one-hot gold label, per run,
--   language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters: none.
-- Reads: calibrated_prediction, target_run.
-- Definition: Brier score, the mean over inputs of sum_k (p_k - [label = k])^2 (Brier 1950, eq. 1: summed
--   over classes, so it lies in [0, 2]; some libraries divide by the number of classes), with p the
--   softmax of logits / T: calibrated_prediction.brier, computed per input as sum_k p_k^2 - 2 p_label + 1.
WITH per_run AS (  -- per run, split, language, attack and method: aggregated before the join below
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, count(*) AS n, avg(brier) AS brier
    FROM calibrated_prediction
    GROUP BY run_key, split, language, attack, calibration
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.target,                           -- target task
    r.variant,                          -- run variant ("default": no setting differs between runs)
    r.seed,                             -- training seed
    s.split,                            -- evaluated split
    s.language,                         -- language of the inputs
    s.attack,                           -- attack setting ("none" = clean)
    s.calibration,                      -- "none" or a post-hoc method
    s.temperature,                      -- T applied to the logits
    s.temperature_at_bound,             -- T was fit at or next to the limit of its search range
    s.n,                                -- inputs evaluated
    s.brier,                            -- mean Brier score (0 = certain and right, 2 = certain and wrong)
    s.run_key                           -- training_run.key of the target run
FROM per_run AS s
JOIN target_run AS r ON r.run_key = s.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, s.split, s.language, s.attack, s.calibration
