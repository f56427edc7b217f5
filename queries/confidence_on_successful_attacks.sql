-- confidence_on_successful_attacks: when an attack flips a right answer to a wrong one, how confident is the
--   model in its wrong answer, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack (not "none") x split x calibration method.
-- Parameters:
--   $threshold DOUBLE in [0, 1] = 0.9  confidence at or above which a wrong answer counts as confidently wrong
-- Reads: prediction, training_run, calibration_fit.
-- Definition: successful adversarial inputs are those right when clean and wrong when perturbed (as in
--   attack_success_rate; clean and perturbed predictions of a run paired on example_id). Over them: the
--   mean max-softmax confidence of logits / T on the perturbed input (as in confidence_by_language), the
--   mean on their clean versions, and the share of confidently wrong answers (confidence >= threshold).
--   Runs, languages and attacks with no success have a row with n_succeeded = 0 and NULL means.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
softmax AS (  -- per prediction: sum_k exp((z_k - max z) / T), logits[1..3] by plain arithmetic (about twice as
              -- fast as a list lambda, docs/dependencies.md), classes past the third by a lambda
    SELECT p.run_key, p.split, p.language, p.attack, p.example_id, c.method, c.temperature, p.pred_label, p.label,
           list_max(p.logits)::DOUBLE AS z_max,
           exp((p.logits[1]::DOUBLE - z_max) / c.temperature)
             + exp((p.logits[2]::DOUBLE - z_max) / c.temperature)
             + coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0)
             + CASE WHEN len(p.logits) > 3
                    THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                    ELSE 0 END AS sum_exp,
           exp((p.logits[p.label + 1]::DOUBLE - z_max) / c.temperature) / sum_exp AS gold_probability
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
scored AS (  -- per prediction: confidence, gold probability, predicted label and correctness
    SELECT run_key, split, language, attack, example_id, method, temperature, pred_label,
           1.0 / sum_exp AS confidence, gold_probability, pred_label = label AS correct
    FROM softmax
),
pairs AS (  -- one row per attacked input with its clean counterpart, scored at the same temperature
    SELECT x.run_key, x.split, x.language, x.attack, x.method, x.temperature,
           c.confidence AS clean_confidence, x.confidence AS perturbed_confidence,
           c.correct AND NOT x.correct AS succeeded
    FROM scored AS x
    JOIN scored AS c
      ON c.run_key = x.run_key AND c.split = x.split AND c.language = x.language AND c.method = x.method
     AND c.example_id = x.example_id AND c.attack = 'none'
    WHERE x.attack <> 'none'
),
summary AS (  -- per run, language, attack and method: over the successful attacks
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature, count(*) AS n,
           count(*) FILTER (WHERE succeeded) AS n_succeeded,
           avg(perturbed_confidence) FILTER (WHERE succeeded) AS mean_confidence,
           avg(clean_confidence) FILTER (WHERE succeeded) AS mean_clean_confidence,
           avg((perturbed_confidence >= $threshold)::DOUBLE) FILTER (WHERE succeeded) AS confidently_wrong_share
    FROM pairs
    GROUP BY run_key, split, language, attack, method
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack
    u.method AS calibration,            -- "none" or a post-hoc method
    u.temperature,                      -- T applied to the logits
    u.n,                                -- inputs with both a clean and a perturbed prediction
    u.n_succeeded,                      -- successful adversarial inputs (right when clean, wrong when perturbed)
    u.mean_confidence,                  -- mean confidence in the wrong answer on them
    u.mean_clean_confidence,            -- mean confidence in the right answer on their clean versions
    u.confidently_wrong_share,          -- share of them answered wrongly with confidence >= threshold
    u.run_key                           -- training_run.key of the target run
FROM summary AS u
JOIN training_run AS r ON r.key = u.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, u.split, u.language, u.attack, u.method
