-- aurc_by_language: if the model abstained on its least confident inputs, how much risk would remain on
--   average over all coverages, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters: none.
-- Reads: prediction, training_run, calibration_fit.
-- Definition: area under the risk-coverage curve (Geifman & El-Yaniv 2017, "Selective classification for
--   deep neural networks"; AURC as in Geifman et al. 2019, "Bias-reduced uncertainty estimation for deep
--   neural classifiers"): sort the n inputs by confidence, most confident first; the risk at coverage i/n
--   is the error rate of the first i; AURC is the mean of those n risks (lower is better; the error rate
--   itself when confidence is uninformative). Tied confidences have no order, so within a tie the
--   expected risk over random orders is used: the j-th of a tie of m inputs with e errors, after b inputs
--   with d errors, has risk (d + j e / m) / (b + j). Confidence as in confidence_by_language.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
scored AS (  -- per prediction: confidence and correctness
    SELECT p.run_key, p.split, p.language, p.attack, c.method, c.temperature,
           list_max(p.logits)::DOUBLE AS z_max,
           -- 1 / sum_k exp((z_k - z_max) / T): logits[1..3] by plain arithmetic (about twice as fast as a list
           -- lambda, docs/dependencies.md); a lambda adds classes past the third, so any class count works
           1.0 / (exp((p.logits[1]::DOUBLE - z_max) / c.temperature)
                  + exp((p.logits[2]::DOUBLE - z_max) / c.temperature)
                  + coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0)
                  + CASE WHEN len(p.logits) > 3
                         THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                         ELSE 0 END) AS confidence,
           (p.pred_label <> p.label)::DOUBLE AS error
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
levels AS (  -- per distinct confidence: how many inputs share it, and how many of them are errors
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature, confidence,
           count(*) AS n_level, sum(error) AS errors_level
    FROM scored
    GROUP BY run_key, split, language, attack, method, confidence
),
before AS (  -- per level: inputs and errors at strictly higher confidence
    SELECT *,
           coalesce(sum(n_level) OVER above, 0) AS n_before,
           coalesce(sum(errors_level) OVER above, 0) AS errors_before
    FROM levels
    WINDOW above AS (PARTITION BY run_key, split, language, attack, method ORDER BY confidence DESC
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
risks AS (  -- one row per input position: the (expected) error rate of the inputs covered up to it
    SELECT run_key, split, language, attack, method, temperature, j,
           (errors_before + j * errors_level / n_level) / (n_before + j) AS risk
    FROM before, unnest(range(1, n_level + 1)) AS positions(j)
),
curve AS (  -- per run: the mean risk over all coverages
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature,
           count(*) AS n, avg(risk) AS aurc
    FROM risks
    GROUP BY run_key, split, language, attack, method
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack ("none" = clean)
    u.method AS calibration,            -- "none" or a post-hoc method
    u.temperature,                      -- T applied to the logits
    u.n,                                -- inputs evaluated
    u.aurc,                             -- area under the risk-coverage curve (lower is better)
    u.run_key                           -- training_run.key of the target run
FROM curve AS u
JOIN training_run AS r ON r.key = u.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, u.split, u.language, u.attack, u.method
