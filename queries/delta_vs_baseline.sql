-- delta_vs_baseline: does intermediate-task training change accuracy, confidence, over-confidence, ECE, MCE,
--   Brier score or NLL, against the no-intermediate baseline of the same seed, beyond test-set noise?
-- Grain: one row per target run with an intermediate setting x language x attack setting x split x
--   calibration method x metric.
-- Parameters:
--   $n_bins INTEGER in [1, 1000] = 10  number of equal-width confidence bins for ECE and MCE
--   $n_boot INTEGER in [1, 10000] = 1000  bootstrap replicates (the cost grows in proportion: see Cost)
--   $level DOUBLE in (0, 1) = 0.95  coverage of the percentile interval
--   $seed INTEGER in [0, 2147483647] = 0  seed of the resampling (same seed, data and DuckDB version: the same interval, to rounding)
--   $adjust VARCHAR in {holm, bh} = holm  p-value adjustment over the rows of one comparison (see Definition)
-- Reads: calibrated_prediction, target_run, baseline_run, run_calibration; the macros bootstrap_key and bootstrap_weight.
-- Cost: one row per paired input, side and replicate, about 1.2 s per 10 million on 2 cores (50,000 inputs x 200
--   replicates). Efron & Tibshirani 1993 ask for about 1,000 replicates for a percentile interval and 200 for a
--   standard error.
-- Definition: the baseline of a run is its baseline_run: the run with intermediate "none" of the same base
--   model, target, seed and target-phase settings (the comparison of Phang et al. 2020). On the inputs both
--   predicted (joined on example_id, so a perturbed input is compared with the same perturbed input), each
--   metric as in metrics_over_seeds for both runs, and delta = run - baseline. A paired Poisson bootstrap over
--   inputs (as in metrics_bootstrap: both runs get the same weight for the same input in a replicate) gives
--   the percentile interval of delta and a two-sided bootstrap p-value, 2 * min(share of replicate deltas
--   <= 0, share >= 0), capped at 1. Post-hoc calibration compares like with like: each run with its own
--   fitted temperature.
--   Testing every language, target and attack setting separately makes some small p-values likely by chance
--   alone, so p_adjusted adjusts p_value over the rows of one comparison: one base model, intermediate
--   setting, run variant, split, calibration method and metric, across seeds, targets, languages and attack
--   settings. "holm": Holm's step-down adjustment, which bounds the chance of any false rejection (Holm 1979,
--   "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6:65-70); "bh":
--   Benjamini & Hochberg's step-up adjustment, which bounds the expected share of false rejections (1995,
--   "Controlling the false discovery rate", J. R. Statist. Soc. B 57:289-300). Both as
--   statsmodels.stats.multitest.multipletests computes them ("holm", "fdr_bh").
WITH scored AS (  -- per prediction: confidence bin, correctness, confidence, Brier score, NLL, and its draw key
    SELECT run_key, split, language, attack, calibration, example_id, correct::DOUBLE AS correct, confidence,
           least(floor(confidence * $n_bins), $n_bins - 1) AS bin, brier, nll,
           bootstrap_key($seed, split, language, attack, example_id) AS draw_key
    FROM calibrated_prediction
),
pairs AS (  -- every target run with an intermediate setting, and its baseline run
    SELECT b.run_key, b.baseline_key
    FROM baseline_run AS b
    WHERE b.run_key <> b.baseline_key
),
matched AS (  -- inputs that both runs predicted, with both runs' scores
    SELECT pr.run_key, pr.baseline_key, x.split, x.language, x.attack, x.calibration, x.example_id, x.draw_key,
           x.bin AS x_bin, x.correct AS x_correct, x.confidence AS x_confidence, x.brier AS x_brier, x.nll AS x_nll,
           y.bin AS y_bin, y.correct AS y_correct, y.confidence AS y_confidence, y.brier AS y_brier, y.nll AS y_nll
    FROM pairs AS pr
    JOIN scored AS x ON x.run_key = pr.run_key
    JOIN scored AS y
      ON y.run_key = pr.baseline_key AND y.split = x.split AND y.language = x.language AND y.attack = x.attack
     AND y.calibration = x.calibration AND y.example_id = x.example_id
),
sides AS (  -- the same inputs twice: once as the run scored them, once as its baseline did
    SELECT run_key, split, language, attack, calibration, draw_key, 'run' AS side,
           x_bin AS bin, x_correct AS correct, x_confidence AS confidence, x_brier AS brier, x_nll AS nll
    FROM matched
    UNION ALL
    SELECT run_key, split, language, attack, calibration, draw_key, 'baseline' AS side,
           y_bin, y_correct, y_confidence, y_brier, y_nll
    FROM matched
),
weighted AS (  -- per input, side and replicate: its Poisson(1) weight, the same on both sides; replicate -1 is
               -- the sample itself (weight 1)
    SELECT s.*, r.replicate, bootstrap_weight(s.draw_key, r.replicate) AS w
    FROM sides AS s
    CROSS JOIN range(-1, $n_boot) AS r(replicate)
),
binned AS (  -- per side, replicate and bin: weighted size and sums
    SELECT run_key, split, language, attack, calibration, side, replicate, bin,
           sum(w) AS n_bin, sum(w * correct) AS correct_bin, sum(w * confidence) AS conf_bin,
           sum(w * brier) AS brier_bin, sum(w * nll) AS nll_bin
    FROM weighted
    WHERE w > 0
    GROUP BY run_key, split, language, attack, calibration, side, replicate, bin
),
per_replicate AS (  -- per side and replicate: every metric
    SELECT run_key, split, language, attack, calibration, side, replicate,
           sum(correct_bin) / sum(n_bin) AS accuracy,
           sum(conf_bin) / sum(n_bin) AS confidence,
           (sum(conf_bin) - sum(correct_bin)) / sum(n_bin) AS overconfidence,
           sum(abs(correct_bin - conf_bin)) / sum(n_bin) AS ece,
           max(abs(correct_bin - conf_bin) / n_bin) AS mce,
           sum(brier_bin) / sum(n_bin) AS brier,
           sum(nll_bin) / sum(n_bin) AS nll
    FROM binned
    GROUP BY run_key, split, language, attack, calibration, side, replicate
),
long AS (  -- one row per side, replicate and metric
    UNPIVOT per_replicate ON accuracy, confidence, overconfidence, ece, mce, brier, nll INTO NAME metric VALUE value
),
differences AS (  -- per replicate and metric: the run's value, the baseline's, and their difference
    SELECT run_key, split, language, attack, calibration, metric, replicate,
           any_value(value) FILTER (WHERE side = 'run') AS value,
           any_value(value) FILTER (WHERE side = 'baseline') AS baseline,
           any_value(value) FILTER (WHERE side = 'run') - any_value(value) FILTER (WHERE side = 'baseline') AS delta
    FROM long
    GROUP BY run_key, split, language, attack, calibration, metric, replicate
),
summary AS (  -- per run and metric: the estimates, the percentile interval and the p-value of the difference
    SELECT run_key, split, language, attack, calibration, metric,
           any_value(value) FILTER (WHERE replicate < 0) AS value,
           any_value(baseline) FILTER (WHERE replicate < 0) AS baseline,
           any_value(delta) FILTER (WHERE replicate < 0) AS delta,
           quantile_cont(delta, (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_low,
           quantile_cont(delta, 1 - (1 - $level) / 2) FILTER (WHERE replicate >= 0) AS ci_high,
           least(1.0, 2 * least(avg((delta <= 0)::DOUBLE) FILTER (WHERE replicate >= 0),
                                avg((delta >= 0)::DOUBLE) FILTER (WHERE replicate >= 0))) AS p_value,
           count(*) FILTER (WHERE replicate >= 0) AS replicates
    FROM differences
    GROUP BY run_key, split, language, attack, calibration, metric
),
sizes AS (  -- per run: paired inputs and its baseline
    SELECT run_key, split, language, attack, calibration, count(*) AS n, any_value(baseline_key) AS baseline_key
    FROM matched
    GROUP BY run_key, split, language, attack, calibration
),
family AS (  -- each row with its comparison (the family its p-value is adjusted in), ranked by p-value
    SELECT m.*, z.n, z.baseline_key, r.base_model, r.intermediate, r.target, r.variant, r.seed,
           cx.temperature_at_bound OR cb.temperature_at_bound AS temperature_at_bound,
           count(m.p_value) OVER comparison AS family_size,
           row_number() OVER (comparison ORDER BY m.p_value) AS p_rank
    FROM summary AS m
    JOIN sizes AS z USING (run_key, split, language, attack, calibration)
    JOIN target_run AS r ON r.run_key = m.run_key
    JOIN run_calibration AS cx  -- the fits the two runs' rows used, for their flags
      ON cx.run_key = m.run_key AND cx.calibration = m.calibration AND (cx.language IS NULL OR cx.language = m.language)
    JOIN run_calibration AS cb
      ON cb.run_key = z.baseline_key AND cb.calibration = m.calibration
     AND (cb.language IS NULL OR cb.language = m.language)
    WINDOW comparison AS (PARTITION BY r.base_model, r.intermediate, r.variant, m.split, m.calibration, m.metric)
),
adjusted AS (  -- Holm: max over smaller p of min(1, (m - i + 1) p_(i)); BH: min over larger p of min(1, m p_(i) / i)
    SELECT *,
           CASE WHEN p_value IS NULL THEN NULL
                WHEN $adjust = 'holm' THEN max(least(1.0, (family_size - p_rank + 1) * p_value)) OVER (
                    PARTITION BY base_model, intermediate, variant, split, calibration, metric ORDER BY p_rank
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                WHEN $adjust = 'bh' THEN min(least(1.0, family_size * p_value / p_rank)) OVER (
                    PARTITION BY base_model, intermediate, variant, split, calibration, metric ORDER BY p_rank
                    ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
                ELSE error('adjust must be holm or bh, got ' || $adjust)
           END AS p_adjusted
    FROM family
)
SELECT
    a.base_model,                       -- phase-1 encoder
    a.intermediate,                     -- intermediate setting compared with "none"
    a.target,                           -- target task
    a.variant,                          -- run variant, shared with the baseline ("default": none differs)
    a.seed,                             -- training seed, shared with the baseline
    a.split,                            -- evaluated split
    a.language,                         -- language of the inputs
    a.attack,                           -- attack setting ("none" = clean)
    a.calibration,                      -- "none" or a post-hoc method (each run with its own fit)
    a.temperature_at_bound,             -- the run's or the baseline's T was fit at or next to its search limit
    a.metric,                           -- accuracy, confidence, overconfidence, ece, mce, brier or nll
    a.n,                                -- inputs both runs predicted
    a.value,                            -- the metric for the run with the intermediate setting
    a.baseline,                         -- the metric for the no-intermediate baseline
    a.delta,                            -- value - baseline
    a.ci_low,                           -- lower end of the paired bootstrap interval of delta
    a.ci_high,                          -- upper end of the paired bootstrap interval of delta
    a.p_value,                          -- two-sided paired bootstrap p-value of delta = 0, unadjusted
    a.p_adjusted,                       -- p_value adjusted over the rows of its comparison (see adjustment)
    $adjust AS adjustment,              -- how: holm (Holm 1979) or bh (Benjamini & Hochberg 1995)
    a.family_size,                      -- rows of the comparison with a p-value: what p_adjusted adjusts for
    a.replicates,                       -- replicates used
    a.run_key,                          -- training_run.key of the run
    a.baseline_key                      -- training_run.key of its baseline
FROM adjusted AS a
ORDER BY a.base_model, a.target, a.intermediate, a.variant, a.seed, a.split, a.language, a.attack, a.calibration,
         a.metric
