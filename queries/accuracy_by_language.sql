-- accuracy_by_language: how often is the model right, per run, language and attack?
-- Grain: one row per target run x language x attack ("none" = clean inputs) x split.
-- Parameters: none.
-- Reads: prediction, training_run.
-- Definition: share of inputs whose arg-max class equals the gold label.
SELECT
    r.base_model,                                   -- phase-1 encoder, as named in the spec
    r.intermediate,                                 -- "none", an intermediate task, or tasks joined by "+"
    r.task AS target,                               -- target task
    r.seed,                                         -- training seed of phases 2 and 3
    p.split,                                        -- evaluated split
    p.language,                                     -- language of the inputs
    p.attack,                                       -- attack that produced the inputs ("none" = clean)
    count(*) AS n,                                  -- inputs evaluated
    avg((p.pred_label = p.label)::DOUBLE) AS accuracy,  -- share predicted correctly
    p.run_key                                       -- training_run.key of the target run
FROM prediction AS p
JOIN training_run AS r ON r.key = p.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.task, r.seed, p.split, p.language, p.attack
