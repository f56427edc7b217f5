-- accuracy_by_language: how often is the model right, per run, language and attack?
-- Grain: one row per target run x language x attack setting ("none" = clean inputs) x split.
-- Parameters: none.
-- Reads: calibrated_prediction (its "none" rows: post-hoc calibration never moves the arg-max), target_run.
-- Definition: share of inputs whose arg-max class equals the gold label.
WITH per_run AS (  -- per run, split, language and attack setting: aggregated before the join below
    SELECT run_key, split, language, attack, count(*) AS n, avg(correct::DOUBLE) AS accuracy
    FROM calibrated_prediction
    WHERE calibration = 'none'
    GROUP BY run_key, split, language, attack
)
SELECT
    r.base_model,                                   -- phase-1 encoder, as named in the spec
    r.intermediate,                                 -- "none", an intermediate task, or tasks joined by "+"
    r.target,                                       -- target task
    r.variant,                                      -- run variant: settings that differ between runs ("default": none)
    r.seed,                                         -- training seed of phases 2 and 3
    u.split,                                        -- evaluated split
    u.language,                                     -- language of the inputs
    u.attack,                                       -- attack setting that produced the inputs ("none" = clean)
    u.n,                                            -- inputs evaluated
    u.accuracy,                                     -- share predicted correctly
    u.run_key                                       -- training_run.key of the target run
FROM per_run AS u
JOIN target_run AS r ON r.run_key = u.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack
