-- calibration_summary: per intermediate setting, how accurate, confident and calibrated is each language,
--   clean and attacked, before and after post-hoc calibration? (the demo's result table)
-- Grain: one row per base model x intermediate setting x target x split x language x attack x
--   calibration method, averaged over seeds.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE
-- Reads: prediction, training_run, calibration_fit.
-- Definition: per run as in accuracy_by_language, confidence_by_language and ece_by_language (ECE:
--   Guo et al. 2017, eq. 3, bins [b/B, (b+1)/B)); then the mean over seeds.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
scored AS (  -- per prediction: confidence and correctness
    SELECT p.run_key, p.split, p.language, p.attack, c.method,
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
binned AS (  -- per run and bin: size, accuracy and mean confidence
    SELECT run_key, split, language, attack, method,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, avg(correct) AS acc_bin, avg(confidence) AS conf_bin
    FROM scored
    GROUP BY ALL
),
per_run AS (  -- per run: accuracy, confidence and ECE
    SELECT run_key, split, language, attack, method,
           sum(n_bin) AS n,
           sum(n_bin * acc_bin) / sum(n_bin) AS accuracy,
           sum(n_bin * conf_bin) / sum(n_bin) AS confidence,
           sum(n_bin * abs(acc_bin - conf_bin)) / sum(n_bin) AS ece
    FROM binned
    GROUP BY ALL
)
SELECT
    r.base_model,                                   -- phase-1 encoder
    r.intermediate,                                 -- intermediate setting
    r.task AS target,                               -- target task
    u.split,                                        -- evaluated split
    u.language,                                     -- language of the inputs
    u.attack,                                       -- attack ("none" = clean)
    u.method AS calibration,                        -- "none" or a post-hoc method
    count(*) AS seeds,                              -- runs averaged
    round(avg(u.accuracy), 4) AS accuracy,          -- mean accuracy over seeds
    round(avg(u.confidence), 4) AS confidence,      -- mean max-softmax probability over seeds
    round(avg(u.ece), 4) AS ece,                    -- mean ECE over seeds
    round(avg(u.confidence - u.accuracy), 4) AS overconfidence  -- confidence minus accuracy
FROM per_run AS u
JOIN training_run AS r ON r.key = u.run_key
GROUP BY ALL
ORDER BY r.base_model, r.task, u.split, r.intermediate, u.attack, u.method, u.language
