-- confidence_by_language: how confident is the model, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters: none.
-- Reads: prediction, training_run, calibration_fit.
-- Definition: mean of the largest softmax probability of logits / T, with T = 1 for "none" and the
--   temperature fitted on English dev for "temperature" (Guo et al. 2017, section 4.2) and on the row's
--   own language's dev set for "temperature-oracle" (an upper bound: zero-shot transfer has no such labels).
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
scored AS (  -- max softmax probability per prediction: 1 / sum_j exp((z_j - z_max) / T)
    SELECT p.run_key, p.split, p.language, p.attack, c.method, c.temperature,
           list_max(p.logits)::DOUBLE AS z_max,
           -- 1 / sum_k exp((z_k - z_max) / T): logits[1..3] by plain arithmetic (about twice as fast as a list
           -- lambda, docs/dependencies.md); a lambda adds classes past the third, so any class count works
           1.0 / (exp((p.logits[1]::DOUBLE - z_max) / c.temperature)
                  + exp((p.logits[2]::DOUBLE - z_max) / c.temperature)
                  + coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0)
                  + CASE WHEN len(p.logits) > 3
                         THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                         ELSE 0 END) AS confidence
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
per_run AS (  -- per run, split, language, attack and method: aggregated before the join below
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature,
           count(*) AS n, avg(confidence) AS confidence
    FROM scored
    GROUP BY run_key, split, language, attack, method
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
    s.temperature,                      -- T applied to the logits
    s.n,                                -- inputs evaluated
    s.confidence,                       -- mean max-softmax probability
    s.run_key                           -- training_run.key of the target run
FROM per_run AS s
JOIN training_run AS r ON r.key = s.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, s.split, s.language, s.attack, s.method
