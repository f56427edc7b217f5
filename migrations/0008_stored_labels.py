"""Labels and per-cell score sums stored as tables, kept current by every write, instead of derived at every question.

- target_run, baseline_run, attack_setting: tables, with the columns and rows the views of migration 0004 had.
  The views stay as target_run_derived, baseline_run_derived and attack_setting_derived (the one definition of
  each label); xstore.labels.refresh copies them into the tables inside the transaction of every write that can
  change a label (a training run stored, a perturbed prediction cell stored, cells deleted), so a question never
  sees a run or an attacked cell without its label.
- cell_score: per prediction cell of a target scored by a sum (accuracy, tagging, span extraction), the sums its
  task score needs (inputs and correct ones; words, words right and IOB2 entities; F1 and exact match per answer
  normalisation), written with the cell's rows in its transaction (xstore.labels.score_cell) from its definition,
  the view cell_score_derived; deleting the cell deletes them.
- task_score: as migration 0005 defined it, the accuracy, tagging and span scores summed from cell_score (BUCC's
  tuned threshold still from its predictions), the attack labels joined from their table.
- Why: deriving the labels (JSON unnesting of every run's settings and every attack cell's parameters) and
  summing every input again cost a fixed 20 to 30 ms of planning and running per question plus time in
  proportion to the rows, several times the work of a hand-written task score over 10 million token predictions
  (bench/task_scores.py).
"""

LABELS = ("target_run", "baseline_run", "attack_setting")

COLUMNS = {
    "target_run": "run_key VARCHAR NOT NULL, base_model VARCHAR NOT NULL, intermediate VARCHAR NOT NULL, "
                  "target VARCHAR NOT NULL, variant VARCHAR NOT NULL, seed INTEGER NOT NULL, parent_key VARCHAR",
    "baseline_run": "run_key VARCHAR NOT NULL, baseline_key VARCHAR NOT NULL",
    "attack_setting": "cell_key VARCHAR NOT NULL, run_key VARCHAR NOT NULL, attack VARCHAR, attack_name VARCHAR, "
                      "target VARCHAR, perturb_key VARCHAR, described VARCHAR",
}


CELL_SCORE = """CREATE TABLE cell_score (
    cell_key VARCHAR NOT NULL, run_key VARCHAR NOT NULL, split VARCHAR NOT NULL, language VARCHAR NOT NULL,
    attack VARCHAR NOT NULL, family VARCHAR NOT NULL, normalization VARCHAR, n INTEGER NOT NULL, correct INTEGER,
    words INTEGER, correct_words INTEGER, iob2 INTEGER, gold INTEGER, predicted INTEGER, f1_sum DOUBLE,
    exact_match_sum DOUBLE)"""

CELL_SCORE_DERIVED = """CREATE VIEW cell_score_derived AS
WITH head AS (  -- each task's head kind (a task keeps its head across versions)
    SELECT name AS task, any_value(head) AS head FROM task GROUP BY name
),
sums AS (
-- tasks scored by accuracy: classification, multiple choice, and retrieval but BUCC (Tatoeba)
SELECT cell_key, any_value(run_key) AS run_key, any_value(split) AS split, any_value(language) AS language,
       any_value(attack) AS attack, 'accuracy' AS family, count(*) AS n, sum((pred_label = label)::INTEGER) AS correct
FROM prediction
WHERE task IN (SELECT task FROM head WHERE head IN ('classification', 'multiple_choice')
                                        OR (head = 'retrieval' AND task <> 'bucc2018'))
GROUP BY cell_key
UNION ALL BY NAME
-- tagging: words and IOB2 entities (iob2 counts the sentences whose tag set has entities)
SELECT cell_key, any_value(run_key) AS run_key, any_value(split) AS split, any_value(language) AS language,
       any_value(attack) AS attack, 'tagging' AS family, count(*) AS n, sum(words) AS words,
       sum(correct_words) AS correct_words, count(gold_entities) AS iob2, sum(gold_entities) AS gold,
       sum(predicted_entities) AS predicted, sum(correct_entities) AS correct
FROM tag_sentence
GROUP BY cell_key
UNION ALL BY NAME
-- span extraction: F1 and exact match summed over questions, per answer normalisation
SELECT a.cell_key, any_value(a.run_key) AS run_key, json_extract_string(any_value(c.params), '$.split') AS split,
       a.language, json_extract_string(any_value(c.params), '$.attack') AS attack, 'span' AS family, a.normalization,
       count(*) AS n, sum(a.f1) AS f1_sum, sum(a.exact_match) AS exact_match_sum
FROM span_answer AS a
JOIN cell AS c ON c.key = a.cell_key
GROUP BY a.cell_key, a.language, a.normalization
)
SELECT cell_key, run_key, split, language, attack, family, normalization, n, correct, words, correct_words, iob2,
       gold, predicted, f1_sum, exact_match_sum
FROM sums"""

