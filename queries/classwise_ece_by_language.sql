-- classwise_ece_by_language: how well calibrated is every class probability, not only the top one, per
--   run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width probability bins over [0, 1]
-- Reads: prediction, training_run, calibration_fit.
-- Definition: classwise-ECE = (1/K) sum_k sum_b (n_kb / n) * |freq_kb - prob_kb| (Kull et al. 2019,
--   "Beyond temperature scaling", section 3.2): for each class k, the softmax probability p_k of logits / T
--   is binned like the confidence in ece_by_language, and compared with how often class k is the gold
--   label in that bin. Each class's term is torchmetrics' binary calibration error of p_k against
--   [label = k].
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
unnormalised AS (  -- per prediction: exp((z_k - max z) / T) for every class, as a list
    SELECT p.run_key, p.split, p.language, p.attack, c.method, c.temperature, p.label,
           list_max(p.logits)::DOUBLE AS z_max,
           list_transform(p.logits, lambda z: exp((z::DOUBLE - z_max) / c.temperature)) AS e
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
per_class AS (  -- one row per prediction and class: its probability and whether it is the gold class
    SELECT run_key, split, language, attack, method, temperature, len(e) AS n_classes,
           unnest(range(len(e))) AS class,
           unnest(e) / list_sum(e) AS prob,
           label
    FROM unnormalised
),
binned AS (  -- per class and bin: size, gold frequency and mean probability
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature,
           max(n_classes) AS n_classes, class,
           least(floor(prob * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, avg((label = class)::DOUBLE) AS freq_bin, avg(prob) AS prob_bin
    FROM per_class
    GROUP BY run_key, split, language, attack, method, class, bin
)
SELECT
    r.base_model,                       -- phase-1 encoder
    r.intermediate,                     -- intermediate setting
    r.task AS target,                   -- target task
    r.seed,                             -- training seed
    b.split,                            -- evaluated split
    b.language,                         -- language of the inputs
    b.attack,                           -- attack ("none" = clean)
    b.method AS calibration,            -- "none" or a post-hoc method
    any_value(b.temperature) AS temperature,  -- T applied to the logits
    (sum(b.n_bin) / max(b.n_classes))::BIGINT AS n,  -- inputs evaluated
    max(b.n_classes) AS classes,        -- K, the number of classes averaged over
    sum(b.n_bin * abs(b.freq_bin - b.prob_bin)) / sum(b.n_bin) AS classwise_ece,  -- mean over classes of per-class ECE
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN training_run AS r ON r.key = b.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.task, r.seed, b.split, b.language, b.attack, b.method
