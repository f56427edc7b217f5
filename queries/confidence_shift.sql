-- confidence_shift: how does each input's confidence change when it is perturbed, per run, language,
--   attack and calibration?
-- Grain: one row per target run x language x attack setting (not "none") x split x calibration method x input.
-- Parameters:
--   $changed_only BOOLEAN = false  only the inputs the attack changed (calibrated_prediction.input_changed)
-- Reads: calibrated_prediction, target_run.
-- Definition: clean and perturbed predictions of the same run are paired on example_id, both scored with
--   the same temperature. Confidence is the max softmax probability of logits / T (as in
--   confidence_by_language), gold probability the softmax probability of the gold label; shift =
--   perturbed - clean. The attack succeeded on an input that is right when clean and wrong when perturbed
--   (as in attack_success_rate).
WITH perturbed AS (  -- attacked predictions
    SELECT *
    FROM calibrated_prediction
    WHERE attack <> 'none' AND (input_changed OR NOT $changed_only)
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.target,                           -- target task
    r.variant,                          -- run variant ("default": no setting differs between runs)
    r.seed,                             -- training seed
    x.split,                            -- evaluated split
    x.language,                         -- language of the inputs
    x.attack,                           -- attack setting
    x.calibration,                      -- "none" or a post-hoc method
    x.temperature,                      -- T applied to both logit vectors
    x.temperature_at_bound,             -- T was fit at or next to the limit of its search range
    x.example_id,                       -- the input (example.id)
    x.input_changed,                    -- the perturbed text differs from the clean one
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
FROM perturbed AS x
JOIN calibrated_prediction AS c
  ON c.run_key = x.run_key AND c.split = x.split AND c.language = x.language AND c.calibration = x.calibration
 AND c.example_id = x.example_id AND c.attack = 'none'
JOIN target_run AS r ON r.run_key = x.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, x.split, x.language, x.attack, x.calibration,
         x.example_id
