-- metrics_over_seeds: per intermediate setting, what are accuracy, confidence, over-confidence, ECE, MCE,
--   Brier score and NLL as mean and standard deviation over seeds, and how far from the no-intermediate
--   baseline of the same seed?
-- Grain: one row per base model x intermediate setting x target x split x language x attack x calibration
--   method x metric.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE and MCE
-- Reads: prediction, training_run, calibration_fit.
-- Definition: per run, each metric as in its own query (accuracy_by_language, confidence_by_language,
--   overconfidence_by_language, ece_by_language, mce_by_language, brier_by_language, nll_by_language);
--   then over the runs that differ only in seed: the mean, the sample standard deviation (n - 1; NULL for
--   one seed), and the same for the paired difference from the run with intermediate "none" of the same
--   base model, target, seed and hyperparameters (STILTs' comparison, Phang et al. 2020). The baseline's
--   own rows have a difference of 0.
WITH calibration AS (  -- T per run: 1 for "none"; a fitted T applies to every language, an oracle T to its own only
    SELECT key AS run_key, 'none' AS method, NULL::VARCHAR AS language, 1.0::DOUBLE AS temperature
    FROM training_run WHERE phase = 'target'
    UNION ALL
    SELECT run_key, method, CASE WHEN method = 'temperature-oracle' THEN fit_language END, temperature
    FROM calibration_fit
),
softmax AS (  -- per prediction: e_k = exp((z_k - max z) / T); logits[1..3] by plain arithmetic (about twice as
              -- fast as a list lambda, docs/dependencies.md), classes past the third by a lambda
    SELECT p.run_key, p.split, p.language, p.attack, c.method,
           (p.pred_label = p.label)::DOUBLE AS correct,
           list_max(p.logits)::DOUBLE AS z_max,
           exp((p.logits[1]::DOUBLE - z_max) / c.temperature) AS e1,
           exp((p.logits[2]::DOUBLE - z_max) / c.temperature) AS e2,
           coalesce(exp((p.logits[3]::DOUBLE - z_max) / c.temperature), 0) AS e3,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp((z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest,
           CASE WHEN len(p.logits) > 3
                THEN list_sum(list_transform(p.logits[4:], lambda z: exp(2 * (z::DOUBLE - z_max) / c.temperature)))
                ELSE 0 END AS e_rest_squared,
           (p.logits[p.label + 1]::DOUBLE - z_max) / c.temperature AS z_gold
    FROM prediction AS p
    JOIN calibration AS c ON c.run_key = p.run_key AND (c.language IS NULL OR c.language = p.language)
),
scored AS (  -- per prediction: confidence, correctness, Brier score and NLL
    SELECT run_key, split, language, attack, method, correct,
           e1 + e2 + e3 + e_rest AS sum_exp,
           1.0 / sum_exp AS confidence,
           (e1 * e1 + e2 * e2 + e3 * e3 + e_rest_squared) / (sum_exp * sum_exp) - 2 * exp(z_gold) / sum_exp + 1 AS brier,
           ln(sum_exp) - z_gold AS nll
    FROM softmax
),
binned AS (  -- per equal-width bin: size and the sums of correctness, confidence, Brier score and NLL
    SELECT run_key, split, language, attack, method,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin,
           count(*) AS n_bin, sum(correct) AS correct_bin, sum(confidence) AS conf_bin,
           sum(brier) AS brier_bin, sum(nll) AS nll_bin
    FROM scored
    GROUP BY ALL
),
per_run AS (  -- per run: every metric
    SELECT run_key, split, language, attack, method,
           sum(correct_bin) / sum(n_bin) AS accuracy,
           sum(conf_bin) / sum(n_bin) AS confidence,
           (sum(conf_bin) - sum(correct_bin)) / sum(n_bin) AS overconfidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece,
           max(abs(correct_bin - conf_bin) / n_bin) AS mce,
           sum(brier_bin) / sum(n_bin) AS brier,
           sum(nll_bin) / sum(n_bin) AS nll
    FROM binned
    GROUP BY run_key, split, language, attack, method
),
long AS (  -- one row per run and metric
    UNPIVOT per_run ON accuracy, confidence, overconfidence, ece, mce, brier, nll INTO NAME metric VALUE value
),
runs AS (  -- each run's metric with its setting, and the same metric of its no-intermediate baseline
    SELECT r.base_model, r.intermediate, r.task AS target, r.seed, l.split, l.language, l.attack, l.method,
           l.metric, l.value, bl.value AS baseline
    FROM long AS l
    JOIN training_run AS r ON r.key = l.run_key
    LEFT JOIN training_run AS b
      ON b.phase = 'target' AND b.intermediate = 'none' AND b.base_model = r.base_model AND b.task = r.task
     AND b.seed = r.seed AND b.hparams::VARCHAR = r.hparams::VARCHAR
    LEFT JOIN long AS bl
      ON bl.run_key = b.key AND bl.split = l.split AND bl.language = l.language AND bl.attack = l.attack
     AND bl.method = l.method AND bl.metric = l.metric
)
SELECT
    u.base_model,                       -- phase-1 encoder
    u.intermediate,                     -- intermediate setting
    u.target,                           -- target task
    u.split,                            -- evaluated split
    u.language,                         -- language of the inputs
    u.attack,                           -- attack ("none" = clean)
    u.method AS calibration,            -- "none" or a post-hoc method
    u.metric,                           -- accuracy, confidence, overconfidence, ece, mce, brier or nll
    count(*) AS seeds,                  -- runs (seeds) rolled up
    avg(u.value) AS mean,               -- mean over seeds
    stddev_samp(u.value) AS std,        -- sample standard deviation over seeds (NULL for one seed)
    min(u.value) AS min,                -- smallest value over seeds
    max(u.value) AS max,                -- largest value over seeds
    count(u.baseline) AS paired_seeds,  -- seeds that also have a no-intermediate baseline run
    avg(u.value - u.baseline) AS delta_mean,  -- mean over seeds of (value - baseline of the same seed)
    stddev_samp(u.value - u.baseline) AS delta_std,  -- its sample standard deviation
    list(u.seed ORDER BY u.seed) AS seed_list  -- the seeds rolled up
FROM runs AS u
GROUP BY ALL
ORDER BY u.base_model, u.target, u.split, u.metric, u.attack, u.method, u.intermediate, u.language
