"""Run and attack labels stored as tables, kept current by every write, instead of derived at every question.

- target_run, baseline_run, attack_setting: tables, with the columns and rows the views of migration 0004 had.
  The views stay as target_run_derived, baseline_run_derived and attack_setting_derived (the one definition of
  each label); xstore.labels.refresh copies them into the tables inside the transaction of every write that can
  change a label (a training run stored, a perturbed prediction cell stored, cells deleted), so a question never
  sees a run or an attacked cell without its label.
- Why: deriving the labels (JSON unnesting of every run's settings and every attack cell's parameters) cost a
  fixed 20 to 30 ms of planning and running per question, whatever its size, several times the work of a task
  score over 10 million token predictions (bench/task_scores.py); read from a table they cost nothing measurable.
"""

LABELS = ("target_run", "baseline_run", "attack_setting")

COLUMNS = {
    "target_run": "run_key VARCHAR NOT NULL, base_model VARCHAR NOT NULL, intermediate VARCHAR NOT NULL, "
                  "target VARCHAR NOT NULL, variant VARCHAR NOT NULL, seed INTEGER NOT NULL, parent_key VARCHAR",
    "baseline_run": "run_key VARCHAR NOT NULL, baseline_key VARCHAR NOT NULL",
    "attack_setting": "cell_key VARCHAR NOT NULL, run_key VARCHAR NOT NULL, attack VARCHAR, attack_name VARCHAR, "
                      "target VARCHAR, perturb_key VARCHAR, described VARCHAR",
}


def _task_score() -> str:
    """Migration 0005's task_score with the attack labels joined from the table: its CTE `setting` read the
    label four times, which DuckDB materialised before every question (about 6 ms, whatever the rows)."""
    import importlib

    (view,) = [s for s in importlib.import_module(f"{__package__}.0005_task_score").STATEMENTS
               if s.startswith("CREATE VIEW task_score AS")]
    cte = ("setting AS (  -- cells whose attack setting is more than the attack's name, labelled as "
           "calibrated_prediction does\n    SELECT cell_key, attack FROM attack_setting WHERE attack <> attack_name\n),\n")
    assert view.count(cte) == 1 and view.count("LEFT JOIN setting AS s ON ") == 4, "migration 0005 changed"
    return (view.replace("CREATE VIEW", "CREATE OR REPLACE VIEW").replace(cte, "")
            .replace("LEFT JOIN setting AS s ON ", "LEFT JOIN attack_setting AS s ON s.attack <> s.attack_name AND "))


def up(con) -> None:
    for name in LABELS:
        # Views that read the label (calibrated_prediction, task_score) name it, and DuckDB binds a view's names
        # when it is read: after the rename they read the table below.
        con.execute(f"ALTER VIEW {name} RENAME TO {name}_derived")
        con.execute(f"CREATE TABLE {name} ({COLUMNS[name]})")  # no key: a refresh deletes and re-inserts rows
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {name}_derived")
    con.execute(_task_score())
