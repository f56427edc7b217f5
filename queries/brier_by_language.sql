-- brier_by_language: how far are the predicted class probabilities from the one-hot gold label, per run,
--   language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters: none.
-- Reads: prediction, training_run, calibration_fit.
-- Definition: Brier score, the mean over inputs of sum_k (p_k - [label = k])^2 (Brier 1950, eq. 1: summed
--   over classes, so it lies in [0, 2]; some libraries divide by the number of classes), with p the
--   softmax of logits / T. Computed per input as sum_k p_k^2 - 2 p_label + 1.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
softmax AS (  -- per prediction: e_k = exp((z_k - max z) / T); logits[1..3] by plain arithmetic (about twice as
              -- fast as a list lambda, docs/dependencies.md), classes past the third by a lambda
    SELECT p.run_key, p.split, p.language, p.attack, c.method, c.temperature,
           list_max(p.logits)::DOUBLE AS z_max,
           exp((p.logits[1]::DOUBLE - z_max) / c.temperature) AS e1,
           exp((p.logits[2]::DOUBLE - z_max) / c.temperature) AS e2,
           coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0) AS e3,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp(2 * (z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest_squared,
           exp((p.logits[p.label + 1]::DOUBLE - z_max) / c.temperature) AS e_gold
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
scored AS (  -- per prediction: sum_k p_k^2 - 2 p_label + 1
    SELECT run_key, split, language, attack, method, temperature,
           e1 + e2 + e3 + e_rest AS sum_exp,
           (e1 * e1 + e2 * e2 + e3 * e3 + e_rest_squared) / (sum_exp * sum_exp) - 2 * e_gold / sum_exp + 1 AS brier
    FROM softmax
),
per_run AS (  -- per run, split, language, attack and method: aggregated before the join below
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature,
           count(*) AS n, avg(brier) AS brier
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
    s.brier,                            -- mean Brier score (0 = certain and right, 2 = certain and wrong)
    s.run_key                           -- training_run.key of the target run
FROM per_run AS s
JOIN training_run AS r ON r.key = s.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, s.split, s.language, s.attack, s.method