TASK_SCORE = """CREATE OR REPLACE VIEW task_score AS
WITH sums AS (  -- per run, split, language, attack setting, metric family and answer normalisation
    SELECT c.run_key, c.split, c.language, coalesce(s.attack, c.attack) AS attack, c.family, c.normalization,
           sum(c.n) AS n, sum(c.correct) AS correct, sum(c.words) AS words, sum(c.correct_words) AS correct_words,
           sum(c.iob2) AS iob2, sum(c.gold) AS gold, sum(c.predicted) AS predicted, sum(c.f1_sum) AS f1_sum,
           sum(c.exact_match_sum) AS exact_match_sum
    FROM cell_score AS c
    LEFT JOIN attack_setting AS s ON s.attack <> s.attack_name AND s.cell_key = c.cell_key
    GROUP BY c.run_key, c.split, c.language, coalesce(s.attack, c.attack), c.family, c.normalization
),
summed AS (  -- accuracy; entity micro F1 for an IOB2 tag set (0 when there is no entity at all, as seqeval), else
             -- token accuracy; mean F1 and exact match over questions
    SELECT run_key, split, language, attack,
           CASE WHEN family = 'accuracy' OR (family = 'tagging' AND iob2 = 0) THEN
                CASE family WHEN 'accuracy' THEN 'accuracy' ELSE 'token_accuracy' END
                ELSE 'f1' END AS metric,
           n,
           CASE family WHEN 'accuracy' THEN 100 * correct / n
                       WHEN 'span' THEN 100 * f1_sum / n
                       ELSE CASE WHEN iob2 > 0 THEN 100 * coalesce(2.0 * correct / nullif(gold + predicted, 0), 0)
                                 ELSE 100 * correct_words / words END END AS score,
           CASE WHEN family = 'span' THEN 100 * exact_match_sum / n END AS exact_match,
           CASE WHEN family = 'tagging' AND iob2 > 0 THEN 100 * coalesce(correct / nullif(predicted, 0), 0) END
               AS precision,
           CASE WHEN family = 'tagging' AND iob2 > 0 THEN 100 * coalesce(correct / nullif(gold, 0), 0) END AS recall,
           NULL::DOUBLE AS threshold, NULL::VARCHAR AS tuned_on, normalization
    FROM sums
),
mined AS (  -- BUCC: per source sentence, the cosine of its nearest English sentence (the stored logits are
            -- cosines / 0.05, runners/heads/retrieval.py) and whether that is its gold translation
    SELECT p.run_key, p.split, p.language, coalesce(s.attack, p.attack) AS attack,
           p.logits[1]::DOUBLE * 0.05 AS cosine, (p.label = 0)::INTEGER AS hit
    FROM prediction AS p
    LEFT JOIN attack_setting AS s ON s.attack <> s.attack_name AND s.cell_key = p.cell_key
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
    SELECT * FROM summed
    UNION ALL BY NAME SELECT * FROM mined_scores
)
SELECT r.base_model, r.intermediate, r.target, r.variant, r.seed, u.split, u.language, u.attack, u.metric, u.n,
       u.score, u.exact_match, u.precision, u.recall, u.threshold, u.tuned_on, u.normalization, u.run_key
FROM scored AS u
JOIN target_run AS r ON r.run_key = u.run_key"""


def up(con) -> None:
    for name in LABELS:
        # Views that read the label (calibrated_prediction, task_score) name it, and DuckDB binds a view's names
        # when it is read: after the rename they read the table below.
        con.execute(f"ALTER VIEW {name} RENAME TO {name}_derived")
        con.execute(f"CREATE TABLE {name} ({COLUMNS[name]})")  # no key: a refresh deletes and re-inserts rows
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {name}_derived")
    con.execute(CELL_SCORE)
    con.execute(CELL_SCORE_DERIVED)
    con.execute("INSERT INTO cell_score BY NAME SELECT * FROM cell_score_derived")
    con.execute(TASK_SCORE)
