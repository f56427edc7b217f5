-- aurc_by_language: if the model abstained on its least confident inputs, how much risk would remain on
--   average over all coverages, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters: none.
-- Reads: calibrated_prediction, target_run.
-- Definition: area under the risk-coverage curve (Geifman & El-Yaniv 2017, "Selective classification for
--   deep neural networks"; AURC as in Geifman et al. 2019, "Bias-reduced uncertainty estimation for deep
--   neural classifiers"): sort the n inputs by confidence, most confident first; the risk at coverage i/n
--   is the error rate of the first i; AURC is the mean of those n risks (lower is better; the error rate
--   itself when confidence is uninformative). Tied confidences have no order, so within a tie the
--   expected risk over random orders is used: the j-th of a tie of m inputs with e errors, after b inputs
--   with d errors, has risk (d + j e / m) / (b + j). Confidence as in confidence_by_language.
WITH levels AS (  -- per distinct confidence: how many inputs share it, and how many of them are errors
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, confidence,
           count(*) AS n_level, sum((NOT correct)::DOUBLE) AS errors_level
    FROM calibrated_prediction
    GROUP BY run_key, split, language, attack, calibration, confidence
),
before AS (  -- per level: inputs and errors at strictly higher confidence
    SELECT *,
           coalesce(sum(n_level) OVER above, 0) AS n_before,
           coalesce(sum(errors_level) OVER above, 0) AS errors_before
    FROM levels
    WINDOW above AS (PARTITION BY run_key, split, language, attack, calibration ORDER BY confidence DESC
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
risks AS (  -- one row per input position: the (expected) error rate of the inputs covered up to it
    SELECT run_key, split, language, attack, calibration, temperature, temperature_at_bound, j,
           (errors_before + j * errors_level / n_level) / (n_before + j) AS risk
    FROM before, unnest(range(1, n_level + 1)) AS positions(j)
),
curve AS (  -- per run: the mean risk over all coverages
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, count(*) AS n, avg(risk) AS aurc
    FROM risks
    GROUP BY run_key, split, language, attack, calibration
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.target,                           -- target task
    r.variant,                          -- run variant ("default": no setting differs between runs)
    r.seed,                             -- training seed
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack setting ("none" = clean)
    u.calibration,                      -- "none" or a post-hoc method
    u.temperature,                      -- T applied to the logits
    u.temperature_at_bound,             -- T was fit at or next to the limit of its search range
    u.n,                                -- inputs evaluated
    u.aurc,                             -- area under the risk-coverage curve (lower is better)
    u.run_key                           -- training_run.key of the target run
FROM curve AS u
JOIN target_run AS r ON r.run_key = u.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack, u.calibration
