-- auroc_by_language: how well does the model's confidence tell its correct answers from its errors, per
--   run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters: none.
-- Reads: prediction, training_run, calibration_fit.
-- Definition: area under the ROC curve of max-softmax confidence as a score for "correct" against
--   "wrong" (the misclassification-detection AUROC of Hendrycks & Gimpel 2017), computed as the
--   Mann-Whitney statistic: AUROC = (R - P (P + 1) / 2) / (P N), R the sum of the ranks of the correct
--   predictions among all, P correct and N wrong predictions; tied confidences share their mean rank,
--   which counts a tie as one half (the trapezoidal ROC of torchmetrics' binary_auroc). NULL when every
--   prediction is right or every one is wrong. Temperature scaling never changes the order of
--   confidences, so "temperature" rows repeat "none" up to ties.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
scored AS (  -- per prediction: confidence and correctness
    SELECT p.run_key, p.split, p.language, p.attack, c.method, c.temperature,
           list_max(p.logits)::DOUBLE AS z_max,
           -- 1 / sum_k exp((z_k - z_max) / T): logits[1..3] by plain arithmetic (about twice as fast as a list
           -- lambda, docs/dependencies.md); a lambda adds classes past the third, so any class count works
           1.0 / (exp((p.logits[1]::DOUBLE - z_max) / c.temperature)
                  + exp((p.logits[2]::DOUBLE - z_max) / c.temperature)
                  + coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0)
                  + CASE WHEN len(p.logits) > 3
                         THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                         ELSE 0 END) AS confidence,
           (p.pred_label = p.label)::DOUBLE AS correct
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
levels AS (  -- per distinct confidence: how many predictions share it, and how many of them are correct
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature, confidence,
           count(*) AS n_level, sum(correct) AS correct_level
    FROM scored
    GROUP BY run_key, split, language, attack, method, confidence
),
ranked AS (  -- per level: the mean rank of its predictions (1 = least confident), ties sharing it
    SELECT *, coalesce(sum(n_level) OVER (PARTITION BY run_key, split, language, attack, method ORDER BY confidence
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
              + (n_level + 1) / 2.0 AS mean_rank
    FROM levels
),
counted AS (  -- per run: rank sum of the correct predictions, and the counts of correct and wrong
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature,
           sum(n_level)::BIGINT AS n, sum(correct_level) AS n_correct, sum(n_level) - sum(correct_level) AS n_wrong,
           sum(correct_level * mean_rank) AS rank_sum
    FROM ranked
    GROUP BY run_key, split, language, attack, method
),
auc AS (  -- per run: the Mann-Whitney AUROC, undefined without both correct and wrong predictions
    SELECT *, CASE WHEN n_correct > 0 AND n_wrong > 0
                   THEN (rank_sum - n_correct * (n_correct + 1) / 2) / (n_correct * n_wrong) END AS auroc
    FROM counted
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack ("none" = clean)
    u.method AS calibration,            -- "none" or a post-hoc method
    u.temperature,                      -- T applied to the logits
    u.n,                                -- inputs evaluated
    u.n_correct::BIGINT AS n_correct,   -- correct predictions (the positives)
    u.n_wrong::BIGINT AS n_wrong,       -- wrong predictions (the negatives)
    u.auroc,                            -- P(confidence of a correct > of a wrong one), ties 1/2
    u.run_key                           -- training_run.key of the target run
FROM auc AS u
JOIN training_run AS r ON r.key = u.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, u.split, u.language, u.attack, u.method
