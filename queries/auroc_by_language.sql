-- auroc_by_language: how well does the model's confidence tell its correct answers from its errors, per
--   run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters: none.
-- Reads: calibrated_prediction, target_run.
-- Definition: area under the ROC curve of max-softmax confidence as a score for "correct" against
--   "wrong" (the misclassification-detection AUROC of Hendrycks & Gimpel 2017), computed as the
--   Mann-Whitney statistic: AUROC = (R - P (P + 1) / 2) / (P N), R the sum of the ranks of the correct
--   predictions among all, P correct and N wrong predictions; tied confidences share their mean rank,
--   which counts a tie as one half (the trapezoidal ROC of torchmetrics' binary_auroc). NULL when every
--   prediction is right or every one is wrong. Temperature scaling never changes the order of
--   confidences, so "temperature" rows repeat "none" up to ties.
WITH levels AS (  -- per distinct confidence: how many predictions share it, and how many of them are correct
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, confidence,
           count(*) AS n_level, sum(correct::DOUBLE) AS correct_level
    FROM calibrated_prediction
    GROUP BY run_key, split, language, attack, calibration, confidence
),
ranked AS (  -- per level: the mean rank of its predictions (1 = least confident), ties sharing it
    SELECT *, coalesce(sum(n_level) OVER (PARTITION BY run_key, split, language, attack, calibration
                                          ORDER BY confidence ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
              + (n_level + 1) / 2.0 AS mean_rank
    FROM levels
),
counted AS (  -- per run: rank sum of the correct predictions, and the counts of correct and wrong
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound,
           sum(n_level)::BIGINT AS n, sum(correct_level) AS n_correct, sum(n_level) - sum(correct_level) AS n_wrong,
           sum(correct_level * mean_rank) AS rank_sum
    FROM ranked
    GROUP BY run_key, split, language, attack, calibration
),
auc AS (  -- per run: the Mann-Whitney AUROC, undefined without both correct and wrong predictions
    SELECT *, CASE WHEN n_correct > 0 AND n_wrong > 0
                   THEN (rank_sum - n_correct * (n_correct + 1) / 2) / (n_correct * n_wrong) END AS auroc
    FROM counted
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
    u.n_correct::BIGINT AS n_correct,   -- correct predictions (the positives)
    u.n_wrong::BIGINT AS n_wrong,       -- wrong predictions (the negatives)
    u.auroc,                            -- P(confidence of a correct > of a wrong one), ties 1/2
    u.run_key                           -- training_run.key of the target run
FROM auc AS u
JOIN target_run AS r ON r.run_key = u.run_key
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack, u.calibration
