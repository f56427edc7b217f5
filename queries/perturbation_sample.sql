-- perturbation_sample: which perturbations should people judge? A seeded random sample per attack setting
--   and language, with the original, the perturbed text and the gold label, for `xstore annotate import`.
-- Grain: one row per sampled perturbation; at most $n per attack setting x task x split x language.
-- Parameters:
--   $n INTEGER in [1, 100000] = 50  perturbations per attack setting and language
--   $seed INTEGER in [0, 2147483647] = 0  the sample's seed: the same seed gives the same sample on any machine
--   $attack VARCHAR = all  an attack setting (as the prediction queries label it), an attack (all its settings), or all
-- Reads: perturbation, example, task, cell, attack_setting.
-- Definition: the candidates are the perturbations that count as attacks on the gold label: changed text
--   and outcome succeeded (victim attacks) or perturbed (noise attacks). Each is ranked by md5 of its id and
--   the seed, a stable hash, so the sample does not depend on DuckDB's random generator or on row order,
--   and a larger $n extends a smaller sample. label_holds, annotator and note are left empty for the
--   annotator: label_holds is yes, no or unsure (does the gold label still hold for the perturbed text?).
WITH labels AS (  -- each perturb cell's attack setting as the prediction queries label it (the attack_setting table)
    SELECT perturb_key, min(attack) AS setting FROM attack_setting GROUP BY perturb_key
),
candidates AS (  -- successful perturbations with their setting, original text and gold label
    SELECT p.id, coalesce(l.setting, p.attack) AS setting, p.attack, coalesce(c.params->>'protocol', 'model-independent') AS protocol,
           p.params::VARCHAR AS params, e.task, e.split, p.language, p.outcome, e.text_a AS original_a,
           e.text_b AS original_b, p.text_a AS perturbed_a, p.text_b AS perturbed_b,
           t.labels->>e.label AS gold_label,
           row_number() OVER (PARTITION BY p.attack, p.attack_version, protocol, p.params::VARCHAR, e.task, e.split,
                              p.language ORDER BY md5(p.id || '/' || $seed::VARCHAR)) AS draw
    FROM perturbation AS p
    JOIN example AS e ON e.id = p.example_id
    JOIN task AS t ON t.name = e.task AND t.version = e.task_version
    LEFT JOIN cell AS c ON c.key = p.cell_key
    LEFT JOIN labels AS l ON l.perturb_key = p.cell_key
    WHERE p.outcome IN ('succeeded', 'perturbed')
      AND (p.text_a <> e.text_a OR p.text_b IS DISTINCT FROM e.text_b)
      AND ($attack = 'all' OR p.attack = $attack OR coalesce(l.setting, p.attack) = $attack)
)
SELECT
    id AS perturbation_id,              -- perturbation.id: what the judgement is about
    setting,                            -- attack setting, as the prediction queries' attack column names it
    attack,                             -- attack
    protocol,                           -- model-independent, transfer or per-victim
    params,                             -- budget, seed and constraint settings (JSON)
    task,                               -- task of the input
    split,                              -- split of the input
    language,                           -- language of the input
    original_a,                         -- first text field as it was (premise, sentence1)
    original_b,                         -- second text field as it was (hypothesis, sentence2), if any
    perturbed_a,                        -- first text field after the attack
    perturbed_b,                        -- second text field after the attack
    gold_label,                         -- the gold label of the original
    '' AS label_holds,                  -- for the annotator: yes, no or unsure
    '' AS annotator,                    -- for the annotator: who judged
    '' AS note                          -- for the annotator: anything worth saying
FROM candidates
WHERE draw <= $n
ORDER BY setting, attack, protocol, params, task, split, language, draw
