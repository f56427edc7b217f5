-- reliability_bins: in each confidence bin, how accurate is the model and how many inputs fall there (the
--   data of a reliability diagram and a confidence histogram), per run, language, attack and calibration?
-- Grain: one row per target run x language x attack x split x calibration method x non-empty confidence bin.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins over [0, 1]
-- Reads: prediction, training_run, calibration_fit.
-- Definition: the bins of ece_by_language: bin b holds confidences in [b/B, (b+1)/B), the last also 1.0
--   (Guo et al. 2017, section 2, "reliability diagrams"; DeGroot & Fienberg 1983). Empty bins have no row.
--   The share-weighted sum of |gap| over a run's bins is its ECE.
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
binned AS (  -- per bin: size, correct predictions and mean confidence; and the run's size
    SELECT run_key, split, language, attack, method, any_value(temperature) AS temperature,
           least(floor(confidence * $n_bins), $n_bins - 1)::INTEGER AS bin,
           count(*) AS n_bin, sum(correct) AS correct_bin, avg(confidence) AS conf_bin,
           sum(count(*)) OVER (PARTITION BY run_key, split, language, attack, method) AS n_run
    FROM scored
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
    b.temperature,                      -- T applied to the logits
    b.bin,                              -- bin index, 0 = least confident
    b.bin / $n_bins AS lower,           -- lower edge of the bin (inclusive)
    (b.bin + 1) / $n_bins AS upper,     -- upper edge (exclusive, but 1.0 belongs to the last bin)
    b.n_bin AS n,                       -- inputs in the bin
    b.correct_bin::BIGINT AS n_correct,  -- correct predictions in the bin
    b.n_bin / b.n_run AS share,         -- share of the run's inputs in the bin
    b.correct_bin / b.n_bin AS accuracy,  -- accuracy in the bin
    b.conf_bin AS confidence,           -- mean confidence in the bin
    b.conf_bin - b.correct_bin / b.n_bin AS gap,  -- confidence minus accuracy (> 0: over-confident)
    b.run_key                           -- training_run.key of the target run
FROM binned AS b
JOIN training_run AS r ON r.key = b.run_key
ORDER BY r.base_model, r.intermediate, r.task, r.seed, b.split, b.language, b.attack, b.method, b.bin
