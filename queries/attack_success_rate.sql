-- attack_success_rate: of the inputs a run gets right, how many does each attack make it get wrong, per
--   run, language and attack?
-- Grain: one row per target run x language x attack (not "none") x split.
-- Parameters: none.
-- Reads: prediction, training_run.
-- Definition: clean and perturbed predictions of the same run are paired on example_id. The attack
--   succeeds on an input the run classifies correctly when clean and wrongly when perturbed; inputs
--   already wrong when clean are skipped, as TextAttack counts them (Morris et al. 2020): success rate =
--   succeeded / (clean-correct pairs). Post-hoc temperature scaling does not move the arg-max, so there is
--   no calibration dimension. Inputs with no clean prediction are left out.
WITH clean AS (  -- clean predictions
    SELECT run_key, split, language, example_id, (pred_label = label) AS correct
    FROM prediction
    WHERE attack = 'none'
),
pairs AS (  -- one row per attacked input with its clean counterpart
    SELECT p.run_key, p.split, p.language, p.attack, c.correct AS clean_correct,
           (p.pred_label = p.label) AS perturbed_correct
    FROM prediction AS p
    JOIN clean AS c ON c.run_key = p.run_key AND c.split = p.split AND c.language = p.language
                   AND c.example_id = p.example_id
    WHERE p.attack <> 'none'
),
counted AS (  -- per run, language and attack: pairs, clean-correct pairs and successes
    SELECT run_key, split, language, attack, count(*) AS n,
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
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack
    u.n,                                -- inputs with both a clean and a perturbed prediction
    u.clean_accuracy,                   -- accuracy on the clean inputs of those pairs
    u.perturbed_accuracy,               -- accuracy on their perturbed versions
    u.clean_accuracy - u.perturbed_accuracy AS accuracy_drop,  -- clean minus perturbed accuracy
    u.attempted,                        -- pairs whose clean input the run gets right
    u.succeeded,                        -- of those, pairs whose perturbed input it gets wrong
    u.succeeded / nullif(u.attempted, 0) AS success_rate,  -- succeeded / attempted (NULL if none attempted)
    u.run_key                           -- training_run.key of the target run
FROM counted AS u
JOIN training_run AS r ON r.key = u.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, u.split, u.language, u.attack
