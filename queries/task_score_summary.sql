-- task_score_summary: per intermediate setting, what is each target's XTREME score averaged over its languages,
--   as mean and standard deviation over seeds, and how far from the no-intermediate baseline of the same seed?
-- Grain: one row per base model x intermediate setting x target x run variant x split x attack setting x set of
--   languages.
-- Parameters: none.
-- Reads: the view task_score_vs_baseline (task_score's rows with their baseline_run's score; see
--   task_score_by_language for each metric's definition).
-- Definition: per run, the target's metric averaged over the languages it was evaluated in (XTREME's per-task
--   score, Hu et al. 2020: languages weigh equally); then over the runs that differ only in seed, the mean and
--   the sample standard deviation (n - 1; NULL for one seed). delta: per seed, the mean over the same languages
--   of (score - score of the run's baseline_run, the run with intermediate "none" of the same base model, target,
--   seed and target-phase settings: Phang et al. 2020's comparison); NULL for a seed whose baseline lacks one of
--   the languages. Runs evaluated in different sets of languages are never averaged together.
WITH per_language AS (  -- each run's scores, and its baseline's on the same split, language and attack
    SELECT * FROM task_score_vs_baseline
),
per_run AS (  -- the average over the run's languages
    SELECT base_model, intermediate, target, variant, seed, split, attack, metric, normalization,
           list(language ORDER BY language) AS languages, avg(score) AS score, avg(exact_match) AS exact_match,
           CASE WHEN count(baseline) = count(*) THEN avg(score - baseline) END AS delta
    FROM per_language
    GROUP BY base_model, intermediate, target, variant, seed, split, attack, metric, normalization, run_key
)
SELECT
    base_model,                             -- phase-1 encoder
    intermediate,                           -- intermediate setting
    target,                                 -- target task
    variant,                                -- run variant ("default": no setting differs between runs)
    split,                                  -- evaluated split
    attack,                                 -- attack setting ("none" = clean)
    metric,                                 -- the target's XTREME metric
    normalization,                          -- QA: the official script's answer normalisation
    languages,                              -- the languages averaged
    count(*) AS seeds,                      -- runs (seeds) rolled up
    avg(score) AS mean,                     -- mean over seeds of the language average, 0-100
    stddev_samp(score) AS std,              -- its sample standard deviation over seeds (NULL for one seed)
    avg(exact_match) AS exact_match_mean,   -- QA: the same for exact match
    stddev_samp(exact_match) AS exact_match_std,  -- QA: its standard deviation over seeds
    count(delta) AS paired_seeds,           -- seeds whose baseline has every one of the languages
    avg(delta) AS delta_mean,               -- mean over those seeds of (score - baseline of the same seed)
    stddev_samp(delta) AS delta_std,        -- its sample standard deviation
    list(seed ORDER BY seed) AS seed_list   -- the seeds rolled up
FROM per_run
GROUP BY base_model, intermediate, target, variant, split, attack, metric, normalization, languages
ORDER BY base_model, target, variant, split, attack, intermediate != 'none', intermediate
