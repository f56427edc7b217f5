-- ece_by_language: how well calibrated is the model, per run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins over [0, 1]
-- Reads: prediction, training_run, calibration_fit.
-- Definition: expected calibration error, ECE = sum_b (n_b / n) * |accuracy_b - confidence_b| over
--   equal-width confidence bins (Guo et al. 2017, eq. 3; Naeini et al. 2015). Bin b holds the
--   confidences in [b/B, (b+1)/B), the last bin also 1.0, as torchmetrics' bucketize(right=True)
--   bins them; confidence is the max softmax probability of logits / T (T = 1 for "none", fitted on
--   English dev for "temperature", on the row's own language's dev set for "temperature-oracle").
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
binned AS (  -- per bin: size, accuracy and mean confidence
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, avg(correct) AS acc_bin, avg(confidence) AS conf_bin
    FROM scored
    GROUP BY ALL
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
    sum(b.n_bin) AS n,                  -- inputs evaluated
    sum(b.n_bin * abs(b.acc_bin - b.conf_bin)) / sum(b.n_bin) AS ece,  -- expected calibration error
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN training_run AS r ON r.key = b.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.task, r.seed, b.split, b.language, b.attack, b.method
