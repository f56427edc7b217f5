"""Per-unit ingredients of the XTREME task scores (Hu et al. 2020), so that every score is a SQL sum.

- tag_sentence: per tagged sentence, its words, the words tagged right, and its gold, predicted and correct
  entity counts (IOB2 entities as seqeval finds them), so token accuracy and PAN-X's micro F1 are sums.
- span_answer.normalization: which official script's answer normalisation scored exact_match and f1
  ("squad-v1.1" or "mlqa-v1"); rows written before it were all scored with SQuAD v1.1's.
- task_score (view): every target run's score on each split, language and attack setting by its target's own
  XTREME metric, on XTREME's 0-100 scale; the named queries task_score_by_language, task_score_summary,
  xtreme_score and best_intermediate read it. It labels runs and attack settings with the keys
  calibrated_prediction uses (target_run, attack_setting), so two configurations are never pooled.
- task_score_vs_baseline (view): each task_score row with the score of its run's baseline_run (the run with
  intermediate "none" of the same base model, target, seed and target-phase settings; Phang et al. 2020) on the
  same split, language, attack setting, metric and answer normalisation; NULL where the baseline has none.

Definitions (Hu et al. 2020, "XTREME", ICML, section 3 and its scripts):
- accuracy (XNLI, PAWS-X, any classification or multiple-choice target): share of arg-max = gold.
- accuracy (Tatoeba, Artetxe & Schwenk 2019): share of sentences whose nearest English sentence is the gold one.
- token_accuracy (UD POS, and any tagging target whose tag set is not IOB2): share of gold words tagged right,
  a word cut off by max_length counting as wrong.
- f1 (PAN-X, any IOB2 tagging target): entity-level micro F1 as seqeval computes it (conlleval's chunks,
  Tjong Kim Sang & De Meulder 2003): 2 * correct / (gold + predicted), summed over sentences.
- f1 and exact_match (XQuAD, TyDi QA GoldP: SQuAD v1.1's evaluate script, Rajpurkar et al. 2016; MLQA:
  mlqa_evaluation_v1.py, Lewis et al. 2020): mean over questions of the max over gold answers.
- f1 (BUCC 2018, Zweigenbaum et al. 2018): the pairs (sentence, its nearest English sentence) with cosine at
  or above a threshold are extracted; F1 of the extracted pairs against the gold pairs, at the threshold that
  maximises F1 on the dev split of the same run and language (LASER's bucc_optimize, as XTREME's
  utils_retrieve.py runs it on dev and applies to test), or on the split itself where no dev was predicted.
Post-hoc calibration changes none of them (temperature scaling keeps every arg-max and every ranking), so the
view reads the uncalibrated rows.
"""

