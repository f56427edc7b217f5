-- best_intermediate: which intermediate setting would a researcher pick for each target without target-language
--   labels (the best on English dev), how does it score on the target's test languages, and which setting is
--   best in hindsight (the oracle, chosen on the target test scores themselves)?
-- Grain: one row per base model x target x run variant x selection rule (english-dev, oracle).
-- Parameters:
--   $split VARCHAR = test  the split the choice is reported on, and the oracle chooses on
-- Reads: the view task_score_vs_baseline (task_score's rows with their baseline_run's score; see
--   task_score_by_language for each metric's definition).
-- Definition: zero-shot cross-lingual transfer allows choices on English data only (Hu et al. 2020, section 4;
--   Phang et al. 2020 select on English dev): "english-dev" takes the intermediate setting ("none" included) with
--   the highest mean over seeds of the target's clean English dev score; "oracle" the one with the highest mean
--   over seeds of the clean $split score averaged over languages, an upper bound no zero-shot method can claim.
--   Ties go to the setting first in alphabetical order. A target with no English dev predictions has no
--   "english-dev" row.
--   score_mean / score_std: the chosen setting's $split score (per seed averaged over languages, then mean and
--   sample standard deviation over seeds); delta_mean: the mean over seeds of its difference from the baseline
--   of the same seed on the same languages.
WITH clean AS (
    SELECT * FROM task_score_vs_baseline WHERE attack = 'none'
),
per_run AS (  -- per run: its $split score averaged over languages, and its English dev score
    SELECT base_model, target, variant, intermediate, seed,
           avg(score) FILTER (WHERE split = $split) AS score,
           CASE WHEN count(baseline) FILTER (WHERE split = $split) = count(*) FILTER (WHERE split = $split)
                THEN avg(score - baseline) FILTER (WHERE split = $split) END AS delta,
           list(language ORDER BY language) FILTER (WHERE split = $split) AS languages,
           avg(score) FILTER (WHERE split = 'dev' AND language = 'en') AS english_dev
    FROM clean
    GROUP BY base_model, target, variant, intermediate, seed, run_key
),
per_setting AS (  -- per intermediate setting: means over seeds
    SELECT base_model, target, variant, intermediate, count(*) AS seeds, avg(score) AS score_mean,
           stddev_samp(score) AS score_std, avg(delta) AS delta_mean, avg(english_dev) AS english_dev_mean,
           any_value(languages) AS languages
    FROM per_run
    GROUP BY base_model, target, variant, intermediate
),
ranked AS (
    SELECT 'english-dev' AS rule, *, english_dev_mean AS chosen_on,
           row_number() OVER (PARTITION BY base_model, target, variant ORDER BY english_dev_mean DESC, intermediate) AS rank
    FROM per_setting
    WHERE english_dev_mean IS NOT NULL
    UNION ALL
    SELECT 'oracle', *, score_mean,
           row_number() OVER (PARTITION BY base_model, target, variant ORDER BY score_mean DESC, intermediate)
    FROM per_setting
    WHERE score_mean IS NOT NULL
)
SELECT
    base_model,             -- phase-1 encoder
    target,                 -- target task
    variant,                -- run variant
    rule,                   -- english-dev (zero-shot choice) or oracle (chosen on the target's own $split scores)
    intermediate,           -- the setting chosen
    chosen_on,              -- the score it was chosen on (English dev, or the $split average), 0-100
    score_mean,             -- its $split score averaged over languages, mean over seeds, 0-100
    score_std,              -- its sample standard deviation over seeds
    delta_mean,             -- mean over seeds of its difference from the no-intermediate baseline
    languages,              -- the languages of the $split average
    seeds                   -- seeds of the chosen setting
FROM ranked
WHERE rank = 1
ORDER BY base_model, target, variant, rule
