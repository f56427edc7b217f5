-- confidence_on_successful_attacks: when an attack flips a right answer to a wrong one, how confident is the
--   model in its wrong answer, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting (not "none") x split x calibration method.
-- Parameters:
--   $threshold DOUBLE in [0, 1] = 0.9  confidence at or above which a wrong answer counts as confidently wrong
--   $changed_only BOOLEAN = false  only the inputs the attack changed (calibrated_prediction.input_changed)
-- Reads: calibrated_prediction, target_run.
-- Definition: successful adversarial inputs are those right when clean and wrong when perturbed (as in
--   attack_success_rate; clean and perturbed predictions of a run paired on example_id). Over them: the
--   mean max-softmax confidence of logits / T on the perturbed input (as in confidence_by_language), the
--   mean on their clean versions, and the share of confidently wrong answers (confidence >= threshold).
--   Runs, languages and attacks with no success have a row with n_succeeded = 0 and NULL means.
WITH pairs AS (  -- one row per attacked input with its clean counterpart, scored at the same temperature
    SELECT x.run_key, x.split, x.language, x.attack, x.calibration, x.temperature, x.temperature_at_bound,
           x.input_changed, c.confidence AS clean_confidence, x.confidence AS perturbed_confidence,
           c.correct AND NOT x.correct AS succeeded
    FROM calibrated_prediction AS x
    JOIN calibrated_prediction AS c
      ON c.run_key = x.run_key AND c.split = x.split AND c.language = x.language AND c.calibration = x.calibration
     AND c.example_id = x.example_id AND c.attack = 'none'
    WHERE x.attack <> 'none' AND (x.input_changed OR NOT $changed_only)
),
summary AS (  -- per run, language, attack and method: over the successful attacks
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, count(*) AS n,
           count(*) FILTER (WHERE input_changed) AS n_changed,
           count(*) FILTER (WHERE succeeded) AS n_succeeded,
           avg(perturbed_confidence) FILTER (WHERE succeeded) AS mean_confidence,
           avg(clean_confidence) FILTER (WHERE succeeded) AS mean_clean_confidence,
           avg((perturbed_confidence >= $threshold)::DOUBLE) FILTER (WHERE succeeded) AS confidently_wrong_share
    FROM pairs
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
    u.attack,                           -- attack setting
    u.calibration,                      -- "none" or a post-hoc method
    u.temperature,                      -- T applied to the logits
    u.temperature_at_bound,             -- T was fit at or next to the limit of its search range
    u.n,                                -- inputs with both a clean and a perturbed prediction
    u.n_changed,                        -- of those, inputs whose perturbed text differs from the clean one
    u.n_succeeded,                      -- successful adversarial inputs (right when clean, wrong when perturbed)
    u.mean_confidence,                  -- mean confidence in the wrong answer on them
    u.mean_clean_confidence,            -- mean confidence in the right answer on their clean versions
    u.confidently_wrong_share,          -- share of them answered wrongly with confidence >= threshold
    u.run_key                           -- training_run.key of the target run
FROM summary AS u
JOIN target_run AS r ON r.run_key = u.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack, u.calibration
