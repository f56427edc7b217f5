-- xtreme_score: per intermediate setting, what is the XTREME benchmark average over the targets present, as mean
--   and standard deviation over seeds, how far from the no-intermediate baseline, and which targets are missing?
-- Grain: one row per base model x intermediate setting x run variant x set of targets.
-- Parameters:
--   $split VARCHAR = test  the evaluated split averaged
-- Reads: the view task_score_vs_baseline (task_score's rows with their baseline_run's score; see
--   task_score_by_language for each metric's definition).
-- Definition: the XTREME leaderboard's average (Hu et al. 2020, section 3): each target's metric averaged over its
--   languages first (F1 for the QA targets), then the average over targets, on clean inputs; per seed, then the
--   mean and sample standard deviation over seeds. delta: per seed, the mean over the same targets of the
--   per-target difference from the run's baseline_run (intermediate "none", same base model, target, seed and
--   target-phase settings; Phang et al. 2020), NULL for a seed whose baseline lacks a target or a language. Seeds
--   with different sets of targets are never averaged together. targets_missing names XTREME's nine targets
--   (XNLI, PAWS-X, UD POS, PAN-X, BUCC, Tatoeba, XQuAD, MLQA, TyDi QA GoldP) that the average does not cover; a
--   target outside XTREME (a demo task) is averaged like the others and listed in targets.
WITH per_language AS (  -- each run's clean scores, and its baseline's on the same language
    SELECT * FROM task_score_vs_baseline WHERE split = $split AND attack = 'none'
),
per_target AS (  -- per run: its target's average over languages, and the difference from its baseline's
    SELECT base_model, intermediate, variant, seed, target, avg(score) AS score,
           CASE WHEN count(baseline) = count(*) THEN avg(score - baseline) END AS delta
    FROM per_language
    GROUP BY base_model, intermediate, variant, seed, target, run_key
),
per_seed AS (  -- per setting and seed: the average over its targets
    SELECT base_model, intermediate, variant, seed, list(target ORDER BY target) AS targets, avg(score) AS score,
           CASE WHEN count(delta) = count(*) THEN avg(delta) END AS delta
    FROM per_target
    GROUP BY base_model, intermediate, variant, seed
),
missing AS (  -- XTREME's nine targets as the catalogue names them (Hu et al. 2020, Table 1), less those averaged
    SELECT DISTINCT targets,
           list_filter(['bucc2018', 'mlqa', 'panx', 'pawsx', 'tatoeba', 'tydiqa', 'udpos', 'xnli', 'xquad'],
                       lambda x: NOT list_contains(targets, x)) AS targets_missing
    FROM per_seed
)
SELECT
    s.base_model,                           -- phase-1 encoder
    s.intermediate,                         -- intermediate setting
    s.variant,                              -- run variant
    s.targets,                              -- the targets averaged
    m.targets_missing,                      -- XTREME targets the average does not cover
    count(*) AS seeds,                      -- seeds rolled up
    avg(s.score) AS mean,                   -- mean over seeds of the average over targets, 0-100
    stddev_samp(s.score) AS std,            -- its sample standard deviation (NULL for one seed)
    count(s.delta) AS paired_seeds,         -- seeds whose baseline has every target and language
    avg(s.delta) AS delta_mean,             -- mean over those seeds of (average - baseline's average)
    stddev_samp(s.delta) AS delta_std,      -- its sample standard deviation
    list(s.seed ORDER BY s.seed) AS seed_list  -- the seeds rolled up
FROM per_seed AS s
JOIN missing AS m USING (targets)
GROUP BY s.base_model, s.intermediate, s.variant, s.targets, m.targets_missing
ORDER BY s.base_model, s.variant, s.intermediate != 'none', s.intermediate, len(s.targets) DESC
