-- attack_success_rate: of the inputs a run gets right, how many does each attack make it get wrong, per
--   run, language and attack?
-- Grain: one row per target run x language x attack setting (not "none") x split.
-- Parameters:
--   $changed_only BOOLEAN = false  count only the inputs the attack changed (calibrated_prediction.input_changed)
-- Reads: calibrated_prediction (its "none" rows), target_run.
-- Definition: clean and perturbed predictions of the same run are paired on example_id. The attack
--   succeeds on an input the run classifies correctly when clean and wrongly when perturbed; inputs
--   already wrong when clean are skipped, as TextAttack counts them (Morris et al. 2020): success rate =
--   succeeded / (clean-correct pairs). Post-hoc temperature scaling does not move the arg-max, so there is
--   no calibration dimension. Inputs with no clean prediction are left out. An attack can leave an input as
--   it was (a transfer attack skips inputs its reference run gets wrong; noise may draw no edit): n_changed
--   counts the pairs whose perturbed text differs, and $changed_only keeps only those.
WITH clean AS (  -- clean predictions
    SELECT run_key, split, language, example_id, correct
    FROM calibrated_prediction
    WHERE calibration = 'none' AND attack = 'none'
),
pairs AS (  -- one row per attacked input with its clean counterpart
    SELECT p.run_key, p.split, p.language, p.attack, p.input_changed, c.correct AS clean_correct,
           p.correct AS perturbed_correct
    FROM calibrated_prediction AS p
    JOIN clean AS c ON c.run_key = p.run_key AND c.split = p.split AND c.language = p.language
                   AND c.example_id = p.example_id
    WHERE p.calibration = 'none' AND p.attack <> 'none' AND (p.input_changed OR NOT $changed_only)
),
counted AS (  -- per run, language and attack: pairs, changed pairs, clean-correct pairs and successes
    SELECT run_key, split, language, attack, count(*) AS n,
           count(*) FILTER (WHERE input_changed) AS n_changed,
           count(*) FILTER (WHERE clean_correct) AS attempted,
           count(*) FILTER (WHERE clean_correct AND NOT perturbed_correct) AS succeeded,
           avg(clean_correct::DOUBLE) AS clean_accuracy,
           avg(perturbed_correct::DOUBLE) AS perturbed_accuracy
    FROM pairs
    GROUP BY run_key, split, language, attack
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
    u.n,                                -- inputs with both a clean and a perturbed prediction
    u.n_changed,                        -- of those, inputs whose perturbed text differs from the clean one
    u.n_changed / u.n AS changed_share,  -- n_changed / n
    u.clean_accuracy,                   -- accuracy on the clean inputs of those pairs
    u.perturbed_accuracy,               -- accuracy on their perturbed versions
    u.clean_accuracy - u.perturbed_accuracy AS accuracy_drop,  -- clean minus perturbed accuracy
    u.attempted,                        -- pairs whose clean input the run gets right
    u.succeeded,                        -- of those, pairs whose perturbed input it gets wrong
    u.succeeded / nullif(u.attempted, 0) AS success_rate,  -- succeeded / attempted (NULL if none attempted)
    u.run_key                           -- training_run.key of the target run
FROM counted AS u
JOIN target_run AS r ON r.run_key = u.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack
