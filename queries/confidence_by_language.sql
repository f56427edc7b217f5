-- confidence_by_language: how confident is the model, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters: none.
-- Reads: prediction, training_run, calibration_fit.
-- Definition: mean of the largest softmax probability of logits / T, with T = 1 for "none" and the
--   fitted temperature for "temperature" (Guo et al. 2017, section 4.2).
WITH calibration AS (  -- each target run at T = 1, plus every fitted calibration of it
    SELECT key AS run_key, 'none' AS method, 1.0::DOUBLE AS temperature FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, temperature FROM calibration_fit
),
scored AS (  -- max softmax probability per prediction: 1 / sum_j exp((z_j - z_max) / T)
    SELECT p.run_key, p.split, p.language, p.attack, c.method, c.temperature,
           1.0 / list_sum(list_transform(p.logits, lambda z: exp((z::DOUBLE - list_max(p.logits)) / c.temperature))) AS confidence
    FROM prediction AS p
    JOIN calibration AS c USING (run_key)
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    s.split,                            -- evaluated split
    s.language,                         -- language of the inputs
    s.attack,                           -- attack ("none" = clean)
    s.method AS calibration,            -- "none" or a post-hoc method
    any_value(s.temperature) AS temperature,  -- T applied to the logits
    count(*) AS n,                      -- inputs evaluated
    avg(s.confidence) AS confidence,    -- mean max-softmax probability
    s.run_key                           -- training_run.key of the target run
FROM scored AS s
JOIN training_run AS r ON r.key = s.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.task, r.seed, s.split, s.language, s.attack, s.method
