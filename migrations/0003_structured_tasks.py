"""Structured tasks: multiple choice, token tagging, span extraction and retrieval, and provenance.

- example.fields: the head-specific structure of an input (choices, tokens and tags, answers);
  NULL for sentence classification.
- prediction.unit: which unit of the input a row scores (a word index for token tagging, 0 for
  every other head), so one example can have several prediction rows.
- span_answer: the text a span-extraction model answered and how it scores against the gold answers.
- data_source: where each `load` cell read its rows (hub dataset and revision, or files and sha256).
- pretrained_model.revision: the hub commit of a hub model.
- training_run / training_step: the dev metric used for model selection, and the step selected.
"""


def up(con) -> None:
    con.execute("ALTER TABLE example ADD COLUMN fields JSON")
    con.execute("ALTER TABLE prediction ADD COLUMN unit INTEGER DEFAULT 0")
    con.execute("UPDATE prediction SET unit = 0")
    con.execute("ALTER TABLE prediction ALTER COLUMN unit SET NOT NULL")
    con.execute(
        """CREATE TABLE span_answer (
            cell_key VARCHAR NOT NULL, example_id VARCHAR NOT NULL, run_key VARCHAR NOT NULL,
            language VARCHAR NOT NULL, answer VARCHAR NOT NULL, answer_start INTEGER NOT NULL,
            gold JSON NOT NULL, candidates JSON NOT NULL, exact_match DOUBLE NOT NULL, f1 DOUBLE NOT NULL,
            PRIMARY KEY (cell_key, example_id))"""
    )
    con.execute(
        """CREATE TABLE data_source (
            cell_key VARCHAR PRIMARY KEY, task VARCHAR NOT NULL, task_version INTEGER NOT NULL,
            split VARCHAR NOT NULL, language VARCHAR NOT NULL, origin VARCHAR NOT NULL,
            location VARCHAR NOT NULL, revision VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
            n_rows INTEGER NOT NULL)"""
    )
    con.execute("ALTER TABLE pretrained_model ADD COLUMN revision VARCHAR DEFAULT ''")
    con.execute("UPDATE pretrained_model SET revision = ''")
    con.execute("ALTER TABLE pretrained_model ALTER COLUMN revision SET NOT NULL")
    con.execute("ALTER TABLE training_run ADD COLUMN dev_metric VARCHAR")
    con.execute("ALTER TABLE training_run ADD COLUMN dev_score DOUBLE")
    con.execute("ALTER TABLE training_run ADD COLUMN selected_step INTEGER")
    con.execute("ALTER TABLE training_step ADD COLUMN dev_score DOUBLE")
