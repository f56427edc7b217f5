"""The first schema: models, tasks, examples, runs, perturbations, predictions, calibration fits, cells, failures."""

STATEMENTS = [
    """CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE cell (
        key VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, params JSON NOT NULL, parents JSON NOT NULL,
        host VARCHAR NOT NULL, pid INTEGER NOT NULL, started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL, wall_seconds DOUBLE NOT NULL)""",
    """CREATE TABLE failure (
        cell_key VARCHAR NOT NULL, attempt INTEGER NOT NULL, kind VARCHAR NOT NULL, params JSON NOT NULL,
        error VARCHAR NOT NULL, traceback VARCHAR NOT NULL, host VARCHAR NOT NULL, pid INTEGER NOT NULL,
        failed_at TIMESTAMP NOT NULL, PRIMARY KEY (cell_key, attempt))""",
    """CREATE TABLE pretrained_model (
        name VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, path VARCHAR NOT NULL,
        weights_sha256 VARCHAR NOT NULL, config JSON NOT NULL)""",
    """CREATE TABLE task (
        name VARCHAR NOT NULL, version INTEGER NOT NULL, role VARCHAR NOT NULL, head VARCHAR NOT NULL,
        labels JSON NOT NULL, text_fields JSON NOT NULL, languages JSON NOT NULL, PRIMARY KEY (name, version))""",
    """CREATE TABLE example (
        id VARCHAR PRIMARY KEY, cell_key VARCHAR NOT NULL, task VARCHAR NOT NULL, task_version INTEGER NOT NULL,
        split VARCHAR NOT NULL, language VARCHAR NOT NULL, idx INTEGER NOT NULL, text_a VARCHAR NOT NULL,
        text_b VARCHAR, label INTEGER NOT NULL)""",
    """CREATE TABLE training_run (
        key VARCHAR PRIMARY KEY, phase VARCHAR NOT NULL, base_model VARCHAR NOT NULL,
        intermediate VARCHAR NOT NULL, task VARCHAR NOT NULL, seed INTEGER NOT NULL, parent_key VARCHAR,
        hparams JSON NOT NULL, code_version INTEGER NOT NULL, task_versions JSON NOT NULL,
        status VARCHAR NOT NULL, checkpoint_path VARCHAR NOT NULL, checkpoint_sha256 VARCHAR NOT NULL,
        wall_seconds DOUBLE NOT NULL, steps INTEGER NOT NULL, train_examples INTEGER NOT NULL,
        dev_accuracy DOUBLE)""",
    """CREATE TABLE perturbation (
        id VARCHAR PRIMARY KEY, cell_key VARCHAR NOT NULL, example_id VARCHAR NOT NULL, attack VARCHAR NOT NULL,
        attack_version INTEGER NOT NULL, params JSON NOT NULL, victim_run_key VARCHAR, language VARCHAR NOT NULL,
        text_a VARCHAR NOT NULL, text_b VARCHAR, outcome VARCHAR NOT NULL, queries INTEGER NOT NULL,
        words_changed INTEGER NOT NULL, chars_changed INTEGER NOT NULL, seed INTEGER NOT NULL)""",
    # No primary key on prediction: an index over tens of millions of rows slows bulk inserts, and a
    # cell's rows are written once, in one transaction, together with its `cell` row.
    """CREATE TABLE prediction (
        cell_key VARCHAR NOT NULL, example_id VARCHAR NOT NULL, perturbation_id VARCHAR,
        run_key VARCHAR NOT NULL, task VARCHAR NOT NULL, split VARCHAR NOT NULL, language VARCHAR NOT NULL,
        attack VARCHAR NOT NULL, label INTEGER NOT NULL, logits FLOAT[] NOT NULL, pred_label INTEGER NOT NULL,
        confidence DOUBLE NOT NULL)""",
    """CREATE TABLE calibration_fit (
        key VARCHAR PRIMARY KEY, run_key VARCHAR NOT NULL, method VARCHAR NOT NULL, temperature DOUBLE NOT NULL,
        params JSON NOT NULL, fit_task VARCHAR NOT NULL, fit_split VARCHAR NOT NULL,
        fit_language VARCHAR NOT NULL, n_examples INTEGER NOT NULL, nll_before DOUBLE NOT NULL,
        nll_after DOUBLE NOT NULL)""",
    "CREATE INDEX example_cell ON example (cell_key)",
    "CREATE INDEX perturbation_cell ON perturbation (cell_key)",
]


def up(con) -> None:
    for statement in STATEMENTS:
        con.execute(statement)
