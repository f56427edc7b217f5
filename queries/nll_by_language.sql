-- nll_by_language: how much probability does the model give the gold label, as a log-loss, per run,
--   language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters: none.
-- Reads: calibrated_prediction, target_run.
-- Definition: negative log-likelihood, the mean over inputs of -ln p_label with p the softmax of logits / T
--   (natural log; the quantity temperature scaling minimises, Guo et al. 2017, section 4.2):
--   calibrated_prediction.nll, computed per input as ln(sum_k exp((z_k - max z) / T)) - (z_label - max z) / T,
--   which never takes ln(0).
WITH per_run AS (  -- per run, split, language, attack and method: aggregated before the join below
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, count(*) AS n, avg(nll) AS nll
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
    s.nll,                              -- mean negative log-likelihood of the gold label (nats)
    s.run_key                           -- training_run.key of the target run
FROM per_run AS s
JOIN target_run AS r ON r.run_key = s.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, s.split, s.language, s.attack, s.calibration
