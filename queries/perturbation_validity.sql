-- perturbation_validity: do the stored perturbations keep their meaning, per attack setting and language?
-- Grain: one row per attack setting (attack, version, protocol, parameters) x task x split x language.
-- Parameters: none.
-- Reads: perturbation, example, cell, attack_setting.
-- Definition: a perturbation changed the text when a field differs from the example's. It touched
--   negation when the negation markers of the perturbed text (runners/attacks/negation.py, stored in
--   negations_after) differ from those of the original (negations): deleted, altered or created. Every
--   attack rejects such candidates, so 0 is expected; rows from before migration 6 have no markers and are
--   counted as unchecked. The similarity is the cosine similarity of mean-pooled encoder states of original
--   and perturbed text (runners/attacks/meaning.py), over changed texts of cells that set a threshold
--   (A2T's 0.9 by default for the victim attacks, Yoo & Qi 2021); below_threshold is expected to be 0.
--   Edits per input are over changed texts. Rejections are the candidates each constraint turned down
--   (victim attacks) or the draws made again (noise attacks).
WITH labels AS (  -- each perturb cell's attack setting as the prediction queries label it (the attack_setting table)
    SELECT perturb_key, min(attack) AS setting FROM attack_setting GROUP BY perturb_key
),
attempts AS (  -- one row per stored attempt, with its setting and whether it changed the text
    SELECT coalesce(l.setting, p.attack) AS setting, p.attack, p.attack_version, coalesce(c.params->>'protocol', 'model-independent') AS protocol,
           p.params::VARCHAR AS params, e.task, e.split, p.language, p.outcome, p.words_changed, p.chars_changed,
           p.similarity, (p.params->>'similarity_threshold')::DOUBLE AS threshold,
           p.text_a <> e.text_a OR p.text_b IS DISTINCT FROM e.text_b AS changed,
           json_array_length(p.negations) > 0 AS with_negation, p.negations IS NULL AS unchecked,
           p.negations IS NOT NULL AND p.negations_after IS DISTINCT FROM p.negations AS touched,
           coalesce((p.rejected->>'negation')::BIGINT, 0) AS rejected_negation,
           coalesce((p.rejected->>'similarity')::BIGINT, 0) AS rejected_similarity
    FROM perturbation AS p
    JOIN example AS e ON e.id = p.example_id
    LEFT JOIN cell AS c ON c.key = p.cell_key
    LEFT JOIN labels AS l ON l.perturb_key = p.cell_key
)
SELECT
    setting,                                       -- attack setting, as the prediction queries' attack column names it
    attack,                                        -- attack
    attack_version,                                -- its catalogue version
    protocol,                                      -- model-independent, transfer or per-victim
    params,                                        -- budget, seed and constraint settings (JSON)
    task,                                          -- task of the inputs
    split,                                         -- split of the inputs
    language,                                      -- language of the inputs
    count(*) AS n,                                 -- stored attempts
    count(*) FILTER (WHERE outcome <> 'skipped') AS attacked,  -- attempts not skipped (victim right when clean)
    count(*) FILTER (WHERE changed) AS changed,    -- attempts whose text differs from the original
    count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded,  -- attempts that flipped the victim
    count(*) FILTER (WHERE with_negation) AS with_negation,  -- originals that hold negation
    count(*) FILTER (WHERE touched) AS negation_touched,  -- perturbed texts whose negation differs: 0 expected
    count(*) FILTER (WHERE unchecked) AS unchecked,  -- attempts stored before negation was recorded
    any_value(threshold) AS similarity_threshold,  -- the setting's similarity threshold (0: not checked)
    count(similarity) FILTER (WHERE changed) AS with_similarity,  -- changed texts with a stored similarity
    count(*) FILTER (WHERE changed AND similarity < threshold) AS below_threshold,  -- 0 expected
    min(similarity) FILTER (WHERE changed) AS similarity_min,  -- smallest similarity of a changed text
    quantile_cont(similarity, 0.05) FILTER (WHERE changed) AS similarity_p05,  -- its 5th percentile
    median(similarity) FILTER (WHERE changed) AS similarity_median,  -- its median
    avg(similarity) FILTER (WHERE changed) AS similarity_mean,  -- its mean
    avg(words_changed) FILTER (WHERE changed) AS words_per_input,  -- mean words edited per changed input
    avg(chars_changed) FILTER (WHERE changed) AS chars_per_input,  -- mean characters edited per changed input
    max(words_changed) AS words_max,               -- most words edited in one input
    sum(rejected_negation) AS rejected_negation,  -- candidates rejected for touching negation
    sum(rejected_similarity) AS rejected_similarity  -- candidates rejected for meaning
FROM attempts
GROUP BY setting, attack, attack_version, protocol, params, task, split, language
ORDER BY setting, attack, attack_version, protocol, params, task, split, language
