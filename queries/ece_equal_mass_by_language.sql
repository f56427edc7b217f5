-- ece_equal_mass_by_language: how well calibrated is the model when every bin holds as many predictions,
--   per run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-mass confidence bins
-- Reads: prediction, training_run, calibration_fit.
-- Definition: ECE = sum_b (n_b / n) * |accuracy_b - confidence_b| (Guo et al. 2017, eq. 3) over bins of
--   equal size instead of equal width: the "ECE_EM" of Roelofs et al. 2022 ("Mitigating bias in calibration
--   error estimation"), the binning of Nixon et al. 2019's adaptive calibration error. Predictions sorted
--   by confidence (ties by example_id, so the split is deterministic) are cut by ntile: with n = q*B + r,
--   the first r bins hold q + 1 predictions, the rest q (numpy.array_split does the same). Confidence is
--   the max softmax probability of logits / T as in ece_by_language.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
scored AS (  -- per prediction: confidence and correctness
    SELECT p.run_key, p.split, p.language, p.attack, p.example_id, c.method, c.temperature,
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
ranked AS (  -- per prediction: its equal-mass bin within its run, split, language, attack and method
    SELECT *, ntile($n_bins) OVER (PARTITION BY run_key, split, language, attack, method
                                   ORDER BY confidence, example_id) AS bin
    FROM scored
),
binned AS (  -- per bin: size, accuracy and mean confidence
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature, bin,
           count(*) AS n_bin, avg(correct) AS acc_bin, avg(confidence) AS conf_bin
    FROM ranked
    GROUP BY run_key, split, language, attack, method, bin
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
    sum(b.n_bin)::BIGINT AS n,          -- inputs evaluated
    count(*) AS bins,                   -- non-empty bins (fewer than n_bins when n < n_bins)
    sum(b.n_bin * abs(b.acc_bin - b.conf_bin)) / sum(b.n_bin) AS ece_equal_mass,  -- ECE over equal-mass bins
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN training_run AS r ON r.key = b.run_key
GROUP BY ALL
ORDER BY r.base_model, r.intermediate, r.task, r.seed, b.split, b.language, b.attack, b.method
