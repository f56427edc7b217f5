-- classwise_ece_by_language: how well calibrated is every class probability, not only the top one, per
--   run, language, attack and calibration?
-- Grain: one row per target run x language x attack setting x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width probability bins over [0, 1]
-- Reads: calibrated_prediction, target_run.
-- Definition: classwise-ECE = (1/K) sum_k sum_b (n_kb / n) * |freq_kb - prob_kb| (Kull et al. 2019,
--   "Beyond temperature scaling", section 3.2): for each class k, the softmax probability p_k of logits / T
--   (calibrated_prediction.probabilities) is binned like the confidence in ece_by_language, and compared
--   with how often class k is the gold label in that bin. Each class's term is torchmetrics' binary
--   calibration error of p_k against [label = k].
WITH per_class AS (  -- one row per prediction and class: its probability and whether it is the gold class
    SELECT run_key, split, language, attack, calibration, temperature, temperature_at_bound,
           len(probabilities) AS n_classes,
           unnest(range(len(probabilities))) AS class,
           unnest(probabilities) AS prob,
           label
    FROM calibrated_prediction
),
binned AS (  -- per class and bin: size, gold frequency and mean probability
    SELECT run_key, split, language, attack, calibration, any_value(temperature) AS temperature,
           any_value(temperature_at_bound) AS temperature_at_bound, max(n_classes) AS n_classes, class,
           least(floor(prob * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, avg((label = class)::DOUBLE) AS freq_bin, avg(prob) AS prob_bin
    FROM per_class
    GROUP BY run_key, split, language, attack, calibration, class, bin
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.target,                           -- target task
    r.variant,                          -- run variant ("default": no setting differs between runs)
    r.seed,                             -- training seed
    b.split,                            -- evaluated split
    b.language,                         -- language of the inputs
    b.attack,                           -- attack setting ("none" = clean)
    b.calibration,                      -- "none" or a post-hoc method
    any_value(b.temperature) AS temperature,  -- T applied to the logits
    any_value(b.temperature_at_bound) AS temperature_at_bound,  -- T was fit at or next to its search limit
    (sum(b.n_bin) / max(b.n_classes))::BIGINT AS n,  -- inputs evaluated
    max(b.n_classes) AS classes,        -- K, the number of classes averaged over
    sum(b.n_bin * abs(b.freq_bin - b.prob_bin)) / sum(b.n_bin) AS classwise_ece,  -- mean over classes of per-class ECE
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN target_run AS r ON r.run_key = b.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.target, r.variant, r.seed, b.split, b.language, b.attack, b.calibration
