-- attack_validity: of the successful attacks people judged, what share keeps its gold label, per attack
--   setting and language?
-- Grain: one row per attack setting (attack, version, protocol, parameters) x task x split x language with
--   at least one judged perturbation.
-- Parameters:
--   $z DOUBLE in (0, 6] = 1.959964  normal quantile of the Wilson interval: 1.959964 for 95%, 2.575829 for 99%
-- Reads: annotation, perturbation, example, cell, attack_setting.
-- Definition: judgements come from `xstore annotate import` (label_holds yes, no or unsure). Per
--   perturbation the verdict is the majority of its annotators' yes and no votes, unsure on a tie or when
--   all said unsure. Only successful perturbations count (changed text; outcome succeeded or perturbed).
--   share_holds = holds / (holds + broken), unsure verdicts left out, with the Wilson score interval (Wilson
--   1927), which stays inside [0, 1] and behaves at shares near 1. Agreement is the share of perturbations
--   with two or more yes/no votes on which they all agree.
WITH labels AS (  -- each perturb cell's attack setting as the prediction queries label it (the attack_setting table)
    SELECT perturb_key, min(attack) AS setting FROM attack_setting GROUP BY perturb_key
),
judged AS (  -- per perturbation: its setting and the annotators' votes
    SELECT p.id, coalesce(l.setting, p.attack) AS setting, p.attack, p.attack_version, coalesce(c.params->>'protocol', 'model-independent') AS protocol,
           p.params::VARCHAR AS params, e.task, e.split, p.language,
           count(*) AS judgements,
           count(*) FILTER (WHERE a.label_holds = 'yes') AS yes,
           count(*) FILTER (WHERE a.label_holds = 'no') AS no
    FROM annotation AS a
    JOIN perturbation AS p ON p.id = a.perturbation_id
    JOIN example AS e ON e.id = p.example_id
    LEFT JOIN cell AS c ON c.key = p.cell_key
    LEFT JOIN labels AS l ON l.perturb_key = p.cell_key
    WHERE p.outcome IN ('succeeded', 'perturbed') AND (p.text_a <> e.text_a OR p.text_b IS DISTINCT FROM e.text_b)
    GROUP BY ALL
),
settings AS (  -- per setting and language: verdict counts
    SELECT setting, attack, attack_version, protocol, params, task, split, language,
           count(*) AS judged, sum(judgements) AS judgements,
           count(*) FILTER (WHERE yes > no) AS holds,
           count(*) FILTER (WHERE no > yes) AS broken,
           count(*) FILTER (WHERE yes = no) AS unsure,
           count(*) FILTER (WHERE yes + no >= 2) AS multiply_judged,
           count(*) FILTER (WHERE yes + no >= 2 AND (yes = 0 OR no = 0)) AS agreed
    FROM judged
    GROUP BY ALL
),
shares AS (  -- the share and its Wilson interval
    SELECT *, holds + broken AS decided, holds / nullif(holds + broken, 0) AS share,
           $z * $z / nullif(holds + broken, 0) AS zz
    FROM settings
)
SELECT
    setting,                            -- attack setting, as the prediction queries' attack column names it
    attack,                             -- attack
    attack_version,                     -- its catalogue version
    protocol,                           -- model-independent, transfer or per-victim
    params,                             -- budget, seed and constraint settings (JSON)
    task,                               -- task of the inputs
    split,                              -- split of the inputs
    language,                           -- language of the inputs
    judged,                             -- successful perturbations with at least one judgement
    judgements,                         -- judgements of them (one per annotator and perturbation)
    holds,                              -- verdict yes: the gold label still holds
    broken,                             -- verdict no: the perturbation changed the label
    unsure,                             -- no majority, or only unsure votes
    share AS share_holds,               -- holds / (holds + broken); NULL when nothing was decided
    (share + zz / 2 - sqrt(share * (1 - share) * zz + zz * zz / 4)) / (1 + zz) AS share_low,  -- Wilson lower bound
    (share + zz / 2 + sqrt(share * (1 - share) * zz + zz * zz / 4)) / (1 + zz) AS share_high,  -- Wilson upper bound
    agreed / nullif(multiply_judged, 0) AS agreement  -- all yes/no votes agree, of perturbations with two or more
FROM shares
ORDER BY setting, attack, attack_version, protocol, params, task, split, language
