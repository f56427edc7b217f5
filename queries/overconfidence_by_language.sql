-- overconfidence_by_language: how much more confident than accurate is the model, per run, language,
--   attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters: none.
-- Reads: calibrated_prediction, target_run.
-- Definition: mean max-softmax confidence minus accuracy, positive when over-confident (the signed
--   top-label calibration gap of Guo et al. 2017, section 2; the quantity Ahuja et al. 2022 report per
--   language). Confidence is computed from logits / T as in confidence_by_language.
WITH per_run AS (  -- per run, split, language, attack and method: aggregated before the join below
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound,
           count(*) AS n, avg(correct::DOUBLE) AS accuracy, avg(confidence) AS confidence,
           avg(confidence) - avg(correct::DOUBLE) AS overconfidence
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
    s.accuracy,                         -- share predicted correctly
    s.confidence,                       -- mean max-softmax probability
    s.overconfidence,                   -- confidence minus accuracy (> 0: over-confident)
    s.run_key                           -- training_run.key of the target run
FROM per_run AS s
JOIN target_run AS r ON r.run_key = s.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, s.split, s.language, s.attack, s.calibration
