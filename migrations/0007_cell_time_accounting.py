"""Time accounting per cell: seconds loading models, reading inputs, computing and writing; earlier attempts
resumed from; models loaded. Cells stored before this migration keep NULL there (their split is unknown)."""

COLUMNS = ("load_seconds DOUBLE", "read_seconds DOUBLE", "compute_seconds DOUBLE", "write_seconds DOUBLE",
           "resumed_seconds DOUBLE", "models_loaded INTEGER")


def up(con) -> None:
    for column in COLUMNS:
        con.execute(f"ALTER TABLE cell ADD COLUMN {column}")
