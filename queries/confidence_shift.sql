-- confidence_shift: how does each input's confidence change when it is perturbed, per run, language,
--   attack and calibration?
-- Grain: one row per target run x language x attack (not "none") x split x calibration method x input.
-- Parameters: none.
-- Reads: prediction, training_run, calibration_fit.
-- Definition: clean and perturbed predictions of the same run are paired on example_id, both scored with
--   the same temperature. Confidence is the max softmax probability of logits / T (as in
--   confidence_by_language), gold probability the softmax probability of the gold label; shift =
--   perturbed - clean. The attack succeeded on an input that is right when clean and wrong when perturbed
--   (as in attack_success_rate).
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
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    x.split,                            -- evaluated split
    x.language,                         -- language of the inputs
    x.attack,                           -- attack
    x.method AS calibration,            -- "none" or a post-hoc method
    x.temperature,                      -- T applied to both logit vectors
    x.example_id,                       -- the input (example.id)
    c.confidence AS clean_confidence,   -- max softmax probability on the clean input
    x.confidence AS perturbed_confidence,  -- max softmax probability on the perturbed input
    x.confidence - c.confidence AS confidence_shift,  -- perturbed minus clean confidence
    c.gold_probability AS clean_gold_probability,  -- probability of the gold label, clean
    x.gold_probability AS perturbed_gold_probability,  -- probability of the gold label, perturbed
    c.pred_label AS clean_pred_label,   -- predicted class, clean
    x.pred_label AS perturbed_pred_label,  -- predicted class, perturbed
    c.correct AS clean_correct,         -- right on the clean input
    x.correct AS perturbed_correct,     -- right on the perturbed input
    c.correct AND NOT x.correct AS attack_succeeded,  -- right when clean, wrong when perturbed
    x.run_key                           -- training_run.key of the target run
FROM scored AS x
JOIN scored AS c
  ON c.run_key = x.run_key AND c.split = x.split AND c.language = x.language AND c.method = x.method
 AND c.example_id = x.example_id AND c.attack = 'none'
JOIN training_run AS r ON r.key = x.run_key
WHERE x.attack <> 'none'
ORDER BY r.base_model, r.intermediate, r.task, r.seed, x.split, x.language, x.attack, x.method, x.example_id
