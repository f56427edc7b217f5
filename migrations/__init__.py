"""Numbered schema migrations, applied in order; a merged migration is never edited.

Each module has `up(con)`, which runs inside the caller's transaction. The list below is the
one place migrations are registered: no discovery by file name.
"""

MIGRATIONS: tuple[str, ...] = (
    "0001_initial",
    "0002_add_training_step",
    "0003_structured_tasks",
    "0004_calibrated_prediction",
    "0005_task_score",
    "0006_perturbation_validity",
    "0007_cell_time_accounting",
    "0008_stored_labels",
)