STATEMENTS = [
    # span_answer first: DuckDB refuses a NOT NULL on a keyed table once the transaction has updates.
    "ALTER TABLE span_answer ADD COLUMN normalization VARCHAR DEFAULT 'squad-v1.1'",
    "ALTER TABLE span_answer ALTER COLUMN normalization SET NOT NULL",
    "ALTER TABLE span_answer ALTER COLUMN normalization DROP DEFAULT",
    """CREATE TABLE tag_sentence (
        cell_key VARCHAR NOT NULL, example_id VARCHAR NOT NULL, run_key VARCHAR NOT NULL, task VARCHAR NOT NULL,
        split VARCHAR NOT NULL, language VARCHAR NOT NULL, attack VARCHAR NOT NULL, words INTEGER NOT NULL,
        scored_words INTEGER NOT NULL, correct_words INTEGER NOT NULL, gold_entities INTEGER,
        predicted_entities INTEGER, correct_entities INTEGER,
        PRIMARY KEY (cell_key, example_id))""",
    """CREATE VIEW task_score AS
WITH head AS (  -- each task's head kind (a task keeps its head across versions)
    SELECT name AS task, any_value(head) AS head FROM task GROUP BY name
),
setting AS (  -- cells whose attack setting is more than the attack's name, labelled as calibrated_prediction does
    SELECT cell_key, attack FROM attack_setting WHERE attack <> attack_name
),
classified_cells AS (  -- per cell first (one key to group on), the inputs of tasks scored by accuracy:
                      -- classification, multiple choice, and retrieval but BUCC (Tatoeba)
    SELECT cell_key, any_value(run_key) AS run_key, any_value(split) AS split, any_value(language) AS language,
           any_value(attack) AS attack, count(*) AS n, sum((pred_label = label)::INTEGER) AS correct
    FROM prediction
    WHERE task IN (SELECT task FROM head WHERE head IN ('classification', 'multiple_choice')
                                            OR (head = 'retrieval' AND task <> 'bucc2018'))
    GROUP BY cell_key
),
classified AS (  -- accuracy per run, split, language and attack setting
    SELECT c.run_key, c.split, c.language, coalesce(s.attack, c.attack) AS attack, 'accuracy' AS metric,
           sum(c.n) AS n, 100 * sum(c.correct) / sum(c.n) AS score, NULL::DOUBLE AS exact_match,
           NULL::DOUBLE AS precision, NULL::DOUBLE AS recall, NULL::DOUBLE AS threshold, NULL::VARCHAR AS tuned_on,
           NULL::VARCHAR AS normalization
    FROM classified_cells AS c
    LEFT JOIN setting AS s ON s.cell_key = c.cell_key
    GROUP BY c.run_key, c.split, c.language, coalesce(s.attack, c.attack)
),
tagged_cells AS (  -- per cell first: the sentence counts summed
    SELECT cell_key, any_value(run_key) AS run_key, any_value(split) AS split, any_value(language) AS language,
           any_value(attack) AS attack, count(*) AS n, sum(words) AS words, sum(correct_words) AS correct_words,
           count(gold_entities) AS iob2, sum(gold_entities) AS gold, sum(predicted_entities) AS predicted,
           sum(correct_entities) AS correct
    FROM tag_sentence
    GROUP BY cell_key
),
tagged_sums AS (  -- per run, split, language and attack setting
    SELECT t.run_key, t.split, t.language, coalesce(s.attack, t.attack) AS attack, sum(t.n) AS n,
           sum(t.words) AS words, sum(t.correct_words) AS correct_words, sum(t.iob2) AS iob2, sum(t.gold) AS gold,
           sum(t.predicted) AS predicted, sum(t.correct) AS correct
    FROM tagged_cells AS t
    LEFT JOIN setting AS s ON s.cell_key = t.cell_key
    GROUP BY t.run_key, t.split, t.language, coalesce(s.attack, t.attack)
),
tagged AS (  -- entity micro F1 for an IOB2 tag set (0 when there is no entity at all, as seqeval), else token
             -- accuracy
    SELECT run_key, split, language, attack, CASE WHEN iob2 > 0 THEN 'f1' ELSE 'token_accuracy' END AS metric, n,
           CASE WHEN iob2 > 0 THEN 100 * coalesce(2.0 * correct / nullif(gold + predicted, 0), 0)
                ELSE 100 * correct_words / words END AS score,
           NULL::DOUBLE AS exact_match,
           CASE WHEN iob2 > 0 THEN 100 * coalesce(correct / nullif(predicted, 0), 0) END AS precision,
           CASE WHEN iob2 > 0 THEN 100 * coalesce(correct / nullif(gold, 0), 0) END AS recall,
           NULL::DOUBLE AS threshold, NULL::VARCHAR AS tuned_on, NULL::VARCHAR AS normalization
    FROM tagged_sums
),
answered AS (  -- span extraction: mean F1 and exact match per question, by the dataset's official script
    SELECT a.run_key, json_extract_string(c.params, '$.split') AS split, a.language,
           coalesce(s.attack, json_extract_string(c.params, '$.attack')) AS attack, 'f1' AS metric, count(*) AS n,
           100 * avg(a.f1) AS score, 100 * avg(a.exact_match) AS exact_match, NULL::DOUBLE AS precision,
           NULL::DOUBLE AS recall, NULL::DOUBLE AS threshold, NULL::VARCHAR AS tuned_on, a.normalization
    FROM span_answer AS a
    JOIN cell AS c ON c.key = a.cell_key
    LEFT JOIN setting AS s ON s.cell_key = a.cell_key
    GROUP BY ALL
),
mined AS (  -- BUCC: per source sentence, the cosine of its nearest English sentence (the stored logits are
            -- cosines / 0.05, runners/heads/retrieval.py) and whether that is its gold translation
    SELECT p.run_key, p.split, p.language, coalesce(s.attack, p.attack) AS attack,
           p.logits[1]::DOUBLE * 0.05 AS cosine, (p.label = 0)::INTEGER AS hit
    FROM prediction AS p
    LEFT JOIN setting AS s ON s.cell_key = p.cell_key
    WHERE p.task = 'bucc2018'
),
cut AS (  -- per distinct cosine, highest first: the pairs extracted at that threshold and the right ones
    SELECT run_key, split, language, attack, cosine,
           sum(count(*)) OVER ranked AS extracted, sum(sum(hit)) OVER ranked AS correct,
           sum(count(*)) OVER (PARTITION BY run_key, split, language, attack) AS gold
    FROM mined
    GROUP BY run_key, split, language, attack, cosine
    WINDOW ranked AS (PARTITION BY run_key, split, language, attack ORDER BY cosine DESC)
),
tuned AS (  -- the threshold of highest F1 = 2 correct / (extracted + gold); of equal F1s the highest threshold,
            -- as bucc_optimize keeps the first maximum in descending order
    SELECT run_key, split, language, attack,
           first(cosine ORDER BY 2.0 * correct / (extracted + gold) DESC, cosine DESC) AS threshold
    FROM cut
    GROUP BY run_key, split, language, attack
),
thresholds AS (  -- each split's threshold: tuned on dev where the run has a dev prediction, else on itself
    SELECT m.run_key, m.split, m.language, m.attack, coalesce(d.threshold, m.threshold) AS threshold,
           CASE WHEN d.threshold IS NULL THEN m.split ELSE 'dev' END AS tuned_on
    FROM tuned AS m
    LEFT JOIN tuned AS d
      ON d.run_key = m.run_key AND d.split = 'dev' AND d.language = m.language AND d.attack = m.attack
),
mined_scores AS (
    SELECT m.run_key, m.split, m.language, m.attack, 'f1' AS metric, count(*) AS n,
           100 * 2.0 * coalesce(sum(m.hit) FILTER (WHERE m.cosine >= t.threshold), 0)
               / (count(*) FILTER (WHERE m.cosine >= t.threshold) + count(*)) AS score,
           NULL::DOUBLE AS exact_match,
           100 * coalesce(sum(m.hit) FILTER (WHERE m.cosine >= t.threshold)
                          / nullif(count(*) FILTER (WHERE m.cosine >= t.threshold), 0), 0) AS precision,
           100 * coalesce(sum(m.hit) FILTER (WHERE m.cosine >= t.threshold), 0) / count(*) AS recall,
           any_value(t.threshold) AS threshold, any_value(t.tuned_on) AS tuned_on, NULL::VARCHAR AS normalization
    FROM mined AS m
    JOIN thresholds AS t USING (run_key, split, language, attack)
    GROUP BY m.run_key, m.split, m.language, m.attack
),
scored AS (
    SELECT * FROM classified
    UNION ALL BY NAME SELECT * FROM tagged
    UNION ALL BY NAME SELECT * FROM answered
    UNION ALL BY NAME SELECT * FROM mined_scores
)
SELECT r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack, u.metric, u.n,
       u.score, u.exact_match, u.precision, u.recall, u.threshold, u.tuned_on, u.normalization, u.run_key
FROM scored AS u
JOIN target_run AS r ON r.run_key = u.run_key""",
    """CREATE VIEW task_score_vs_baseline AS
WITH scores AS MATERIALIZED (  -- task_score once: the view is computed once, not once per side of the join
    SELECT * FROM task_score
)
SELECT t.*, b.score AS baseline
FROM scores AS t
LEFT JOIN baseline_run AS l ON l.run_key = t.run_key
LEFT JOIN scores AS b
  ON b.run_key = l.baseline_key AND b.split = t.split AND b.language = t.language AND b.attack = t.attack
 AND b.metric = t.metric AND b.normalization IS NOT DISTINCT FROM t.normalization""",
]


def up(con) -> None:
    for statement in STATEMENTS:
        con.execute(statement)
